/**
 * The Redis implementation of the Store. The only module that imports ioredis; every driver
 * failure is converted to a RegistryError here (lost connection, timeout, cluster down: 503).
 */
import { createHash } from 'node:crypto';
import { Cluster, Redis, ReplyError, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisClusterConfig } from '../config.js';
import { RegistryError, conflict, notFound } from '../errors.js';
import type { Logger } from '../log.js';
import { credentialField, keys, tenantDataKeys } from './keys.js';
import * as lua from './lua/scripts.js';
import * as security from './lua/security-scripts.js';
import * as transfer from './lua/transfer-scripts.js';
import { checkConsistency } from './redis-consistency.js';
import { createSecurityStore } from './redis-security.js';
import { createTransferStore } from './redis-transfer.js';
import type { LuaScript } from './lua/scripts.js';
import type { Store } from './store.js';

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
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(commandTimeoutMs, 1000),
    retryStrategy: (attempt: number) => Math.min(50 * attempt, 1000),
    lazyConnect: true,
    // Commands issued in the same event-loop tick (many AMQP lookups at once) go out in one write
    // and are read back in one go: fewer syscalls per request, same round trips (bench/README.md).
    enableAutoPipelining: true,
  };
  if (url.startsWith('unix://')) return { ...common, path: url.slice('unix://'.length) };
  return common;
}

/** Receives the latency of every Redis command (metrics). */
export type CommandObserver = (command: string, seconds: number, failed: boolean) => void;

/** Times every command the client sends: one timestamp, and one callback on the command's own promise. */
function observeCommands(client: RedisClient, observe: CommandObserver): void {
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
 * Options of a Redis Cluster client. Each node connection gets the standalone options (command
 * timeout, no retries per request); the cluster itself rejects commands at once while it is not
 * ready. MOVED/ASK are followed, and TRYAGAIN, CLUSTERDOWN and a lost node (failover) are retried
 * after a short delay, all within the command timeout that started with the first send: a command
 * that cannot be served fails with 503 after about REGISTRY_REDIS_COMMAND_TIMEOUT_MS, never hangs.
 */
function clusterOptions(cluster: RedisClusterConfig, commandTimeoutMs: number): ClusterOptions {
  // Auto-pipelining stays off on a cluster: its pipelines are routed per slot and retried as a
  // whole on redirections, which the failover tests have not covered.
  const { lazyConnect: _lazy, retryStrategy: _retry, enableAutoPipelining: _pipelining, ...standalone } = clientOptions('redis://', commandTimeoutMs);
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
async function open<C extends RedisClient>(client: C, log: Logger, observe: CommandObserver | undefined): Promise<C> {
  watchConnection(client, log);
  if (observe !== undefined) observeCommands(client, observe);
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
  return open(url.startsWith('unix://') ? new Redis(options) : new Redis(url, options), log, observe);
}

/** Opens a Redis Cluster client from seed nodes; resolves once the slot map is known. */
export async function connectRedisCluster(cluster: RedisClusterConfig, commandTimeoutMs: number, log: Logger, observe?: CommandObserver): Promise<Cluster> {
  return open(new Cluster(cluster.nodes.map(({ host, port }) => ({ host, port })), clusterOptions(cluster, commandTimeoutMs)), log, observe);
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

const SCRIPTS: readonly LuaScript[] = [...Object.values(lua), ...Object.values(security), ...Object.values(transfer)].filter(
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

/** Runs a Lua script by SHA (loaded at connect), with EVAL when Redis has lost it (SCRIPT FLUSH). */
class ScriptRunner {
  constructor(private readonly client: RedisClient) {}

  async run(script: LuaScript, keyList: readonly string[], args: readonly string[]): Promise<unknown> {
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

type Outcome = 'OK' | 'TENANT_NOT_FOUND' | 'NOT_FOUND' | 'EXISTS' | 'DELETING' | 'CREATING' | 'CA_CONFLICT' | 'DENIED' | 'RESERVED';

/** A tenant creation that has not written its marker after this long was abandoned by a crashed process. */
const CREATION_STALE_MS = 10_000;

/** Messages for each script outcome, per kind of record. */
interface OutcomeMessages {
  NOT_FOUND?: string;
  EXISTS?: string;
  DENIED?: string;
}

function check(outcome: unknown, tenantId: string, messages: OutcomeMessages): void {
  switch (outcome as Outcome) {
    case 'OK':
      return;
    case 'TENANT_NOT_FOUND':
      throw notFound(`tenant "${tenantId}" not found`);
    case 'NOT_FOUND':
      throw notFound(messages.NOT_FOUND ?? 'not found');
    case 'EXISTS':
      throw conflict(messages.EXISTS ?? 'already exists');
    case 'DELETING':
      throw conflict(`tenant "${tenantId}" is still being deleted; retry shortly`);
    case 'CREATING':
      throw conflict(`tenant "${tenantId}" is still being created; retry shortly`);
    case 'CA_CONFLICT':
      throw conflict('a trusted CA with this subject DN is already used by another tenant');
    case 'DENIED':
      throw conflict(messages.DENIED ?? 'the device is on the denied list');
    case 'RESERVED':
      throw conflict('these credentials (type and auth-id) are reserved by a device on the denied list; purge it to free them');
    default:
      throw new RegistryError('INTERNAL', `unexpected script outcome ${String(outcome)}`);
  }
}

/** Builds the Store over a connected client. The store owns the client and closes it. */
export function createRedisStore(client: RedisClient, options: { purgeBatchSize?: number } = {}): Store {
  const scripts = new ScriptRunner(client);
  const batch = options.purgeBatchSize ?? 500;

  async function guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw mapDriverError(err);
    }
  }

  const registryKeys = () => [keys.tenants(), keys.tenantCas(), keys.caIndex(), keys.tenantsDeleting(), keys.tenantsCreating()];
  const credKeys = (t: string) => [keys.tenantMarker(t), keys.credentials(t), keys.deviceCredentials(t)];
  const deniedKeys = (t: string) => [keys.deniedDevices(t), keys.deniedIdentities(t)];
  const deniedMessage = (t: string, d: string) => `device "${d}" is on the denied list of tenant "${t}" (see /denied-devices/${t})`;
  const device = (t: string, d: string) => ({
    NOT_FOUND: `device "${d}" not found in tenant "${t}"`, EXISTS: `device "${d}" already exists in tenant "${t}"`, DENIED: deniedMessage(t, d),
  });
  const creds = (type: string, authId: string) => ({
    NOT_FOUND: `no credentials of type "${type}" with auth-id "${authId}"`,
    EXISTS: `credentials of type "${type}" with auth-id "${authId}" already exist`,
  });

  async function inTenant(tenantId: string, hash: string, field: string, missing: string): Promise<string> {
    const [live, value] = (await scripts.run(lua.getInTenant, [keys.tenantMarker(tenantId), hash], [field])) as [number, string | null];
    if (live === 0) throw notFound(`tenant "${tenantId}" not found`);
    if (value === null || value === undefined) throw notFound(missing);
    return value;
  }

  /** Empties one hash in batches of `batch` fields so no single command blocks Redis for long. */
  async function purgeHash(key: string): Promise<void> {
    for (;;) {
      let cursor = '0';
      do {
        const [next, entries] = await client.hscan(key, cursor, 'COUNT', batch);
        const fields = entries.filter((_, i) => i % 2 === 0);
        if (fields.length > 0) await client.hdel(key, ...fields);
        cursor = next;
      } while (cursor !== '0');
      if ((await client.hlen(key)) === 0) return;
    }
  }

  async function purgeTenant(tenantId: string): Promise<void> {
    await client.del(keys.tenantMarker(tenantId));
    for (const key of tenantDataKeys(tenantId)) await purgeHash(key);
    // A sorted set of ids only; UNLINK frees it off the main thread.
    await client.unlink(keys.deniedIndex(tenantId));
    await client.hdel(keys.tenantsDeleting(), tenantId);
  }

  const run = (script: LuaScript, keyList: readonly string[], args: readonly string[]) => scripts.run(script, keyList, args);
  const delegated = { ...createSecurityStore(client, run), ...createTransferStore(client, run) };
  const guarded = Object.fromEntries(
    Object.entries(delegated).map(([name, fn]) => [name, (...args: unknown[]) => guard(() => (fn as (...a: unknown[]) => Promise<unknown>)(...args))]),
  ) as unknown as typeof delegated;

  const recover = () =>
    guard(async () => {
      for (const id of await client.hkeys(keys.tenantsDeleting())) await purgeTenant(id);
      const ids = await client.hkeys(keys.tenants());
      await Promise.all(ids.map((id) => client.set(keys.tenantMarker(id), '1', 'NX')));
      // Creations that crashed before clearing their entry: the marker now exists, the entry can go.
      const creating = await client.hkeys(keys.tenantsCreating());
      if (creating.length > 0) await client.hdel(keys.tenantsCreating(), ...creating.filter((id) => ids.includes(id)));
      await delegated.indexTokenParents();
    });

  return {
    ...guarded,
    createTenant: (id, json, caKeys) =>
      guard(async () => {
        check(await scripts.run(lua.createTenant, registryKeys(), [id, json, JSON.stringify(caKeys)]), id, {
          EXISTS: `tenant "${id}" already exists`,
        });
        await client.set(keys.tenantMarker(id), '1');
        await client.hdel(keys.tenantsCreating(), id);
      }),
    updateTenant: (id, json, caKeys) =>
      guard(async () => {
        const outcome = await scripts.run(lua.updateTenant, registryKeys().slice(0, 3), [id, json, JSON.stringify(caKeys)]);
        check(outcome, id, { NOT_FOUND: `tenant "${id}" not found` });
      }),
    getTenant: (id) => guard(() => client.hget(keys.tenants(), id)),
    getTenantByCa: (caKey) =>
      guard(async () => (await scripts.run(lua.getTenantByCa, [keys.caIndex(), keys.tenants()], [caKey])) as string | null),
    deleteTenant: (id) =>
      guard(async () => {
        const outcome = await scripts.run(lua.beginTenantDeletion, registryKeys(), [id, String(CREATION_STALE_MS)]);
        check(outcome, id, { NOT_FOUND: `tenant "${id}" not found` });
        await purgeTenant(id);
      }),

    createDevice: (t, d, json) =>
      guard(async () => check(await scripts.run(lua.createDevice, [keys.tenantMarker(t), keys.devices(t), keys.deniedDevices(t)], [d, json]), t, device(t, d))),
    getDevice: (t, d) => guard(() => inTenant(t, keys.devices(t), d, device(t, d).NOT_FOUND)),
    updateDevice: (t, d, json) =>
      guard(async () => check(await scripts.run(lua.updateDevice, [keys.tenantMarker(t), keys.devices(t)], [d, json]), t, device(t, d))),
    denyDevice: (t, d, by, at) =>
      guard(async () => {
        const keyList = [keys.tenantMarker(t), keys.devices(t), keys.credentials(t), keys.deviceCredentials(t), ...deniedKeys(t), keys.deniedIndex(t)];
        check(await scripts.run(security.denyDevice, keyList, [d, at, by]), t, device(t, d));
      }),
    listDeniedDevices: (t, cursor, count) =>
      guard(async () => {
        // Ids after the cursor (exclusive) in id order; one more than asked tells whether a next page exists.
        const from = cursor === '' ? '-' : `(${cursor}`;
        const results = await client.multi().exists(keys.tenantMarker(t)).zrange(keys.deniedIndex(t), from, '+', 'BYLEX', 'LIMIT', 0, count + 1).exec();
        const failed = results?.find(([err]) => err !== null)?.[0];
        if (results === null || failed) throw failed ?? new Error('transaction aborted');
        if (results[0]?.[1] === 0) throw notFound(`tenant "${t}" not found`);
        const ids = results[1]?.[1] as string[];
        const page = ids.slice(0, count);
        return { ids: page, cursor: ids.length > count ? (page[page.length - 1] as string) : '' };
      }),
    releaseDeniedDevice: (t, d, mode) =>
      guard(async () => {
        const outcome = await scripts.run(security.releaseDenied, [keys.tenantMarker(t), keys.devices(t), ...deniedKeys(t), keys.deniedIndex(t)], [d, mode]);
        check(outcome, t, { NOT_FOUND: `device "${d}" is not on the denied list of tenant "${t}"` });
      }),
    lookupDevices: (t, ids) => guard(async () => (ids.length === 0 ? [] : client.hmget(keys.devices(t), ...ids))),

    addCredentials: (t, type, authId, d, json) =>
      guard(async () =>
        check(await scripts.run(lua.addCredentials, [...credKeys(t), ...deniedKeys(t)], [credentialField(type, authId), d, json]), t, { ...creds(type, authId), DENIED: deniedMessage(t, d) }),
      ),
    getCredentials: (t, type, authId) =>
      guard(() => inTenant(t, keys.credentials(t), credentialField(type, authId), creds(type, authId).NOT_FOUND)),
    getDeviceCredentials: (t, d) =>
      guard(async () => {
        const [live, ...records] = (await scripts.run(lua.getDeviceCredentials, credKeys(t), [d])) as [number, ...string[]];
        if (live === 0) throw notFound(`tenant "${t}" not found`);
        return records;
      }),
    updateCredentials: (t, type, authId, d, json) =>
      guard(async () =>
        check(await scripts.run(lua.updateCredentials, [...credKeys(t), ...deniedKeys(t)], [credentialField(type, authId), d, json]), t, { ...creds(type, authId), DENIED: deniedMessage(t, d) }),
      ),
    deleteCredentials: (t, type, authId) =>
      guard(async () => check(await scripts.run(lua.deleteCredentials, credKeys(t), [credentialField(type, authId)]), t, creds(type, authId))),
    deleteDeviceCredentials: (t, d) =>
      guard(async () =>
        check(await scripts.run(lua.deleteDeviceCredentials, credKeys(t), [d]), t, { NOT_FOUND: `no credentials found for device "${d}"` }),
      ),
    lookupCredentials: (t, type, authId) => guard(() => client.hget(keys.credentials(t), credentialField(type, authId))),
    provisionDevice: (t, d, deviceJson, type, authId, credJson) =>
      guard(async () => {
        const keyList = [keys.tenantMarker(t), keys.devices(t), keys.credentials(t), keys.deviceCredentials(t), ...deniedKeys(t)];
        check(await scripts.run(lua.provisionDevice, keyList, [credentialField(type, authId), d, credJson, deviceJson]), t, { ...creds(type, authId), DENIED: deniedMessage(t, d) });
      }),

    setLastGateway: (t, d, json) => guard(async () => void (await client.hset(keys.lastGateways(t), d, json))),
    getLastGateway: (t, d) => guard(() => client.hget(keys.lastGateways(t), d)),

    isInitialised: () => guard(async () => (await client.exists(keys.initialised())) === 1),
    markInitialised: () => guard(async () => void (await client.set(keys.initialised(), new Date().toISOString(), 'NX'))),
    recover,
    // SCAN sees one node's keys: on a cluster every master is scanned.
    checkConsistency: (fix) =>
      guard(() => checkConsistency(client, client instanceof Cluster ? client.nodes('master') : [client], (script, keyList, args) => scripts.run(script, keyList, args), recover, fix)),
    ping: () => guard(async () => (client instanceof Cluster ? pingCluster(client) : void (await client.ping()))),
    close: async () => {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}
