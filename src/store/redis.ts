/**
 * The Redis implementation of the Store. The only module that imports ioredis; every driver
 * failure is converted to a RegistryError here (lost connection, timeout, cluster down: 503).
 */
import { createHash } from 'node:crypto';
import { Cluster, Redis, ReplyError, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisClusterConfig } from '../config.js';
import { RegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import { keys, outboxFor } from './keys.js';
import * as deviceLua from './lua/device-scripts.js';
import * as credentialsLua from './lua/credentials-scripts.js';
import * as outbox from './lua/outbox.js';
import * as lua from './lua/scripts.js';
import * as security from './lua/security-scripts.js';
import * as tenantScripts from './lua/tenant-scripts.js';
import * as transfer from './lua/transfer-scripts.js';
import { checkConsistency } from './redis-consistency.js';
import { createCredentialsSetRecords, recoverCredentialsSearch } from './redis-credentials.js';
import { createOutboxStore, type StreamScanner } from './redis-outbox.js';
import { createCredentialsRecords, createDeviceRecords, type RecordsContext } from './redis-records.js';
import { createDeviceIndexStore, indexUnindexedTenants } from './redis-device-index.js';
import { watchCommands, type CommandObserver, type WatchableConnection } from './redis-watchdog.js';
import { createSecurityStore, type RunScript } from './redis-security.js';
import { createTenantRecords, recoverTenants } from './redis-tenants.js';
import { createTransferStore } from './redis-transfer.js';
import type { LuaScript } from './lua/scripts.js';
import type { RedisStatus, Store } from './store.js';

export interface RedisStoreOptions {
  /** `redis://…`, `rediss://…` or `unix:///path`. */
  readonly url: string;
  readonly commandTimeoutMs: number;
  /** Fields removed per command when a tenant's data is purged. */
  readonly purgeBatchSize?: number;
}

/** A connection to one Redis server, or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

const TRANSIENT_REPLY = /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|BUSY)\b/;

/**
 * Maps any error from ioredis onto the registry's error type. The cause keeps only the driver's
 * message: ioredis errors carry the command's arguments (credential records, token hashes), which
 * must never reach a log line.
 */
export function mapDriverError(err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const cause = new Error(message.split('\n')[0]);
  if (err instanceof ReplyError && !TRANSIENT_REPLY.test(message)) {
    return new RegistryError('INTERNAL', 'unexpected reply from Redis', { cause });
  }
  // Connection refused/closed, offline queue disabled, command timeout, transient replies.
  return new RegistryError('UNAVAILABLE', 'Redis is unavailable', { cause });
}

function clientOptions(url: string, commandTimeoutMs: number): RedisOptions {
  const common: RedisOptions = {
    // Fail fast instead of queueing while disconnected: callers get 503 at once.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // No commandTimeout (a timer per command): watchClient times every connection's commands out.
    connectTimeout: Math.max(commandTimeoutMs, 1000),
    retryStrategy: (attempt: number) => Math.min(50 * attempt, 1000),
    lazyConnect: true,
  };
  if (url.startsWith('unix://')) return { ...common, path: url.slice('unix://'.length) };
  return common;
}

export type { CommandObserver } from './redis-watchdog.js';

/**
 * Times every command a cluster client sends, through the command's promise: a command may be
 * redirected from node to node, so it is observed once, here, from its first send to its outcome.
 */
function observeClusterCommands(client: Cluster, observe: CommandObserver): void {
  // Every argument is passed on: a cluster's pipelines add the node (slot) their commands go to.
  const send = client.sendCommand.bind(client) as (command: Parameters<Redis['sendCommand']>[0], ...rest: unknown[]) => unknown;
  client.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], ...rest: unknown[]) => {
    const started = performance.now();
    command.promise.then(
      () => observe(command.name, (performance.now() - started) / 1000, false),
      () => observe(command.name, (performance.now() - started) / 1000, true),
    );
    return send(command, ...rest);
  }) as typeof client.sendCommand;
}

/**
 * The commands a server connection is given in one event-loop turn (many AMQP lookups at once) go
 * out in one write at the end of the turn, and their replies come back in one read: fewer
 * syscalls per request and a fifth of Redis' CPU, with the same round trips. The socket is corked
 * at the turn's first command and uncorked on setImmediate. (ioredis' auto-pipelining does the same
 * through a Pipeline, a second command, promise and callback per command: bench/README.md.)
 */
function batchWrites(client: Redis): void {
  let corked: { uncork(): void } | undefined;
  const uncork = () => {
    corked?.uncork();
    corked = undefined;
  };
  const send = client.sendCommand.bind(client) as (command: Parameters<Redis['sendCommand']>[0], ...rest: unknown[]) => unknown;
  client.sendCommand = ((command: Parameters<Redis['sendCommand']>[0], ...rest: unknown[]) => {
    const socket = client.stream as (typeof client.stream & { writable?: boolean }) | undefined;
    if (corked === undefined && socket?.writable === true) {
      socket.cork();
      corked = socket;
      setImmediate(uncork);
    }
    return send(command, ...rest);
  }) as typeof client.sendCommand;
}

/**
 * The command timeout and metrics of a client: one watchdog per connection (redis-watchdog.ts). A
 * server's connection observes its commands per read; a cluster's node connections only time
 * commands out (a redirected command is still timed from its first send, by the node it went to
 * first), and the cluster client observes each command once.
 */
function watchClient(client: RedisClient, commandTimeoutMs: number, observe: CommandObserver | undefined): void {
  const watch = (connection: Redis, observer?: CommandObserver) => watchCommands(connection as unknown as WatchableConnection, commandTimeoutMs, observer);
  if (!(client instanceof Cluster)) {
    watch(client, observe);
    batchWrites(client);
    return;
  }
  // Node connections are made as the cluster needs them (and again after a failover).
  client.on('+node', (node: Redis) => watch(node));
  if (observe !== undefined) observeClusterCommands(client, observe);
}

/**
 * Options of a Redis Cluster client. Each node connection gets the standalone options (no retries
 * per request) and a watchdog (watchClient); the cluster itself rejects commands at once while it
 * is not ready. MOVED/ASK are followed, and TRYAGAIN, CLUSTERDOWN and a lost node (failover) are
 * retried after a short delay, all within the command timeout that started with the first send
 * (the first node's watchdog keeps the command until it is settled): a command
 * that cannot be served fails with 503 after about REGISTRY_REDIS_COMMAND_TIMEOUT_MS, never hangs.
 */
function clusterOptions(cluster: RedisClusterConfig, commandTimeoutMs: number): ClusterOptions {
  const { lazyConnect: _lazy, retryStrategy: _retry, ...standalone } = clientOptions('redis://', commandTimeoutMs);
  const node: RedisOptions = { ...standalone, username: cluster.username, password: cluster.password };
  const retryDelay = Math.max(20, Math.min(100, Math.floor(commandTimeoutMs / 10)));
  return {
    redisOptions: node,
    enableOfflineQueue: false,
    lazyConnect: true,
    // Seed nodes and slot owners are retried; a client whose whole cluster is gone keeps trying.
    clusterRetryStrategy: (attempt: number) => Math.min(50 * attempt, 1000),
    retryDelayOnFailover: retryDelay,
    retryDelayOnClusterDown: retryDelay,
    retryDelayOnTryAgain: retryDelay,
    slotsRefreshTimeout: Math.max(commandTimeoutMs, 1000),
    // Catch slot moves and failovers that no redirection reported.
    slotsRefreshInterval: 5000,
  };
}

/** Logs connection problems once per distinct message, and the recovery. */
function watchConnection(client: RedisClient, log: Logger): void {
  let lastError = '';
  const problem = (err: Error) => {
    if (err.message !== lastError) log.warn({ err: err.message }, 'redis connection problem');
    lastError = err.message;
  };
  client.on('error', problem);
  client.on('node error', problem);
  client.on('ready', () => {
    if (lastError !== '') log.info('redis connection restored');
    lastError = '';
  });
}

/**
 * Every (re)connection loads the scripts, so EVALSHA finds them (no NOSCRIPT round trip after a
 * Redis restart): on a server, at each `ready`; on a cluster, on each node connection as it gets
 * ready (script caches are per node; a promoted replica gets them too). A failed load only costs
 * that fallback: ScriptRunner still handles NOSCRIPT. Resolves when the first load is done.
 */
function preloadScripts(client: RedisClient, log: Logger): () => Promise<void> {
  const load = (node: Redis) =>
    loadScripts(node).catch((err: unknown) => log.warn({ err: String((err as Error).message ?? err).split('\n')[0] }, 'could not load the Lua scripts; they load on first use'));
  if (client instanceof Cluster) {
    // A node connection never reconnects (the cluster client makes a new one), so once per node.
    const loads = new WeakMap<Redis, Promise<void>>();
    const once = (node: Redis): Promise<void> => loads.get(node) ?? loads.set(node, load(node)).get(node) ?? Promise.resolve();
    client.on('+node', (node: Redis) => node.once('ready', () => void once(node)));
    return async () => void (await Promise.all(client.nodes('master').map(once)));
  }
  let loaded: Promise<void> = Promise.resolve();
  client.on('ready', () => (loaded = load(client)));
  return () => loaded;
}

/** Connects and resolves once the client is ready. UNAVAILABLE when Redis cannot be reached. */
async function open<C extends RedisClient>(client: C, log: Logger, commandTimeoutMs: number, observe: CommandObserver | undefined): Promise<C> {
  watchConnection(client, log);
  watchClient(client, commandTimeoutMs, observe);
  const scriptsLoaded = preloadScripts(client, log);
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw mapDriverError(err);
  }
  await scriptsLoaded();
  return client;
}

/** Opens a connection and resolves once it is ready. UNAVAILABLE when Redis cannot be reached. */
export async function connectRedis(url: string, commandTimeoutMs: number, log: Logger, observe?: CommandObserver): Promise<Redis> {
  const options = clientOptions(url, commandTimeoutMs);
  return open(url.startsWith('unix://') ? new Redis(options) : new Redis(url, options), log, commandTimeoutMs, observe);
}

/** Opens a Redis Cluster client from seed nodes; resolves once the slot map is known. */
export async function connectRedisCluster(cluster: RedisClusterConfig, commandTimeoutMs: number, log: Logger, observe?: CommandObserver): Promise<Cluster> {
  return open(new Cluster(cluster.nodes.map(({ host, port }) => ({ host, port })), clusterOptions(cluster, commandTimeoutMs)), log, commandTimeoutMs, observe);
}

/**
 * Readiness of a cluster: the node asked reports `cluster_state:ok` (every slot served) and every
 * master the client routes to answers PING.
 */
async function pingCluster(cluster: Cluster): Promise<void> {
  const info = String(await cluster.call('CLUSTER', 'INFO'));
  if (!/^cluster_state:ok\b/m.test(info)) throw new RegistryError('UNAVAILABLE', 'Redis Cluster is not serving every slot');
  const masters = cluster.nodes('master');
  if (masters.length === 0) throw new RegistryError('UNAVAILABLE', 'Redis Cluster has no reachable master');
  await Promise.all(masters.map((node) => node.ping()));
}

const SCRIPTS: readonly LuaScript[] = [
  ...Object.values(lua), ...Object.values(deviceLua), ...Object.values(credentialsLua), ...Object.values(tenantScripts), ...Object.values(security), ...Object.values(transfer), ...Object.values(outbox),
].filter(
  (value): value is LuaScript => typeof (value as Partial<LuaScript>).source === 'string',
);
const shas = new WeakMap<LuaScript, string>();

/** The SHA1 digest Redis knows a script by. */
export function scriptSha(script: LuaScript): string {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script.source).digest('hex');
    shas.set(script, sha);
  }
  return sha;
}

/** SCRIPT LOAD of every script the store runs (one pipelined batch) on one server or node. */
async function loadScripts(client: Redis): Promise<void> {
  await Promise.all(SCRIPTS.map((script) => client.script('LOAD', script.source)));
}

/** Notifications configured: the write scripts append to their slot's outbox (lua/outbox.ts). */
export interface OutboxOptions {
  /** Entries an outbox may hold; a write that finds it full fails with 503 and changes nothing. */
  readonly maxPending: number;
  /** Called after an announcing script ran (the local delivery kick); the doorbell is rung already. */
  readonly appended?: (outbox: string) => void;
}

/** Retry-After (seconds) of a write refused because its outbox is full. */
const BACKLOG_RETRY_AFTER_S = 30;

/** Runs a Lua script by SHA (loaded at connect), with EVAL when Redis has lost it (SCRIPT FLUSH). */
class ScriptRunner {
  constructor(private readonly client: RedisClient, private readonly outbox?: OutboxOptions) {}

  /** Runs a script; an announcing one gets its slot's outbox and bound while notifications are on. */
  async run(script: LuaScript, keyList: readonly string[], args: readonly (string | Buffer)[]): Promise<unknown> {
    if (script.announces !== true || this.outbox === undefined) return this.runPlain(script, keyList, args);
    const target = outboxFor(keyList[0] ?? '');
    const reply = await this.runPlain(script, [...keyList, target], [...args, String(this.outbox.maxPending)]);
    if (reply === outbox.BACKLOG_FULL) {
      throw new RegistryError('UNAVAILABLE', `notifications: ${target} holds ${this.outbox.maxPending} undelivered notifications (REGISTRY_NOTIFICATION_MAX_PENDING); the messaging system is not taking them`, {
        headers: { 'Retry-After': String(BACKLOG_RETRY_AFTER_S) },
      });
    }
    // The doorbell is best effort: the periodic sweep finds an outbox whose ring was lost.
    this.client.sadd(keys.pendingOutboxes(), target).catch(() => undefined);
    this.outbox.appended?.(target);
    return reply;
  }

  private async runPlain(script: LuaScript, keyList: readonly string[], args: readonly (string | Buffer)[]): Promise<unknown> {
    try {
      return await this.client.evalsha(scriptSha(script), keyList.length, ...keyList, ...args);
    } catch (err) {
      if (err instanceof ReplyError && String((err as Error).message).startsWith('NOSCRIPT')) {
        return this.client.eval(script.source, keyList.length, ...keyList, ...args);
      }
      throw err;
    }
  }
}

const rethrowMapped = (err: unknown): never => {
  throw mapDriverError(err);
};

/**
 * Maps every failure of `work` once: driver errors become UNAVAILABLE or INTERNAL (mapDriverError).
 * One promise callback, no async frame: every lookup passes here.
 */
function guard<T>(work: () => Promise<T>): Promise<T> {
  let pending: Promise<T>;
  try {
    pending = work();
  } catch (err) {
    return Promise.reject(mapDriverError(err));
  }
  return pending.then(undefined, rethrowMapped);
}

/** Wraps every method of a store part in `guard`. */
function guarded<T extends object>(part: T): T {
  return Object.fromEntries(
    Object.entries(part).map(([name, fn]) => [name, (...args: unknown[]) => guard(() => (fn as (...a: unknown[]) => Promise<unknown>)(...args))]),
  ) as T;
}

/** A field of an INFO answer (`name:value` lines). */
function infoField(info: string, name: string): string | undefined {
  return new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1];
}

/** Version, masters and memory in use (INFO server and memory of every master). */
async function redisStatus(client: RedisClient): Promise<RedisStatus> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const infos = await Promise.all(nodes.map(async (node) => String(await node.call('INFO', 'server', 'memory'))));
  return {
    mode: client instanceof Cluster ? 'cluster' : 'standalone',
    version: infoField(infos[0] ?? '', 'redis_version') ?? 'unknown',
    masters: infos.length,
    usedMemoryBytes: infos.reduce((total, info) => total + Number(infoField(info, 'used_memory') ?? 0), 0),
  };
}

/** Builds the Store over a connected client. The store owns the client and closes it. */
export function createRedisStore(client: RedisClient, options: { purgeBatchSize?: number; outbox?: OutboxOptions } = {}): Store {
  const scripts = new ScriptRunner(client, options.outbox);
  const masters = (): RedisClient[] => (client instanceof Cluster ? client.nodes('master') : [client]);
  const run: RunScript = (script, keyList, args) => scripts.run(script, keyList, args);
  // The record stores guard each call themselves: on the hot path without a wrapper's extra closure.
  const records: RecordsContext = { client, run, guard, purgeBatchSize: options.purgeBatchSize ?? 500 };
  const security = createSecurityStore(client, run);
  const deviceIndex = createDeviceIndexStore(client, run, guard);
  const recover = async (): Promise<void> => {
    await recoverTenants(records);
    await guard(() => recoverCredentialsSearch(records));
    // Tokens minted before the parent index existed get their entries (revoking one revokes what it minted).
    await guard(() => security.indexTokenParents());
    // Devices stored before the search indexes existed are indexed once.
    await guard(() => indexUnindexedTenants(client, deviceIndex));
  };
  return {
    ...guarded({ ...security, ...createTransferStore(client, run), ...createOutboxStore(client, run, masters as () => StreamScanner[]) }),
    ...createTenantRecords(records),
    ...createDeviceRecords(records),
    ...deviceIndex,
    ...createCredentialsRecords(records),
    ...createCredentialsSetRecords(records),
    isInitialised: () => guard(async () => (await client.exists(keys.initialised())) === 1),
    markInitialised: () => guard(async () => void (await client.set(keys.initialised(), new Date().toISOString(), 'NX'))),
    recover,
    // SCAN sees one node's keys: on a cluster every master is scanned.
    checkConsistency: (fix) => guard(() => checkConsistency(client, masters(), run, recover, fix)),
    ping: () => guard(async () => (client instanceof Cluster ? pingCluster(client) : void (await client.ping()))),
    status: () => guard(() => redisStatus(client)),
    countTenants: () => guard(() => client.hlen(keys.tenants())),
    close: async () => {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
