/**
 * Redis storage of tenants, devices, credentials and last gateways: the Lua scripts of
 * lua/scripts.ts and lua/security-scripts.ts, and the plain reads of the hot path (one command
 * each). redis.ts composes them into the Store and owns the connection.
 */
import { RegistryError, conflict, notFound } from '../errors.js';
import { credentialField, deviceIndexKeys, keys } from './keys.js';
import * as deviceLua from './lua/device-scripts.js';
import * as lua from './lua/scripts.js';
import * as security from './lua/security-scripts.js';
import type { LuaScript } from './lua/scripts.js';
import type { RunScript } from './redis-security.js';
import type { CredentialsStore, DeviceConnectionStore, DeviceStore } from './store.js';

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
  exists(...keys: string[]): Promise<number>;
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

type Outcome = 'OK' | 'TENANT_NOT_FOUND' | 'NOT_FOUND' | 'EXISTS' | 'DELETING' | 'CREATING' | 'CA_CONFLICT' | 'ALIAS_CONFLICT' | 'VERSION_MISMATCH' | 'DENIED' | 'RESERVED' | 'LIMIT' | 'CREDENTIALS_LIMIT' | 'PRECONDITION_FAILED';

/** Messages for each script outcome, per kind of record. */
export interface OutcomeMessages {
  NOT_FOUND?: string;
  EXISTS?: string;
  DENIED?: string;
}

/** Throws the RegistryError of a script's outcome; returns on OK. */
export function check(outcome: unknown, tenantId: string, messages: OutcomeMessages): void {
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
      throw conflict('a trusted CA with this subject DN is already used by another tenant (not of this trust-anchor-group)');
    case 'ALIAS_CONFLICT':
      throw conflict('the tenant alias is already used by another tenant');
    case 'VERSION_MISMATCH':
      throw new RegistryError('PRECONDITION_FAILED', 'resource version mismatch');
    case 'DENIED':
      throw conflict(messages.DENIED ?? 'the device is on the denied list');
    case 'RESERVED':
      throw conflict('these credentials (type and auth-id) are reserved by a device on the denied list; purge it to free them');
    case 'LIMIT':
      throw new RegistryError('FORBIDDEN', `tenant "${tenantId}" has reached its device limit (registration-limits.max-devices)`);
    case 'PRECONDITION_FAILED':
      throw new RegistryError('PRECONDITION_FAILED', 'resource version mismatch: If-Match names no current version');
    case 'CREDENTIALS_LIMIT':
      throw new RegistryError('FORBIDDEN', `the device has as many credentials as tenant "${tenantId}" allows (registration-limits/max-credentials-per-device)`);
    default:
      throw new RegistryError('INTERNAL', `unexpected script outcome ${String(outcome)}`);
  }
}

const credKeys = (t: string) => [keys.tenantMarker(t), keys.credentials(t), keys.deviceCredentials(t)];
const withSearch = (keyList: string[], t: string) => [...keyList, keys.credentialsSearch(t)];
const deniedKeys = (t: string) => [keys.deniedDevices(t), keys.deniedIdentities(t)];
const denyKeys = (t: string) => [keys.tenantMarker(t), keys.devices(t), keys.credentials(t), keys.deviceCredentials(t), ...deniedKeys(t), keys.deniedIndex(t), ...deviceIndexKeys(t), keys.credentialsSearch(t)];
const deniedMessage = (t: string, d: string) => `device "${d}" is on the denied list of tenant "${t}" (see /denied-devices/${t})`;
const device = (t: string, d: string) => ({
  NOT_FOUND: `device "${d}" not found in tenant "${t}"`, EXISTS: `device "${d}" already exists in tenant "${t}"`, DENIED: deniedMessage(t, d),
});
const creds = (type: string, authId: string) => ({
  NOT_FOUND: `no credentials of type "${type}" with auth-id "${authId}"`,
  EXISTS: `credentials of type "${type}" with auth-id "${authId}" already exist`,
});

/** The version a versioned script answers with `{'OK', version}`; any other outcome is thrown. */
function versioned(reply: unknown, tenantId: string, messages: OutcomeMessages): string {
  if (Array.isArray(reply) && reply[0] === 'OK') return String(reply[1]);
  check(reply, tenantId, messages);
  throw new RegistryError('INTERNAL', `unexpected script outcome ${String(reply)}`);
}

/** A field of a tenant's hash, NOT_FOUND naming the tenant or `missing`. */
async function inTenant({ run }: RecordsContext, tenantId: string, hash: string, field: string, missing: string): Promise<string> {
  const [live, value] = (await run(lua.getInTenant, [keys.tenantMarker(tenantId), hash], [field])) as [number, string | null];
  if (live === 0) throw notFound(`tenant "${tenantId}" not found`);
  if (value === null || value === undefined) throw notFound(missing);
  return value;
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
    createDevice: (t, d, body, { user, maxDevices, provisioned }) =>
      guard(async () => {
        const keyList = [keys.tenantMarker(t), keys.devices(t), keys.deniedDevices(t), ...deviceIndexKeys(t)];
        return versioned(await run(deviceLua.createDevice, keyList, [d, body, user, String(maxDevices), provisioned === true ? '1' : '0']), t, device(t, d));
      }),
    getDevice: (t, d) => guard(() => inTenant(context, t, keys.devices(t), d, device(t, d).NOT_FOUND)),
    updateDevice: (t, d, body, { user, ifMatch }) =>
      guard(async () => versioned(await run(deviceLua.updateDevice, [keys.tenantMarker(t), keys.devices(t), ...deviceIndexKeys(t)], [d, body, user, ifMatch]), t, device(t, d))),
    denyDevice: (t, d, by, at, ifMatch = '') =>
      guard(async () => check(await run(security.denyDevice, denyKeys(t), [d, at, by, ifMatch]), t, device(t, d))),
    denyDevices: (t, ids, by, at) =>
      guard(async () => {
        const reply = await run(security.denyDevices, denyKeys(t), [at, by, ...ids]);
        if (typeof reply !== 'number') check(reply, t, {});
        return Number(reply);
      }),
    listDeniedDevices: (t, cursor, count) => guard(() => deniedPage(context, t, cursor, count)),
    releaseDeniedDevice: (t, d, mode) =>
      guard(async () => {
        const outcome = await run(security.releaseDenied, [keys.tenantMarker(t), keys.devices(t), ...deniedKeys(t), keys.deniedIndex(t), ...deviceIndexKeys(t)], [d, mode]);
        check(outcome, t, { NOT_FOUND: `device "${d}" is not on the denied list of tenant "${t}"` });
      }),
    lookupDevices: (t, ids) => guard(() => (ids.length === 0 ? Promise.resolve([]) : client.hmget(keys.devices(t), ...ids))),
    setLastGateway: (t, d, json) => guard(async () => void (await client.hset(keys.lastGateways(t), d, json))),
    getLastGateway: (t, d) => guard(() => client.hget(keys.lastGateways(t), d)),
  };
}

export function createCredentialsRecords(context: RecordsContext): CredentialsStore {
  const { client, run, guard } = context;
  /** A script that writes one record, with the device it names possibly denied. */
  const write = (script: LuaScript, t: string, type: string, authId: string, d: string, json: string, extra: { keys: string[]; args: string[] } = { keys: [], args: [] }) =>
    guard(async () => {
      const outcome = await run(script, [...credKeys(t), ...deniedKeys(t), ...extra.keys], [credentialField(type, authId), d, json, ...extra.args]);
      check(outcome, t, { ...creds(type, authId), DENIED: deniedMessage(t, d) });
    });
  return {
    addCredentials: (t, type, authId, d, json, limit = -1) => write(lua.addCredentials, t, type, authId, d, json, { keys: [keys.credentialsSearch(t)], args: [String(limit)] }),
    getCredentials: (t, type, authId) => guard(() => inTenant(context, t, keys.credentials(t), credentialField(type, authId), creds(type, authId).NOT_FOUND)),
    getDeviceCredentials: (t, d) =>
      guard(async () => {
        const [live, ...records] = (await run(lua.getDeviceCredentials, credKeys(t), [d])) as [number, ...string[]];
        if (live === 0) throw notFound(`tenant "${t}" not found`);
        return records;
      }),
    updateCredentials: (t, type, authId, d, json) => write(lua.updateCredentials, t, type, authId, d, json),
    deleteCredentials: (t, type, authId) => guard(async () => check(await run(lua.deleteCredentials, withSearch(credKeys(t), t), [credentialField(type, authId)]), t, creds(type, authId))),
    deleteDeviceCredentials: (t, d) => guard(async () => check(await run(lua.deleteDeviceCredentials, withSearch(credKeys(t), t), [d]), t, { NOT_FOUND: `no credentials found for device "${d}"` })),
    lookupCredentials: (t, type, authId) => guard(() => client.hget(keys.credentials(t), credentialField(type, authId))),
    provisionDevice: (t, d, deviceBody, type, authId, credJson, maxDevices) =>
      guard(async () => {
        const keyList = [keys.tenantMarker(t), keys.devices(t), keys.credentials(t), keys.deviceCredentials(t), ...deniedKeys(t), ...deviceIndexKeys(t), keys.credentialsSearch(t)];
        const args = [credentialField(type, authId), d, credJson, deviceBody, String(maxDevices)];
        check(await run(lua.provisionDevice, keyList, args), t, { ...creds(type, authId), DENIED: deniedMessage(t, d) });
      }),
  };
}
