/**
 * The only module that reads the environment. `loadConfig(env)` parses, validates and defaults
 * every `REGISTRY_*` variable and returns a frozen, typed Config; every problem found is
 * reported together in one ConfigError.
 */
import { join } from 'node:path';
import { DEFAULT_JSON_MAX_DEPTH } from './json-input.js';
import { parseDuration } from './model/tokens.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** `auto`: human-readable lines when stdout is a terminal, JSON lines otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface HttpConfig {
  readonly port: number;
  readonly bindAddress: string;
  /** Largest accepted request body, in bytes (413 above). */
  readonly maxBodyBytes: number;
  /** Largest accepted body of a bulk request (the /v1 bulk routes), in bytes. */
  readonly maxBulkBodyBytes: number;
  /** Deepest nesting of a JSON body (400 above); REGISTRY_JSON_MAX_DEPTH. */
  readonly maxJsonDepth: number;
  /** `token`: bearer tokens required; `none`: no authentication (loopback only). */
  readonly auth: 'token' | 'none';
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  /** Serve Prometheus metrics on `/metrics` (no token needed, like the health probes). */
  readonly metrics: boolean;
  /** A request whose headers are not complete after this long gets 408 and its connection is closed. */
  readonly headersTimeoutMs: number;
  /** A request (headers and body) not received completely after this long gets 408. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  readonly keepAliveTimeoutMs: number;
  /** Largest request head (request line and headers), in bytes; larger heads get 431. */
  readonly maxHeaderBytes: number;
  /** Most open connections; further ones are closed at once. */
  readonly maxConnections: number;
}

export interface SecurityConfig {
  /** A token value ensured at start-up with every scope and tenant (containers, CI). */
  readonly bootstrapToken: string | undefined;
  /** Pepper of the token hashes; undefined: a 0600 file in the data directory. */
  readonly tokenPepper: string | undefined;
  readonly tokenMaxLifetimeSeconds: number;
  readonly authFailureLimit: number;
  readonly authFailureWindowSeconds: number;
  readonly authBlockSeconds: number;
  /** A console session unused for this long ends (docs/console.md). */
  readonly sessionIdleSeconds: number;
  /** A console session ends this long after sign-in at the latest (and never outlives its token). */
  readonly sessionMaxSeconds: number;
}

/** The operator console (docs/console.md). */
export interface ConsoleConfig {
  /** Seconds between two samples of the lookup rate and latency its overview charts. */
  readonly sampleSeconds: number;
}

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export interface RedisClusterConfig {
  /** Seed nodes: the registry learns the others from them. */
  readonly nodes: readonly RedisNode[];
  /** ACL user and password of every node (AUTH), when the nodes require them. */
  readonly username?: string;
  readonly password?: string;
}

export interface RedisConfig {
  /** `redis://` / `rediss://` / `unix://` URL of an external Redis; undefined = embedded Redis (or a cluster). */
  readonly url: string | undefined;
  /** A Redis Cluster; when set, the registry uses it and starts no Redis itself. */
  readonly cluster: RedisClusterConfig | undefined;
  /** Where the embedded Redis keeps its append-only file. */
  readonly dataDir: string;
  /** The redis-server binary the embedded mode spawns. */
  readonly serverBinary: string;
  /** A command that gets no answer within this time fails with 503. */
  readonly commandTimeoutMs: number;
}

export interface CredentialsConfig {
  /** Highest bcrypt cost accepted in a stored hash (Hono's maxBcryptIterations). */
  readonly maxBcryptCost: number;
  /** Cost used to hash `pwd-plain` secrets. */
  readonly bcryptCost: number;
}

export interface SearchConfig {
  /** Most records one search may check one by one (a search needing more is a 400 naming the limit). */
  readonly scanLimit: number;
}

export type HonoApiProfile = 'legacy' | '1.x';

/** How much bcrypt work AMQP logins may cause, and how many attempts one address may make. */
export interface LoginLimits {
  /** bcrypt verifications running at once (all addresses); the rest wait in a queue. */
  readonly concurrency: number;
  /** Logins waiting for a bcrypt slot; more are refused at once. */
  readonly queue: number;
  /** Logins from one address being checked at a time; more are refused at once. */
  readonly pendingPerAddress: number;
  /** Failed logins one address may have per minute; further attempts are refused at once. */
  readonly failuresPerMinute: number;
}

export interface AmqpConfig {
  /** Plain AMQP port (0 picks a free port). */
  readonly port: number;
  /** AMQPS port, used when tlsCert and tlsKey are set. */
  readonly tlsPort: number;
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  /** CA bundle that client certificates (SASL EXTERNAL) are verified against. */
  readonly tlsClientCa: string | undefined;
  /** Accounts file path; when unset, `<data dir>/amqp-accounts.json`, created on first start. */
  readonly accountsFile: string;
  readonly accountsFileConfigured: boolean;
  /** SASL ANONYMOUS with full access (development only). */
  readonly anonymous: boolean;
  /** Wire profile: the seeds' legacy registry (Hono 1.0-M5) or Hono 1.x. */
  readonly honoApi: HonoApiProfile;
  /** Credits granted per request link; also the most requests in flight per link. */
  readonly credit: number;
  readonly maxFrameSize: number;
  readonly maxMessageSize: number;
  /** Deepest nesting of a JSON body (rejected above); REGISTRY_JSON_MAX_DEPTH. */
  readonly maxJsonDepth: number;
  /** Idle timeout the registry advertises; peers must send something at least this often. */
  readonly idleTimeoutMs: number;
  readonly maxLinksPerConnection: number;
  /** Most sessions one connection may have open at a time (channel-max + 1). */
  readonly maxSessionsPerConnection: number;
  /** Limits on SASL PLAIN logins, applied before any bcrypt work. */
  readonly login: LoginLimits;
  /** Most open connections per listener; further ones are closed at once. */
  readonly maxConnections: number;
  /** A connection that has not completed SASL and its AMQP open after this long is closed. */
  readonly openTimeoutMs: number;
  /** `max-age` of cacheable answers in seconds; 0 means `no-cache`. */
  readonly cacheMaxAge: number;
  /** HS256 secret for the legacy `assertion` JWT (0.9 adapters); unset = no assertion. */
  readonly assertionSecret: string | undefined;
  readonly assertionLifetime: number;
}

/** TLS of a client connection to a messaging system: PEM files (read at start-up). */
export interface ClientTlsConfig {
  readonly caFile: string | undefined;
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
}

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaNotificationConfig {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** TLS on (with the system CAs unless a CA file is given), or undefined for plain TCP. */
  readonly tls: ClientTlsConfig | undefined;
  readonly sasl: { readonly mechanism: KafkaSaslMechanism; readonly username: string; readonly password: string } | undefined;
}

export interface AmqpNotificationConfig {
  readonly host: string;
  readonly port: number;
  /** amqps: TLS (with the system CAs unless a CA file is given). */
  readonly tls: ClientTlsConfig | undefined;
  /** SASL PLAIN; undefined: ANONYMOUS. */
  readonly username: string | undefined;
  readonly password: string | undefined;
}

/** Hono's change notifications (docs/notifications.md); undefined when no messaging system is configured. */
export interface NotificationConfig {
  readonly kafka: KafkaNotificationConfig | undefined;
  readonly amqp: AmqpNotificationConfig | undefined;
  /** Entries one outbox may hold; writes beyond it fail with 503. */
  readonly maxPending: number;
  /** Backoff after a failed delivery: first wait, doubling up to the cap. */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /** How long an outbox lease lasts without renewal (a killed instance's outboxes wait this long). */
  readonly leaseMs: number;
  /** How often the doorbell set is read for outboxes other instances left pending. */
  readonly pollMs: number;
  /** How often every node is scanned for outboxes the doorbell missed. */
  readonly sweepMs: number;
  /** A warning is logged when the pending notifications reach this number (and each tenfold of it). */
  readonly backlogWarn: number;
}

export interface Config {
  readonly notifications: NotificationConfig | undefined;
  readonly http: HttpConfig;
  readonly security: SecurityConfig;
  readonly amqp: AmqpConfig;
  readonly redis: RedisConfig;
  readonly credentials: CredentialsConfig;
  readonly console: ConsoleConfig;
  /** The /v1 searches (docs/management-v1.md "How search is indexed"). */
  readonly search: SearchConfig;
  /** Deepest nesting of JSON read from outside (bodies; each record of an import file). */
  readonly maxJsonDepth: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
  /** On SIGTERM/SIGINT: how long in-flight requests may take before connections are cut. */
  readonly shutdownGraceMs: number;
}

/** One row per variable: the README's configuration table is checked against this list. */
export const CONFIG_VARIABLES = [
  { name: 'REGISTRY_HTTP_PORT', default: '28080', description: 'TCP port of the HTTP management API (0 picks a free port).' },
  { name: 'REGISTRY_BIND_ADDRESS', default: '127.0.0.1', description: 'Address the HTTP listener binds to.' },
  { name: 'REGISTRY_HTTP_MAX_BODY_BYTES', default: '65536', description: 'Largest accepted HTTP request body in bytes; larger bodies get 413.' },
  { name: 'REGISTRY_HTTP_MAX_BULK_BODY_BYTES', default: '4194304', description: 'Largest accepted body of a `/v1/bulk/…` request (up to 1000 devices) in bytes; larger bodies get 413.' },
  { name: 'REGISTRY_JSON_MAX_DEPTH', default: '32', description: 'Deepest nesting of objects and arrays in a JSON body (HTTP, AMQP) or in a record of an import file (4–1000); deeper JSON is refused with 400 (AMQP: hono:bad-request) before it is parsed.' },
  { name: 'REGISTRY_HTTP_HEADERS_TIMEOUT_MS', default: '10000', description: 'A request whose headers are not complete after this many milliseconds gets 408 and its connection is closed (slow clients).' },
  { name: 'REGISTRY_HTTP_REQUEST_TIMEOUT_MS', default: '30000', description: 'A request whose body is not complete after this many milliseconds gets 408.' },
  { name: 'REGISTRY_HTTP_KEEP_ALIVE_TIMEOUT_MS', default: '5000', description: 'An idle keep-alive connection is closed after this many milliseconds.' },
  { name: 'REGISTRY_HTTP_MAX_HEADER_BYTES', default: '16384', description: 'Largest request line plus headers in bytes; larger ones get 431.' },
  { name: 'REGISTRY_HTTP_MAX_CONNECTIONS', default: '1024', description: 'Most open HTTP connections; further connections are closed at once.' },
  { name: 'REGISTRY_HTTP_AUTH', default: 'token', description: 'token: every management request needs a bearer token; none: no authentication (local experiments only; refused unless the bind address is loopback).' },
  { name: 'REGISTRY_HTTP_TLS_CERT', default: '(unset)', description: 'PEM certificate (chain): the management API is served over HTTPS.' },
  { name: 'REGISTRY_HTTP_TLS_KEY', default: '(unset)', description: 'PEM private key of the HTTPS listener.' },
  { name: 'REGISTRY_BOOTSTRAP_TOKEN', default: '(unset)', description: 'A token value (32–512 characters of A-Z a-z 0-9 - . _ ~ + /) that start-up ensures exists with every scope and tenant.' },
  { name: 'REGISTRY_TOKEN_PEPPER', default: '<data dir>/token-pepper', description: 'Secret (at least 32 characters) keying the stored token hashes; several instances on one store need the same value.' },
  { name: 'REGISTRY_TOKEN_MAX_LIFETIME', default: '365d', description: 'Longest lifetime of a token (30d, 12h, 3600 …).' },
  { name: 'REGISTRY_AUTH_FAILURE_LIMIT', default: '5', description: 'Failed authentications from one address within the window that block it (429).' },
  { name: 'REGISTRY_AUTH_FAILURE_WINDOW_SECONDS', default: '60', description: 'The window in which failed authentications are counted.' },
  { name: 'REGISTRY_AUTH_BLOCK_SECONDS', default: '300', description: 'How long a blocked address\'s failed attempts get 429 with Retry-After (a valid token from it still passes).' },
  { name: 'REGISTRY_SESSION_IDLE_TIMEOUT', default: '30m', description: 'A console session that makes no request for this long ends (30m, 1h, 600 …; 1 minute to 1 day).' },
  { name: 'REGISTRY_SESSION_MAX_LIFETIME', default: '12h', description: 'A console session ends this long after sign-in at the latest, and never outlives its token (at least the idle timeout, at most 30 days).' },
  { name: 'REGISTRY_CONSOLE_SAMPLE_SECONDS', default: '5', description: 'Seconds between two samples of the AMQP lookup rate and latency that the console\'s overview charts (1–300; the last 180 samples are kept).' },
  { name: 'REGISTRY_REDIS_URL', default: '(unset: embedded Redis)', description: 'URL of an external Redis (`redis://host:port/db`, `rediss://…`, `unix:///path.sock`). Unset: the registry spawns its own redis-server.' },
  { name: 'REGISTRY_REDIS_CLUSTER_NODES', default: '(unset)', description: 'Comma-separated `host:port` seed nodes of a Redis Cluster (`[::1]:7000` for IPv6; `redis://user:password@host:port` for nodes that require AUTH); the registry then runs on the cluster and starts no Redis itself. Excludes REGISTRY_REDIS_URL.' },
  { name: 'REGISTRY_DATA_DIR', default: './data', description: 'Directory of the embedded Redis (append-only file, socket, pid file).' },
  { name: 'REGISTRY_REDIS_SERVER', default: 'redis-server', description: 'The redis-server binary the embedded mode starts.' },
  { name: 'REGISTRY_REDIS_COMMAND_TIMEOUT_MS', default: '1000', description: 'A Redis command without an answer after this many milliseconds fails with 503.' },
  { name: 'REGISTRY_MAX_BCRYPT_COST', default: '10', description: 'Highest bcrypt cost accepted in a `hashed-password` secret (4–31); higher costs are rejected with 400.' },
  { name: 'REGISTRY_BCRYPT_COST', default: '10', description: 'bcrypt cost used to hash `pwd-plain` secrets (4 to REGISTRY_MAX_BCRYPT_COST).' },
  { name: 'REGISTRY_SEARCH_SCAN_LIMIT', default: '20000', description: 'Most records one `/v1` search may check one by one (100–10000000): a filter the indexes cannot answer, a sort on another field than `/id`. A search needing more answers 400 naming this limit (nothing is left out silently); see [docs/management-v1.md](docs/management-v1.md#how-search-is-indexed).' },
  { name: 'REGISTRY_LOG_LEVEL', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent.' },
  { name: 'REGISTRY_LOG_FORMAT', default: 'auto', description: 'json: one JSON object per line; pretty: coloured, human-readable lines (pino-pretty); auto: pretty when stdout is a terminal, else json.' },
  { name: 'REGISTRY_METRICS', default: 'on', description: 'on: Prometheus metrics on GET /metrics (no token needed; counts and latencies only, no ids or secrets); off: /metrics answers 404.' },
  { name: 'REGISTRY_SHUTDOWN_GRACE_MS', default: '3000', description: 'On SIGTERM/SIGINT: how long in-flight requests may still take before the remaining connections are cut; the process exits at the latest 2 s later.' },
  { name: 'REGISTRY_AMQP_PORT', default: '5672', description: 'Port of the plain AMQP 1.0 listener (0 picks a free port).' },
  { name: 'REGISTRY_AMQPS_PORT', default: '5671', description: 'Port of the AMQPS listener, opened when REGISTRY_AMQP_TLS_CERT and REGISTRY_AMQP_TLS_KEY are set.' },
  { name: 'REGISTRY_AMQP_TLS_CERT', default: '(unset)', description: 'PEM certificate (chain) of the AMQPS listener.' },
  { name: 'REGISTRY_AMQP_TLS_KEY', default: '(unset)', description: 'PEM private key of the AMQPS listener.' },
  { name: 'REGISTRY_AMQP_TLS_CLIENT_CA', default: '(unset)', description: 'PEM CA bundle for client certificates; when set, AMQPS offers SASL EXTERNAL (identity = certificate CN).' },
  { name: 'REGISTRY_AMQP_ACCOUNTS_FILE', default: '<data dir>/amqp-accounts.json', description: 'JSON file of AMQP users and roles. When unset and missing, the first start creates it with one protocol-adapter account and a random password.' },
  { name: 'REGISTRY_AMQP_ANONYMOUS', default: 'false', description: 'true: accept SASL ANONYMOUS with full access (development only; logged as a warning).' },
  { name: 'REGISTRY_HONO_API', default: 'legacy', description: 'AMQP wire profile: legacy (Hono 0.9–1.0-M5 registry of the seed documents) or 1.x.' },
  { name: 'REGISTRY_AMQP_CREDIT', default: '100', description: 'Credits granted on each request link (requests in flight per link).' },
  { name: 'REGISTRY_AMQP_MAX_FRAME_SIZE', default: '16384', description: 'Largest AMQP frame in bytes, advertised in the open; a larger frame (or a SASL frame above 512 bytes) closes the connection with amqp:connection:framing-error.' },
  { name: 'REGISTRY_AMQP_MAX_MESSAGE_SIZE', default: '65536', description: 'Largest AMQP request message body in bytes; larger requests are rejected. Request links advertise twice this as max-message-size: a larger message closes the connection.' },
  { name: 'REGISTRY_AMQP_IDLE_TIMEOUT_MS', default: '30000', description: 'Idle timeout the registry advertises; it sends heartbeats at half the peer\'s own timeout.' },
  { name: 'REGISTRY_AMQP_MAX_LINKS', default: '256', description: 'Most links one AMQP connection may attach.' },
  { name: 'REGISTRY_AMQP_MAX_SESSIONS', default: '32', description: 'Most sessions one AMQP connection may have open (advertised as channel-max); a begin beyond it closes the connection with amqp:connection:framing-error.' },
  { name: 'REGISTRY_AMQP_LOGIN_CONCURRENCY', default: '2', description: 'SASL PLAIN password checks (bcrypt) running at once; they use the libuv thread pool that HTTP password hashing needs too.' },
  { name: 'REGISTRY_AMQP_LOGIN_QUEUE', default: '64', description: 'SASL PLAIN logins waiting for a password check; further ones are refused at once with SASL outcome sys-temp.' },
  { name: 'REGISTRY_AMQP_LOGIN_PENDING_PER_ADDRESS', default: '8', description: 'SASL PLAIN logins from one client address being checked at a time (the same user name and password arriving again waits for the check in progress instead); further ones are refused at once with sys-temp.' },
  { name: 'REGISTRY_AMQP_LOGIN_FAILURES_PER_MINUTE', default: '20', description: 'Failed SASL PLAIN logins one client address may have per minute; after that its logins are refused with sys-temp until the minute is over (a login the registry verified recently still succeeds).' },
  { name: 'REGISTRY_AMQP_MAX_CONNECTIONS', default: '1024', description: 'Most open connections per AMQP listener; further connections are closed at once.' },
  { name: 'REGISTRY_AMQP_OPEN_TIMEOUT_MS', default: '10000', description: 'A connection that has not completed SASL and the AMQP open after this many milliseconds is closed.' },
  { name: 'REGISTRY_CACHE_MAX_AGE', default: '180', description: 'max-age (seconds) of cacheable AMQP answers; 0 answers no-cache.' },
  { name: 'REGISTRY_ASSERTION_SECRET', default: '(unset)', description: 'Secret (at least 32 characters) for the HS256 `assertion` JWT that Hono 0.9 adapters expect in assert answers; unset: no assertion.' },
  { name: 'REGISTRY_ASSERTION_LIFETIME', default: '600', description: 'Lifetime of the assertion JWT in seconds; assert answers are cached no longer.' },
  { name: 'REGISTRY_NOTIFICATION_KAFKA_BROKERS', default: '(unset)', description: 'Comma-separated `host:port` bootstrap brokers of a Kafka cluster: every tenant, device and credentials change is announced there as Hono 2.x notifications (topics `hono.notification.registry-tenant` and `hono.notification.registry-device`; see docs/notifications.md).' },
  { name: 'REGISTRY_NOTIFICATION_KAFKA_CLIENT_ID', default: 'device-registry', description: 'Kafka `client.id` of the notification producer.' },
  { name: 'REGISTRY_NOTIFICATION_KAFKA_SASL_MECHANISM', default: '(unset: no SASL)', description: '`plain`, `scram-sha-256` or `scram-sha-512`; needs the user name and password below.' },
  { name: 'REGISTRY_NOTIFICATION_KAFKA_SASL_USERNAME', default: '(unset)', description: 'SASL user name for Kafka.' },
  { name: 'REGISTRY_NOTIFICATION_KAFKA_SASL_PASSWORD', default: '(unset)', description: 'SASL password for Kafka (never logged).' },
  { name: 'REGISTRY_NOTIFICATION_KAFKA_TLS', default: 'false', description: 'true: connect to the brokers with TLS (implied by the CA or client certificate variables).' },
  { name: 'REGISTRY_NOTIFICATION_KAFKA_TLS_CA', default: '(unset: system CAs)', description: 'PEM CA bundle the brokers\' certificates are verified against.' },
  { name: 'REGISTRY_NOTIFICATION_KAFKA_TLS_CERT', default: '(unset)', description: 'PEM client certificate for Kafka (mutual TLS).' },
  { name: 'REGISTRY_NOTIFICATION_KAFKA_TLS_KEY', default: '(unset)', description: 'PEM private key of that client certificate.' },
  { name: 'REGISTRY_NOTIFICATION_AMQP_URL', default: '(unset)', description: '`amqp://[user:password@]host[:port]` or `amqps://…` of an AMQP 1.0 messaging network (Qpid Dispatch Router, ActiveMQ Artemis): notifications go to `notification/registry-tenant` and `notification/registry-device` (see docs/notifications.md). With user and password: SASL PLAIN, else ANONYMOUS.' },
  { name: 'REGISTRY_NOTIFICATION_AMQP_USERNAME', default: '(unset)', description: 'SASL PLAIN user name for the AMQP network (instead of the one in the URL).' },
  { name: 'REGISTRY_NOTIFICATION_AMQP_PASSWORD', default: '(unset)', description: 'SASL PLAIN password for the AMQP network (never logged).' },
  { name: 'REGISTRY_NOTIFICATION_AMQP_TLS_CA', default: '(unset: system CAs)', description: 'PEM CA bundle the AMQP network\'s certificate is verified against (amqps).' },
  { name: 'REGISTRY_NOTIFICATION_AMQP_TLS_CERT', default: '(unset)', description: 'PEM client certificate for the AMQP network (amqps).' },
  { name: 'REGISTRY_NOTIFICATION_AMQP_TLS_KEY', default: '(unset)', description: 'PEM private key of that client certificate.' },
  { name: 'REGISTRY_NOTIFICATION_MAX_PENDING', default: '1000000', description: 'Undelivered notifications one outbox (one tenant\'s devices, or all tenants) may hold; a change that finds its outbox full is refused with 503 and not made, so no notification is ever dropped.' },
  { name: 'REGISTRY_NOTIFICATION_RETRY_MIN_MS', default: '500', description: 'First wait after a failed delivery; it doubles with each failure…' },
  { name: 'REGISTRY_NOTIFICATION_RETRY_MAX_MS', default: '30000', description: '…up to this many milliseconds, until the messaging system takes the notifications again.' },
  { name: 'REGISTRY_NOTIFICATION_LEASE_MS', default: '10000', description: 'Lease of an outbox: one instance delivers it at a time and renews the lease; an instance that dies leaves its outboxes to the others (or to its restart) after this long.' },
  { name: 'REGISTRY_NOTIFICATION_POLL_MS', default: '1000', description: 'How often each instance looks for outboxes with pending notifications that no instance is delivering.' },
  { name: 'REGISTRY_NOTIFICATION_SWEEP_SECONDS', default: '60', description: 'How often each instance scans every Redis node for outboxes it was not told about (after a crash between a write and its doorbell).' },
  { name: 'REGISTRY_NOTIFICATION_BACKLOG_WARN', default: '1000', description: 'A warning is logged when the undelivered notifications reach this number, and again at each tenfold.' },
] as const;

export type ConfigVariable = (typeof CONFIG_VARIABLES)[number]['name'];

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

type Env = Readonly<Record<string, string | undefined>>;

class Reader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  raw(name: ConfigVariable): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: ConfigVariable, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: ConfigVariable, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name}=${JSON.stringify(value)} must be a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(value);
  }

  bool(name: ConfigVariable, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (value !== 'true' && value !== 'false') {
      this.problems.push(`${name}=${JSON.stringify(value)} must be true or false`);
      return fallback;
    }
    return value === 'true';
  }

  /** A duration (30m, 12h, 3600 …) in seconds, within [min, max] seconds. */
  duration(name: ConfigVariable, fallback: string, min: number, max: number): number {
    const text = this.string(name, fallback);
    const seconds = parseDuration(text);
    if (seconds === undefined || seconds < min || seconds > max) {
      this.problems.push(`${name}=${JSON.stringify(text)} must be a duration like 30m, 12h or 3600, from ${min} to ${max} seconds`);
      return parseDuration(fallback) as number;
    }
    return seconds;
  }

  oneOf<T extends string>(name: ConfigVariable, fallback: T, allowed: readonly T[]): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name}=${JSON.stringify(value)} must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }
}

/** Reads and validates the configuration. Throws ConfigError listing every problem. */
export function loadConfig(env: Env): Config {
  const r = new Reader(env);
  const redisUrl = r.raw('REGISTRY_REDIS_URL');
  if (redisUrl !== undefined && !/^(rediss?|unix):\/\//.test(redisUrl)) {
    r.problems.push(`REGISTRY_REDIS_URL=${JSON.stringify(redisUrl)} must start with redis://, rediss:// or unix://`);
  }
  const cluster = parseClusterNodes(r.raw('REGISTRY_REDIS_CLUSTER_NODES'), r.problems);
  if (cluster !== undefined && redisUrl !== undefined) {
    r.problems.push('REGISTRY_REDIS_URL and REGISTRY_REDIS_CLUSTER_NODES exclude each other: set one of them');
  }
  const maxBcryptCost = r.int('REGISTRY_MAX_BCRYPT_COST', 10, 4, 31);
  const bcryptCost = r.int('REGISTRY_BCRYPT_COST', Math.min(10, maxBcryptCost), 4, 31);
  if (bcryptCost > maxBcryptCost) {
    r.problems.push(`REGISTRY_BCRYPT_COST=${bcryptCost} must not exceed REGISTRY_MAX_BCRYPT_COST=${maxBcryptCost}`);
  }
  const dataDir = r.string('REGISTRY_DATA_DIR', './data');
  const tlsCert = r.raw('REGISTRY_AMQP_TLS_CERT');
  const tlsKey = r.raw('REGISTRY_AMQP_TLS_KEY');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    r.problems.push('REGISTRY_AMQP_TLS_CERT and REGISTRY_AMQP_TLS_KEY must be set together');
  }
  const assertionSecret = r.raw('REGISTRY_ASSERTION_SECRET');
  if (assertionSecret !== undefined && assertionSecret.length < 32) {
    r.problems.push('REGISTRY_ASSERTION_SECRET must have at least 32 characters');
  }
  const accountsFile = r.raw('REGISTRY_AMQP_ACCOUNTS_FILE');
  const bindAddress = r.string('REGISTRY_BIND_ADDRESS', '127.0.0.1');
  const auth = r.oneOf<'token' | 'none'>('REGISTRY_HTTP_AUTH', 'token', ['token', 'none']);
  if (auth === 'none' && !isLoopback(bindAddress)) {
    r.problems.push(`REGISTRY_HTTP_AUTH=none is refused with the non-loopback REGISTRY_BIND_ADDRESS=${bindAddress}: anyone who can reach it could change the registry`);
  }
  const httpTlsCert = r.raw('REGISTRY_HTTP_TLS_CERT');
  const httpTlsKey = r.raw('REGISTRY_HTTP_TLS_KEY');
  if ((httpTlsCert === undefined) !== (httpTlsKey === undefined)) r.problems.push('REGISTRY_HTTP_TLS_CERT and REGISTRY_HTTP_TLS_KEY must be set together');
  const bootstrapToken = r.raw('REGISTRY_BOOTSTRAP_TOKEN');
  if (bootstrapToken !== undefined && !/^[A-Za-z0-9\-._~+/]{32,512}$/.test(bootstrapToken)) {
    r.problems.push('REGISTRY_BOOTSTRAP_TOKEN must be 32–512 characters of A-Z a-z 0-9 - . _ ~ + /');
  }
  const tokenPepper = r.raw('REGISTRY_TOKEN_PEPPER');
  if (tokenPepper !== undefined && tokenPepper.length < 32) r.problems.push('REGISTRY_TOKEN_PEPPER must have at least 32 characters');
  const maxLifetime = parseDuration(r.string('REGISTRY_TOKEN_MAX_LIFETIME', '365d'));
  if (maxLifetime === undefined) r.problems.push('REGISTRY_TOKEN_MAX_LIFETIME must be a duration like 365d, 12h or 3600');
  const maxJsonDepth = r.int('REGISTRY_JSON_MAX_DEPTH', DEFAULT_JSON_MAX_DEPTH, 4, 1000);
  const sessionIdleSeconds = r.duration('REGISTRY_SESSION_IDLE_TIMEOUT', '30m', 60, 86400);
  const sessionMaxSeconds = r.duration('REGISTRY_SESSION_MAX_LIFETIME', '12h', 60, 30 * 86400);
  if (sessionMaxSeconds < sessionIdleSeconds) r.problems.push('REGISTRY_SESSION_MAX_LIFETIME must not be shorter than REGISTRY_SESSION_IDLE_TIMEOUT');
  const config: Config = {
    notifications: readNotifications(r),
    http: {
      port: r.int('REGISTRY_HTTP_PORT', 28080, 0, 65535),
      bindAddress,
      maxBodyBytes: r.int('REGISTRY_HTTP_MAX_BODY_BYTES', 65536, 1024, 16 * 1024 * 1024),
      maxBulkBodyBytes: r.int('REGISTRY_HTTP_MAX_BULK_BODY_BYTES', 4 * 1024 * 1024, 1024, 64 * 1024 * 1024),
      maxJsonDepth,
      auth,
      tlsCert: httpTlsCert,
      tlsKey: httpTlsKey,
      metrics: r.oneOf<'on' | 'off'>('REGISTRY_METRICS', 'on', ['on', 'off']) === 'on',
      headersTimeoutMs: r.int('REGISTRY_HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000),
      requestTimeoutMs: r.int('REGISTRY_HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
      keepAliveTimeoutMs: r.int('REGISTRY_HTTP_KEEP_ALIVE_TIMEOUT_MS', 5000, 100, 600_000),
      maxHeaderBytes: r.int('REGISTRY_HTTP_MAX_HEADER_BYTES', 16_384, 1024, 1024 * 1024),
      maxConnections: r.int('REGISTRY_HTTP_MAX_CONNECTIONS', 1024, 1, 1_000_000),
    },
    security: {
      bootstrapToken,
      tokenPepper,
      tokenMaxLifetimeSeconds: maxLifetime ?? 365 * 86400,
      authFailureLimit: r.int('REGISTRY_AUTH_FAILURE_LIMIT', 5, 1, 1000),
      authFailureWindowSeconds: r.int('REGISTRY_AUTH_FAILURE_WINDOW_SECONDS', 60, 1, 86400),
      authBlockSeconds: r.int('REGISTRY_AUTH_BLOCK_SECONDS', 300, 1, 86400),
      sessionIdleSeconds,
      sessionMaxSeconds,
    },
    redis: {
      url: redisUrl,
      cluster,
      dataDir,
      serverBinary: r.string('REGISTRY_REDIS_SERVER', 'redis-server'),
      commandTimeoutMs: r.int('REGISTRY_REDIS_COMMAND_TIMEOUT_MS', 1000, 50, 60000),
    },
    amqp: {
      port: r.int('REGISTRY_AMQP_PORT', 5672, 0, 65535),
      tlsPort: r.int('REGISTRY_AMQPS_PORT', 5671, 0, 65535),
      tlsCert,
      tlsKey,
      tlsClientCa: r.raw('REGISTRY_AMQP_TLS_CLIENT_CA'),
      accountsFile: accountsFile ?? join(dataDir, 'amqp-accounts.json'),
      accountsFileConfigured: accountsFile !== undefined,
      anonymous: r.bool('REGISTRY_AMQP_ANONYMOUS', false),
      honoApi: r.oneOf<HonoApiProfile>('REGISTRY_HONO_API', 'legacy', ['legacy', '1.x']),
      credit: r.int('REGISTRY_AMQP_CREDIT', 100, 1, 10_000),
      maxFrameSize: r.int('REGISTRY_AMQP_MAX_FRAME_SIZE', 16384, 512, 1024 * 1024),
      maxMessageSize: r.int('REGISTRY_AMQP_MAX_MESSAGE_SIZE', 65536, 1024, 16 * 1024 * 1024),
      maxJsonDepth,
      idleTimeoutMs: r.int('REGISTRY_AMQP_IDLE_TIMEOUT_MS', 30000, 1000, 3_600_000),
      maxLinksPerConnection: r.int('REGISTRY_AMQP_MAX_LINKS', 256, 2, 65536),
      maxSessionsPerConnection: r.int('REGISTRY_AMQP_MAX_SESSIONS', 32, 1, 65536),
      login: {
        concurrency: r.int('REGISTRY_AMQP_LOGIN_CONCURRENCY', 2, 1, 64),
        queue: r.int('REGISTRY_AMQP_LOGIN_QUEUE', 64, 1, 100_000),
        pendingPerAddress: r.int('REGISTRY_AMQP_LOGIN_PENDING_PER_ADDRESS', 8, 1, 10_000),
        failuresPerMinute: r.int('REGISTRY_AMQP_LOGIN_FAILURES_PER_MINUTE', 20, 1, 1_000_000),
      },
      maxConnections: r.int('REGISTRY_AMQP_MAX_CONNECTIONS', 1024, 1, 1_000_000),
      openTimeoutMs: r.int('REGISTRY_AMQP_OPEN_TIMEOUT_MS', 10_000, 100, 600_000),
      cacheMaxAge: r.int('REGISTRY_CACHE_MAX_AGE', 180, 0, 86400 * 365),
      assertionSecret,
      assertionLifetime: r.int('REGISTRY_ASSERTION_LIFETIME', 600, 1, 86400 * 365),
    },
    credentials: { maxBcryptCost, bcryptCost },
    console: { sampleSeconds: r.int('REGISTRY_CONSOLE_SAMPLE_SECONDS', 5, 1, 300) },
    search: { scanLimit: r.int('REGISTRY_SEARCH_SCAN_LIMIT', 20_000, 100, 10_000_000) },
    maxJsonDepth,
    logLevel: r.oneOf('REGISTRY_LOG_LEVEL', 'info', LOG_LEVELS),
    logFormat: r.oneOf<LogFormat>('REGISTRY_LOG_FORMAT', 'auto', ['auto', 'json', 'pretty']),
    shutdownGraceMs: r.int('REGISTRY_SHUTDOWN_GRACE_MS', 3000, 0, 600_000),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

/** TLS files of one messaging client, from its *_TLS_CA / _CERT / _KEY variables. */
function clientTls(r: Reader, prefix: 'KAFKA' | 'AMQP'): ClientTlsConfig {
  const tls = {
    caFile: r.raw(`REGISTRY_NOTIFICATION_${prefix}_TLS_CA`),
    certFile: r.raw(`REGISTRY_NOTIFICATION_${prefix}_TLS_CERT`),
    keyFile: r.raw(`REGISTRY_NOTIFICATION_${prefix}_TLS_KEY`),
  };
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) r.problems.push(`REGISTRY_NOTIFICATION_${prefix}_TLS_CERT and REGISTRY_NOTIFICATION_${prefix}_TLS_KEY must be set together`);
  return tls;
}

function readKafka(r: Reader): KafkaNotificationConfig | undefined {
  const brokers = r.raw('REGISTRY_NOTIFICATION_KAFKA_BROKERS')?.split(',').map((b) => b.trim());
  if (brokers === undefined) return undefined;
  for (const broker of brokers) if (HOST_PORT.exec(broker) === null) r.problems.push(`REGISTRY_NOTIFICATION_KAFKA_BROKERS: ${JSON.stringify(broker)} is not host:port`);
  const tls = clientTls(r, 'KAFKA');
  const tlsOn = r.bool('REGISTRY_NOTIFICATION_KAFKA_TLS', false) || Object.values(tls).some((v) => v !== undefined);
  const mechanism = r.raw('REGISTRY_NOTIFICATION_KAFKA_SASL_MECHANISM') === undefined ? undefined : r.oneOf<KafkaSaslMechanism>('REGISTRY_NOTIFICATION_KAFKA_SASL_MECHANISM', 'plain', ['plain', 'scram-sha-256', 'scram-sha-512']);
  const username = r.raw('REGISTRY_NOTIFICATION_KAFKA_SASL_USERNAME');
  const password = r.raw('REGISTRY_NOTIFICATION_KAFKA_SASL_PASSWORD');
  if (mechanism !== undefined && (username === undefined || password === undefined)) r.problems.push('REGISTRY_NOTIFICATION_KAFKA_SASL_MECHANISM needs REGISTRY_NOTIFICATION_KAFKA_SASL_USERNAME and REGISTRY_NOTIFICATION_KAFKA_SASL_PASSWORD');
  if (mechanism === undefined && username !== undefined) r.problems.push('REGISTRY_NOTIFICATION_KAFKA_SASL_USERNAME needs REGISTRY_NOTIFICATION_KAFKA_SASL_MECHANISM');
  return {
    brokers,
    clientId: r.string('REGISTRY_NOTIFICATION_KAFKA_CLIENT_ID', 'device-registry'),
    tls: tlsOn ? tls : undefined,
    sasl: mechanism === undefined ? undefined : { mechanism, username: username ?? '', password: password ?? '' },
  };
}

function readAmqp(r: Reader): AmqpNotificationConfig | undefined {
  const raw = r.raw('REGISTRY_NOTIFICATION_AMQP_URL');
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || !['amqp:', 'amqps:'].includes(url.protocol) || url.hostname === '' || !['', '/'].includes(url.pathname)) {
    // The URL may carry a password: it is not repeated.
    r.problems.push('REGISTRY_NOTIFICATION_AMQP_URL must be amqp://[user:password@]host[:port] or amqps://…');
    return undefined;
  }
  const secure = url.protocol === 'amqps:';
  const tls = clientTls(r, 'AMQP');
  const username = r.raw('REGISTRY_NOTIFICATION_AMQP_USERNAME') ?? (url.username === '' ? undefined : decodeURIComponent(url.username));
  const password = r.raw('REGISTRY_NOTIFICATION_AMQP_PASSWORD') ?? (url.password === '' ? undefined : decodeURIComponent(url.password));
  if ((username === undefined) !== (password === undefined)) r.problems.push('the AMQP notification user name and password must be given together');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: url.port === '' ? (secure ? 5671 : 5672) : Number(url.port), tls: secure ? tls : undefined, username, password };
}

function readNotifications(r: Reader): NotificationConfig | undefined {
  const kafka = readKafka(r);
  const amqp = readAmqp(r);
  const retryMinMs = r.int('REGISTRY_NOTIFICATION_RETRY_MIN_MS', 500, 10, 600_000);
  const retryMaxMs = r.int('REGISTRY_NOTIFICATION_RETRY_MAX_MS', 30_000, 10, 3_600_000);
  if (retryMaxMs < retryMinMs) r.problems.push('REGISTRY_NOTIFICATION_RETRY_MAX_MS must not be below REGISTRY_NOTIFICATION_RETRY_MIN_MS');
  const settings = {
    maxPending: r.int('REGISTRY_NOTIFICATION_MAX_PENDING', 1_000_000, 1, 1_000_000_000),
    retryMinMs,
    retryMaxMs,
    leaseMs: r.int('REGISTRY_NOTIFICATION_LEASE_MS', 10_000, 500, 600_000),
    pollMs: r.int('REGISTRY_NOTIFICATION_POLL_MS', 1000, 10, 600_000),
    sweepMs: r.int('REGISTRY_NOTIFICATION_SWEEP_SECONDS', 60, 1, 86_400) * 1000,
    backlogWarn: r.int('REGISTRY_NOTIFICATION_BACKLOG_WARN', 1000, 1, 1_000_000_000),
  };
  return kafka === undefined && amqp === undefined ? undefined : { kafka, amqp, ...settings };
}

const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)):(\d{1,5})$/;

/** One seed entry: `host:port`, or `redis://[user[:password]@]host:port` carrying credentials. */
function parseSeed(entry: string): { node: RedisNode; username?: string; password?: string } | undefined {
  let hostPort = entry;
  let credentials: { username?: string; password?: string } = {};
  if (entry.startsWith('redis://')) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return undefined;
    }
    if (!['', '/'].includes(url.pathname) || url.search !== '' || url.hash !== '' || url.port === '') return undefined;
    hostPort = `${url.hostname}:${url.port}`;
    credentials = {
      ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
      ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    };
  }
  const match = HOST_PORT.exec(hostPort);
  const port = Number(match?.[3]);
  if (match === null || port < 1 || port > 65535) return undefined;
  return { node: { host: (match[1] ?? match[2]) as string, port }, ...credentials };
}

/**
 * `host:port,host:port,…` (IPv6 hosts in brackets; an entry may be `redis://user:password@host:port`,
 * whose credentials then apply to every node) into the cluster's seeds; problems are added to
 * `problems`. Undefined when the variable is unset.
 */
export function parseClusterNodes(value: string | undefined, problems: string[]): RedisClusterConfig | undefined {
  if (value === undefined) return undefined;
  const nodes: RedisNode[] = [];
  const credentials = new Set<string>();
  let cluster: RedisClusterConfig = { nodes };
  for (const entry of value.split(',').map((e) => e.trim())) {
    const seed = parseSeed(entry);
    if (seed === undefined) {
      // The entry may hold a password: it is named only when it has none.
      const shown = entry.includes('@') ? 'an entry with credentials' : JSON.stringify(entry);
      problems.push(`REGISTRY_REDIS_CLUSTER_NODES: ${shown} is not host:port (a host name or address, then a port from 1 to 65535; IPv6 in brackets) or redis://[user:password@]host:port`);
      continue;
    }
    const { node, ...auth } = seed;
    if (Object.keys(auth).length > 0) {
      credentials.add(JSON.stringify(auth));
      cluster = { ...cluster, ...auth };
    }
    if (!nodes.some((n) => n.host === node.host && n.port === node.port)) nodes.push(node);
  }
  if (credentials.size > 1) problems.push('REGISTRY_REDIS_CLUSTER_NODES: the entries carry different credentials; give them once, or the same on each');
  return cluster;
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
