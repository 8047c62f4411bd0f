/**
 * Redis storage of tenants, devices, credentials and last gateways: the Lua scripts of
 * lua/scripts.ts and lua/security-scripts.ts, and the plain reads of the hot path (one command
 * each). redis.ts composes them into the Store and owns the connection.
 */
import { RegistryError, conflict, notFound } from '../errors.js';
import { credentialField, keys, tenantDataKeys } from './keys.js';
import * as lua from './lua/scripts.js';
import * as security from './lua/security-scripts.js';
import type { LuaScript } from './lua/scripts.js';
import type { RunScript } from './redis-security.js';
import type { CredentialsStore, DeviceConnectionStore, DeviceStore, TenantStore } from './store.js';

/** Runs work against Redis with every driver failure mapped to a RegistryError (redis.ts). */
export type Guard = <T>(work: () => Promise<T>) => Promise<T>;

/** What these stores need from the Redis client (kept narrow: only redis.ts imports ioredis). */
export interface RecordsClient {
  hget(key: string, field: string): Promise<string | null>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
  hset(key: string, field: string, value: string): Promise<number>;
  hdel(key: string, ...fields: string[]): Promise<number>;
  hkeys(key: string): Promise<string[]>;
  hlen(key: string): Promise<number>;
  hscan(key: string, cursor: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  set(key: string, value: string): Promise<unknown>;
  set(key: string, value: string, nx: 'NX'): Promise<unknown>;
  del(...keys: string[]): Promise<number>;
  unlink(...keys: string[]): Promise<number>;
  multi(): DeniedPage;
}

/** The transaction that reads a page of denied devices. */
export interface DeniedPage {
  exists(key: string): DeniedPage;
  zrange(key: string, min: string, max: string, by: 'BYLEX', limit: 'LIMIT', offset: number, count: number): DeniedPage;
  exec(): Promise<[Error | null, unknown][] | null>;
}

/** What a record store is built from. */
export interface RecordsContext {
  readonly client: RecordsClient;
  readonly run: RunScript;
  readonly guard: Guard;
  /** Fields removed per command when a tenant's data is purged. */
  readonly purgeBatchSize: number;
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

/** Throws the RegistryError of a script's outcome; returns on OK. */
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

/** A field of a tenant's hash, NOT_FOUND naming the tenant or `missing`. */
async function inTenant({ run }: RecordsContext, tenantId: string, hash: string, field: string, missing: string): Promise<string> {
  const [live, value] = (await run(lua.getInTenant, [keys.tenantMarker(tenantId), hash], [field])) as [number, string | null];
  if (live === 0) throw notFound(`tenant "${tenantId}" not found`);
  if (value === null || value === undefined) throw notFound(missing);
  return value;
}

/** Empties one hash in batches so no single command blocks Redis for long. */
async function purgeHash({ client, purgeBatchSize }: RecordsContext, key: string): Promise<void> {
  for (;;) {
    let cursor = '0';
    do {
      const [next, entries] = await client.hscan(key, cursor, 'COUNT', purgeBatchSize);
      const fields = entries.filter((_, i) => i % 2 === 0);
      if (fields.length > 0) await client.hdel(key, ...fields);
      cursor = next;
    } while (cursor !== '0');
    if ((await client.hlen(key)) === 0) return;
  }
}

/** Removes the data of a tenant whose deletion has begun (its marker first, its deleting entry last). */
async function purgeTenant(context: RecordsContext, tenantId: string): Promise<void> {
  const { client } = context;
  await client.del(keys.tenantMarker(tenantId));
  for (const key of tenantDataKeys(tenantId)) await purgeHash(context, key);
  // A sorted set of ids only; UNLINK frees it off the main thread.
  await client.unlink(keys.deniedIndex(tenantId));
  await client.hdel(keys.tenantsDeleting(), tenantId);
}

/** Finishes interrupted deletions and creations, and restores missing tenant markers (part of StoreLifecycle.recover). */
export function recoverTenants(context: RecordsContext): Promise<void> {
  const { client } = context;
  return context.guard(async () => {
    for (const id of await client.hkeys(keys.tenantsDeleting())) await purgeTenant(context, id);
    const ids = await client.hkeys(keys.tenants());
    await Promise.all(ids.map((id) => client.set(keys.tenantMarker(id), '1', 'NX')));
    // Creations that crashed before clearing their entry: the marker now exists, the entry can go.
    const creating = await client.hkeys(keys.tenantsCreating());
    if (creating.length > 0) await client.hdel(keys.tenantsCreating(), ...creating.filter((id) => ids.includes(id)));
  });
}

export function createTenantRecords(context: RecordsContext): TenantStore {
  const { client, run, guard } = context;
  return {
    createTenant: (id, json, caKeys) =>
      guard(async () => {
        check(await run(lua.createTenant, registryKeys(), [id, json, JSON.stringify(caKeys)]), id, { EXISTS: `tenant "${id}" already exists` });
        await client.set(keys.tenantMarker(id), '1');
        await client.hdel(keys.tenantsCreating(), id);
      }),
    updateTenant: (id, json, caKeys) =>
      guard(async () => check(await run(lua.updateTenant, registryKeys().slice(0, 3), [id, json, JSON.stringify(caKeys)]), id, { NOT_FOUND: `tenant "${id}" not found` })),
    getTenant: (id) => guard(() => client.hget(keys.tenants(), id)),
    getTenantByCa: (caKey) => guard(async () => (await run(lua.getTenantByCa, [keys.caIndex(), keys.tenants()], [caKey])) as string | null),
    deleteTenant: (id) =>
      guard(async () => {
        check(await run(lua.beginTenantDeletion, registryKeys(), [id, String(CREATION_STALE_MS)]), id, { NOT_FOUND: `tenant "${id}" not found` });
        await purgeTenant(context, id);
      }),
  };
}

/** Up to `count` denied ids after `cursor` (exclusive) in id order; one more than asked tells whether a next page exists. */
async function deniedPage({ client }: RecordsContext, t: string, cursor: string, count: number): Promise<{ ids: string[]; cursor: string }> {
  const from = cursor === '' ? '-' : `(${cursor}`;
  const results = await client.multi().exists(keys.tenantMarker(t)).zrange(keys.deniedIndex(t), from, '+', 'BYLEX', 'LIMIT', 0, count + 1).exec();
  const failed = results?.find(([err]) => err !== null)?.[0];
  if (results === null || failed) throw failed ?? new Error('transaction aborted');
  if (results[0]?.[1] === 0) throw notFound(`tenant "${t}" not found`);
  const ids = results[1]?.[1] as string[];
  const page = ids.slice(0, count);
  return { ids: page, cursor: ids.length > count ? (page[page.length - 1] as string) : '' };
}

export function createDeviceRecords(context: RecordsContext): DeviceStore & DeviceConnectionStore {
  const { client, run, guard } = context;
  return {
    createDevice: (t, d, json) => guard(async () => check(await run(lua.createDevice, [keys.tenantMarker(t), keys.devices(t), keys.deniedDevices(t)], [d, json]), t, device(t, d))),
    getDevice: (t, d) => guard(() => inTenant(context, t, keys.devices(t), d, device(t, d).NOT_FOUND)),
    updateDevice: (t, d, json) => guard(async () => check(await run(lua.updateDevice, [keys.tenantMarker(t), keys.devices(t)], [d, json]), t, device(t, d))),
    denyDevice: (t, d, by, at) =>
      guard(async () => {
        const keyList = [keys.tenantMarker(t), keys.devices(t), keys.credentials(t), keys.deviceCredentials(t), ...deniedKeys(t), keys.deniedIndex(t)];
        check(await run(security.denyDevice, keyList, [d, at, by]), t, device(t, d));
      }),
    listDeniedDevices: (t, cursor, count) => guard(() => deniedPage(context, t, cursor, count)),
    releaseDeniedDevice: (t, d, mode) =>
      guard(async () => {
        const outcome = await run(security.releaseDenied, [keys.tenantMarker(t), keys.devices(t), ...deniedKeys(t), keys.deniedIndex(t)], [d, mode]);
        check(outcome, t, { NOT_FOUND: `device "${d}" is not on the denied list of tenant "${t}"` });
      }),
    lookupDevices: (t, ids) => guard(async () => (ids.length === 0 ? [] : client.hmget(keys.devices(t), ...ids))),
    setLastGateway: (t, d, json) => guard(async () => void (await client.hset(keys.lastGateways(t), d, json))),
    getLastGateway: (t, d) => guard(() => client.hget(keys.lastGateways(t), d)),
  };
}

export function createCredentialsRecords(context: RecordsContext): CredentialsStore {
  const { client, run, guard } = context;
  /** A script that writes one record, with the device it names possibly denied. */
  const write = (script: LuaScript, t: string, type: string, authId: string, d: string, json: string) =>
    guard(async () => check(await run(script, [...credKeys(t), ...deniedKeys(t)], [credentialField(type, authId), d, json]), t, { ...creds(type, authId), DENIED: deniedMessage(t, d) }));
  return {
    addCredentials: (t, type, authId, d, json) => write(lua.addCredentials, t, type, authId, d, json),
    getCredentials: (t, type, authId) => guard(() => inTenant(context, t, keys.credentials(t), credentialField(type, authId), creds(type, authId).NOT_FOUND)),
    getDeviceCredentials: (t, d) =>
      guard(async () => {
        const [live, ...records] = (await run(lua.getDeviceCredentials, credKeys(t), [d])) as [number, ...string[]];
        if (live === 0) throw notFound(`tenant "${t}" not found`);
        return records;
      }),
    updateCredentials: (t, type, authId, d, json) => write(lua.updateCredentials, t, type, authId, d, json),
    deleteCredentials: (t, type, authId) => guard(async () => check(await run(lua.deleteCredentials, credKeys(t), [credentialField(type, authId)]), t, creds(type, authId))),
    deleteDeviceCredentials: (t, d) => guard(async () => check(await run(lua.deleteDeviceCredentials, credKeys(t), [d]), t, { NOT_FOUND: `no credentials found for device "${d}"` })),
    lookupCredentials: (t, type, authId) => guard(() => client.hget(keys.credentials(t), credentialField(type, authId))),
    provisionDevice: (t, d, deviceJson, type, authId, credJson) =>
      guard(async () => {
        const keyList = [keys.tenantMarker(t), keys.devices(t), keys.credentials(t), keys.deviceCredentials(t), ...deniedKeys(t)];
        check(await run(lua.provisionDevice, keyList, [credentialField(type, authId), d, credJson, deviceJson]), t, { ...creds(type, authId), DENIED: deniedMessage(t, d) });
      }),
  };
}
