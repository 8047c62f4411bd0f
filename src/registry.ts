/**
 * Composition root: builds the store, the services and the listeners from a Config, and stops
 * them in reverse order.
 */
import type { Config } from './config.js';
import { RegistryError } from './errors.js';
import type { Logger } from './log.js';
import { startLookupHistory } from './lookup-history.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createFirstAccountsFile, loadAccounts, type AccountBook } from './amqp/accounts.js';
import { startAmqpServer, type AmqpServer } from './amqp/server.js';
import { createHttpApp, startHttpServer, type HttpServer } from './http/app.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { newTokenValue } from './model/tokens.js';
import { startNotifications, type Deliverer } from './notifications/index.js';
import { loadOrCreateSecret, writeSecretFile } from './secrets.js';
import { createServices, type ServiceOptions, type Services } from './service/index.js';
import { createBcryptHasher } from './service/password-hasher.js';
import { startEmbeddedRedis, type EmbeddedRedis } from './store/embedded-redis.js';
import { connectRedis, connectRedisCluster, createRedisStore, type CommandObserver, type RedisClient } from './store/redis.js';
import type { Store } from './store/store.js';

/** The tenant a fresh store holds, as the seed documents' examples assume. */
export const DEFAULT_TENANT = 'DEFAULT_TENANT';

/** The account a first start creates for protocol adapters (Hono's naming: user@realm). */
export const FIRST_ADAPTER_ACCOUNT = 'protocol-adapter@HONO';

export interface Registry {
  readonly httpPort: number;
  readonly amqpPort: number;
  readonly amqpsPort: number | undefined;
  /** The Redis in use: its URL, or the seed nodes of the cluster (`host:port,…`). */
  readonly redisUrl: string;
  readonly services: Services;
  readonly metrics: Metrics;
  stop(): Promise<void>;
}

/** Creates DEFAULT_TENANT the first time a store is used; later deletions of it are respected. */
async function seedFreshStore(store: Store, services: Services, log: Logger): Promise<void> {
  if (await store.isInitialised()) return;
  try {
    await services.tenants.create({ 'tenant-id': DEFAULT_TENANT });
    log.info({ tenant: DEFAULT_TENANT }, 'fresh store: created the default tenant');
  } catch (err) {
    if (!(err instanceof RegistryError && err.code === 'CONFLICT')) throw err;
  }
  await store.markInitialised();
}

/** The AMQP accounts: the configured file, or the default one, created with a first account when missing. */
function prepareAccounts(config: Config, log: Logger): AccountBook | undefined {
  const { accountsFile, accountsFileConfigured, anonymous } = config.amqp;
  if (!existsSync(accountsFile)) {
    if (accountsFileConfigured) throw new RegistryError('BAD_REQUEST', `REGISTRY_AMQP_ACCOUNTS_FILE ${accountsFile} does not exist`);
    if (anonymous) return undefined;
    const passwordFile = createFirstAccountsFile(accountsFile, FIRST_ADAPTER_ACCOUNT);
    log.warn({ accountsFile, passwordFile, username: FIRST_ADAPTER_ACCOUNT }, `created the AMQP accounts file with the account ${FIRST_ADAPTER_ACCOUNT}; its password is in ${passwordFile}`);
  }
  return loadAccounts(accountsFile);
}

/** The pepper of the token hashes: configured, or a 0600 file in the data directory. */
function tokenPepper(config: Config): Buffer {
  return config.security.tokenPepper !== undefined
    ? Buffer.from(config.security.tokenPepper, 'utf8')
    : loadOrCreateSecret(join(config.redis.dataDir, 'token-pepper'));
}

/**
 * Makes sure somebody can call the management API: the bootstrap token when configured, and on a
 * first start of the embedded default with no token at all, an admin token in a 0600 file.
 */
async function prepareTokens(config: Config, services: Services, log: Logger): Promise<void> {
  if (config.http.auth === 'none') {
    log.warn(`REGISTRY_HTTP_AUTH=none: the management API on ${config.http.bindAddress} accepts every request without authentication`);
    return;
  }
  const everything = { scopes: ['*'] as const, tenants: ['*'], lifetimeSeconds: config.security.tokenMaxLifetimeSeconds };
  if (config.security.bootstrapToken !== undefined) {
    await services.tokens.ensure(config.security.bootstrapToken, { ...everything, id: 'tok_bootstrap', description: 'REGISTRY_BOOTSTRAP_TOKEN', createdBy: 'bootstrap' });
  }
  if (embeddedRedis(config) && !(await services.tokens.anyExists())) {
    const value = newTokenValue();
    const file = join(config.redis.dataDir, 'admin-token');
    await services.tokens.ensure(value, { ...everything, id: 'tok_first_admin', description: 'created on the first start', createdBy: 'first-start' });
    writeSecretFile(file, value);
    log.warn({ file }, `created an admin token for the management API; it is in ${file} (use it as "Authorization: Bearer <token>")`);
  }
}

/** The options of the service layer, from the configuration. */
export function serviceOptions(config: Config, log: Logger, metrics?: Metrics): ServiceOptions {
  return {
    maxBcryptCost: config.credentials.maxBcryptCost,
    search: config.search,
    hasher: createBcryptHasher(config.credentials.bcryptCost, metrics === undefined ? undefined : (seconds) => metrics.bcrypt('hash', seconds)),
    tokens: {
      pepper: tokenPepper(config),
      maxLifetimeSeconds: config.security.tokenMaxLifetimeSeconds,
      limiter: {
        limit: config.security.authFailureLimit,
        windowMs: config.security.authFailureWindowSeconds * 1000,
        blockMs: config.security.authBlockSeconds * 1000,
      },
      onBlocked: (address, blockedMs) =>
        log.warn(
          { address, seconds: Math.ceil(blockedMs / 1000) },
          `blocking ${address}: ${config.security.authFailureLimit} failed authentications within ${config.security.authFailureWindowSeconds} s; its failed attempts get 429 (valid tokens still pass)`,
        ),
    },
    sessions: { idleSeconds: config.security.sessionIdleSeconds, maxSeconds: config.security.sessionMaxSeconds },
    onAuditError: (err) => log.error({ err }, 'could not write an audit entry'),
  };
}

/** True when no external Redis (server or cluster) is configured: the registry runs its own. */
function embeddedRedis(config: Config): boolean {
  return config.redis.url === undefined && config.redis.cluster === undefined;
}

/** Connects to the cluster of the configuration, or to the Redis server at `url`. */
function connectClient(config: Config, url: string, log: Logger, observe?: CommandObserver): Promise<RedisClient> {
  const { cluster, commandTimeoutMs } = config.redis;
  return cluster === undefined ? connectRedis(url, commandTimeoutMs, log, observe) : connectRedisCluster(cluster, commandTimeoutMs, log, observe);
}

/** The seed nodes of a configured cluster as `host:port,…`, or undefined. */
function clusterSeeds(config: Config): string | undefined {
  return config.redis.cluster?.nodes.map(({ host, port }) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`)).join(',');
}

/**
 * Opens the store for a command-line tool: the external Redis, the socket of a running embedded
 * Redis, or an embedded Redis started for the duration of the command.
 */
export async function openStore(config: Config, log: Logger): Promise<{ store: Store; close(): Promise<void> }> {
  let url = config.redis.url ?? clusterSeeds(config);
  let embedded: EmbeddedRedis | undefined;
  if (url === undefined) {
    const socket = join(config.redis.dataDir, 'redis.sock');
    if (existsSync(socket)) url = `unix://${socket}`;
    else {
      embedded = await startEmbeddedRedis(config.redis.dataDir, config.redis.serverBinary, log);
      url = embedded.url;
    }
  }
  try {
    // Writes of a tool (import) announce their changes too; a running registry instance delivers them.
    const notifications = config.notifications;
    const store = createRedisStore(await connectClient(config, url, log), notifications === undefined ? {} : { outbox: { maxPending: notifications.maxPending } });
    return {
      store,
      async close() {
        await store.close();
        await embedded?.stop();
      },
    };
  } catch (err) {
    await embedded?.stop();
    throw err;
  }
}

/** Starts the registry. On failure everything already started is stopped again. */
export async function startRegistry(config: Config, log: Logger): Promise<Registry> {
  const stops: (() => Promise<void>)[] = [];
  const metrics = createMetrics();
  // /ready answers 503 until every listener is up, and again from the moment stopping begins.
  let listening = false;
  const stopAll = async () => {
    listening = false;
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => log.warn({ err }, 'error while stopping'));
  };
  try {
    let redisUrl = config.redis.url ?? clusterSeeds(config);
    if (redisUrl === undefined) {
      const embedded: EmbeddedRedis = await startEmbeddedRedis(config.redis.dataDir, config.redis.serverBinary, log.child({ layer: 'redis' }));
      stops.push(() => embedded.stop());
      redisUrl = embedded.url;
    }
    const client = await connectClient(config, redisUrl, log.child({ layer: 'store' }), metrics.redisCommand);
    const notifications = config.notifications;
    let deliverer: Deliverer | undefined;
    const outbox = notifications === undefined ? undefined : { maxPending: notifications.maxPending, appended: (key: string) => deliverer?.kick(key) };
    const store = createRedisStore(client, outbox === undefined ? {} : { outbox });
    stops.push(() => store.close());
    if (notifications !== undefined) {
      const started = startNotifications(store, notifications, log.child({ layer: 'notifications' }), metrics);
      deliverer = started;
      stops.push(() => started.stop());
    }
    await store.recover();
    const services = createServices(store, serviceOptions(config, log, metrics));
    await seedFreshStore(store, services, log);
    await prepareTokens(config, services, log);
    const ready = async () => {
      if (!listening) throw new RegistryError('UNAVAILABLE', 'the listeners are not up');
      await services.health.ready();
    };
    const lookups = startLookupHistory(() => metrics.lookupTotals(), config.console.sampleSeconds);
    stops.push(async () => lookups.stop());
    const app = createHttpApp(services, config.http, log.child({ layer: 'http' }), { metrics, serveMetrics: config.http.metrics, ready, lookups });
    const http: HttpServer = await startHttpServer(app, config.http);
    const stopHttp = () => http.close(config.shutdownGraceMs);
    stops.push(stopHttp);
    log.info({ address: `http://${config.http.bindAddress}:${http.port}` }, 'HTTP management API listening');
    const accounts = prepareAccounts(config, log);
    const amqp: AmqpServer = await startAmqpServer(services, config.amqp, config.http.bindAddress, accounts, log.child({ layer: 'amqp' }), metrics);
    // Both faces drain their in-flight requests at the same time, within one grace period.
    stops[stops.indexOf(stopHttp)] = async () => void (await Promise.all([stopHttp(), amqp.close(config.shutdownGraceMs)]));
    listening = true;
    log.info(
      { address: `amqp://${config.http.bindAddress}:${amqp.port}`, ...(amqp.tlsPort === undefined ? {} : { tls: `amqps://${config.http.bindAddress}:${amqp.tlsPort}` }), profile: config.amqp.honoApi },
      `AMQP 1.0 listening; authenticate with SASL PLAIN as a user of ${config.amqp.accountsFile}${config.amqp.anonymous ? ' or ANONYMOUS' : ''}`,
    );
    return { httpPort: http.port, amqpPort: amqp.port, amqpsPort: amqp.tlsPort, redisUrl, services, metrics, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
