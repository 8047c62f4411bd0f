/**
 * The only module that reads the environment. `loadConfig(env)` parses, validates and defaults
 * every `REGISTRY_*` variable and returns a frozen, typed Config; every problem found is
 * reported together in one ConfigError.
 */

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface HttpConfig {
  readonly port: number;
  readonly bindAddress: string;
  /** Largest accepted request body, in bytes (413 above). */
  readonly maxBodyBytes: number;
}

export interface RedisConfig {
  /** `redis://` / `rediss://` / `unix://` URL of an external Redis; undefined = embedded Redis. */
  readonly url: string | undefined;
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

export interface Config {
  readonly http: HttpConfig;
  readonly redis: RedisConfig;
  readonly credentials: CredentialsConfig;
  readonly logLevel: LogLevel;
}

/** One row per variable: the README's configuration table is checked against this list. */
export const CONFIG_VARIABLES = [
  { name: 'REGISTRY_HTTP_PORT', default: '28080', description: 'TCP port of the HTTP management API (0 picks a free port).' },
  { name: 'REGISTRY_BIND_ADDRESS', default: '127.0.0.1', description: 'Address the HTTP listener binds to.' },
  { name: 'REGISTRY_HTTP_MAX_BODY_BYTES', default: '65536', description: 'Largest accepted HTTP request body in bytes; larger bodies get 413.' },
  { name: 'REGISTRY_REDIS_URL', default: '(unset: embedded Redis)', description: 'URL of an external Redis (`redis://host:port/db`, `rediss://…`, `unix:///path.sock`). Unset: the registry spawns its own redis-server.' },
  { name: 'REGISTRY_DATA_DIR', default: './data', description: 'Directory of the embedded Redis (append-only file, socket, pid file).' },
  { name: 'REGISTRY_REDIS_SERVER', default: 'redis-server', description: 'The redis-server binary the embedded mode starts.' },
  { name: 'REGISTRY_REDIS_COMMAND_TIMEOUT_MS', default: '1000', description: 'A Redis command without an answer after this many milliseconds fails with 503.' },
  { name: 'REGISTRY_MAX_BCRYPT_COST', default: '10', description: 'Highest bcrypt cost accepted in a `hashed-password` secret (4–31); higher costs are rejected with 400.' },
  { name: 'REGISTRY_BCRYPT_COST', default: '10', description: 'bcrypt cost used to hash `pwd-plain` secrets (4 to REGISTRY_MAX_BCRYPT_COST).' },
  { name: 'REGISTRY_LOG_LEVEL', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent.' },
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
  const maxBcryptCost = r.int('REGISTRY_MAX_BCRYPT_COST', 10, 4, 31);
  const bcryptCost = r.int('REGISTRY_BCRYPT_COST', Math.min(10, maxBcryptCost), 4, 31);
  if (bcryptCost > maxBcryptCost) {
    r.problems.push(`REGISTRY_BCRYPT_COST=${bcryptCost} must not exceed REGISTRY_MAX_BCRYPT_COST=${maxBcryptCost}`);
  }
  const config: Config = {
    http: {
      port: r.int('REGISTRY_HTTP_PORT', 28080, 0, 65535),
      bindAddress: r.string('REGISTRY_BIND_ADDRESS', '127.0.0.1'),
      maxBodyBytes: r.int('REGISTRY_HTTP_MAX_BODY_BYTES', 65536, 1024, 16 * 1024 * 1024),
    },
    redis: {
      url: redisUrl,
      dataDir: r.string('REGISTRY_DATA_DIR', './data'),
      serverBinary: r.string('REGISTRY_REDIS_SERVER', 'redis-server'),
      commandTimeoutMs: r.int('REGISTRY_REDIS_COMMAND_TIMEOUT_MS', 1000, 50, 60000),
    },
    credentials: { maxBcryptCost, bcryptCost },
    logLevel: r.oneOf('REGISTRY_LOG_LEVEL', 'info', LOG_LEVELS),
  };
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
