/**
 * The benchmark's data set and how it is loaded.
 *
 * Layout (deterministic, so the load clients can draw keys without asking Redis):
 * - `BENCH_TENANTS` tenants `bench-t<k>` (default 1000); tenant `get` draws from all of them.
 * - the devices live in the first `DEVICE_TENANTS` (10) of them: device `i` is `dev-<i>` in tenant
 *   `bench-t<i % 10>`, with one hashed-password credential (auth-id `auth-<i>`, sha-512 hash + salt).
 *   Every tenth device of a tenant is connected through a gateway (`via: ["gw-<g>"]`); each device
 *   tenant has `GATEWAYS` gateway devices `gw-0 … gw-9`.
 * - HTTP writes go to their own tenant `bench-http`, so they never change the AMQP data set.
 *
 * Everything is written through the registry's own code: the import path (src/service/transfer.ts,
 * what `device-registry import` runs) or, for comparison, the per-device store calls.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceEntry, ImportCounts, TransferService } from '../src/service/transfer.js';
import type { Store } from '../src/store/store.js';

export const DEVICE_TENANTS = 10;
export const GATEWAYS = 10;
export const HTTP_TENANT = 'bench-http';

export const tenantName = (k: number): string => `bench-t${k}`;
export const deviceTenant = (i: number): string => tenantName(i % DEVICE_TENANTS);
export const deviceId = (i: number): string => `dev-${i}`;
export const authId = (i: number): string => `auth-${i}`;
/** Devices `i` with ⌊i / DEVICE_TENANTS⌋ % 10 = 0 are connected through a gateway. */
export const hasGateway = (i: number): boolean => Math.floor(i / DEVICE_TENANTS) % 10 === 0;
export const gatewayOf = (i: number): string => `gw-${Math.floor(i / (DEVICE_TENANTS * 10)) % GATEWAYS}`;

/** The string key the HTTP floor (bench/koa-floor.ts) reads for a device. */
export const floorKey = (tenantId: string, device: string): string => `bench-floor:${tenantId}:${device}`;

/** A random device index below `devices`. */
export function randomDevice(devices: number): number {
  return Math.floor(Math.random() * devices);
}

/** A random index below `devices` of a device that is connected through a gateway. */
export function randomGatewayDevice(devices: number): number {
  const i = randomDevice(devices);
  const block = Math.floor(i / DEVICE_TENANTS);
  return (block - (block % 10)) * DEVICE_TENANTS + (i % DEVICE_TENANTS);
}

/** Stored tenant JSON, as the tenant service stores `{"tenant-id": id}`. */
export const tenantJson = (id: string): string => JSON.stringify({ 'tenant-id': id, enabled: true });

/** Stored registration data, as the device service stores it (`enabled` first). */
export function deviceJson(i: number): string {
  return hasGateway(i) ? `{"enabled":true,"via":[${JSON.stringify(gatewayOf(i))}]}` : '{"enabled":true}';
}

/**
 * A credentials record as the credentials service stores it after validation
 * (`device-id`, `type`, `auth-id`, `enabled`, `secrets`) with a pre-hashed sha-512 password.
 */
export function credentialsJson(device: string, auth: string, hash: Buffer, salt: Buffer): string {
  return JSON.stringify({
    'device-id': device,
    type: 'hashed-password',
    'auth-id': auth,
    enabled: true,
    secrets: [{ 'hash-function': 'sha-512', 'pwd-hash': hash.toString('base64'), salt: salt.toString('base64') }],
  });
}

/** Runs `work(i)` for i in [from, to) with `concurrency` calls in flight. */
async function inParallel(from: number, to: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = from;
  const worker = async () => {
    while (next < to) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(0, to - from)) }, worker));
}

/** Devices the benchmark writes through the store: by the bench, without a device limit. */
const BENCH_CREATION = { user: 'bench', maxDevices: -1 } as const;

/** Creates the tenants (the device tenants, the others, the HTTP tenant) and the gateways. */
export async function loadTenants(store: Store, tenants: number): Promise<void> {
  const ids = [...Array.from({ length: Math.max(tenants, DEVICE_TENANTS) }, (_, k) => tenantName(k)), HTTP_TENANT];
  await Promise.all(ids.map((id) => store.createTenant(id, tenantJson(id), [])));
  const gateways: Promise<string>[] = [];
  for (let k = 0; k < DEVICE_TENANTS; k++) {
    for (let g = 0; g < GATEWAYS; g++) gateways.push(store.createDevice(tenantName(k), `gw-${g}`, '{"enabled":true}', BENCH_CREATION));
  }
  await Promise.all(gateways);
}

/**
 * How devices get their credentials:
 * - `import`: the import path (`device-registry import`): validated like the API, many devices per
 *   script call, several calls in flight (see importDevices above);
 * - `separate`: `createDevice` + `addCredentials`, two store calls (two Lua scripts) per device, as the
 *   management API does it;
 * - `provision`: `provisionDevice`, one store call (one script) that creates both atomically.
 */
export type LoadMethod = 'import' | 'separate' | 'provision';

/** Where device `i` goes and what it is called (default: the data set's layout above). */
export interface Naming {
  tenant(i: number): string;
  device(i: number): string;
  auth(i: number): string;
}

const DATA_SET: Naming = { tenant: deviceTenant, device: deviceId, auth: authId };

/** Random sha-512 hashes and salts, drawn in blocks (one randomBytes call per 1024 devices; indices taken in order). */
function secrets(): (i: number) => [Buffer, Buffer] {
  const BLOCK = 1024;
  let pool = Buffer.alloc(0);
  let poolStart = -1;
  return (i) => {
    const start = i - (i % BLOCK);
    if (start !== poolStart) {
      pool = randomBytes(80 * BLOCK);
      poolStart = start;
    }
    const at = (i % BLOCK) * 80;
    return [pool.subarray(at, at + 64), pool.subarray(at + 64, at + 80)];
  };
}

/**
 * Devices [from, to) as import entries in Hono's shapes (`device-identities.json` registration
 * data, a `credentials.json` record with a pre-hashed sha-512 password): what
 * `device-registry import` feeds the transfer service. Stored exactly as `loadDevices` stores them.
 */
export function* deviceEntries(from: number, to: number, naming: Naming = DATA_SET): Generator<DeviceEntry> {
  const secretOf = secrets();
  for (let i = from; i < to; i++) {
    const [hash, salt] = secretOf(i);
    const device = naming.device(i);
    yield {
      at: `device ${i}`,
      tenant: naming.tenant(i),
      deviceId: device,
      data: hasGateway(i) ? { via: [gatewayOf(i)] } : {},
      credentials: [{ at: `device ${i}`, record: { 'device-id': device, type: 'hashed-password', 'auth-id': naming.auth(i), secrets: [{ 'hash-function': 'sha-512', 'pwd-hash': hash.toString('base64'), salt: salt.toString('base64') }] } }],
    };
  }
}

/** Loads devices [from, to) through the import path (batched script calls, pipelined). Throws on any failed record. */
export async function importDevices(transfer: TransferService, from: number, to: number, naming: Naming = DATA_SET): Promise<ImportCounts> {
  const failures: string[] = [];
  const counts = await transfer.importDevices(deviceEntries(from, to, naming), { replace: false, onFailure: (f) => failures.push(`${f.at}: ${f.reason}`) });
  if (failures.length > 0) throw new Error(`import failed for ${failures.length} devices, e.g. ${failures[0]}`);
  return counts;
}

/** Registers devices [from, to), each with one hashed-password credential, `concurrency` devices in flight. */
export async function loadDevices(store: Store, from: number, to: number, concurrency: number, method: Exclude<LoadMethod, 'import'> = 'separate', naming: Naming = DATA_SET): Promise<void> {
  const secretOf = secrets();
  await inParallel(from, to, concurrency, async (i) => {
    const tenant = naming.tenant(i);
    const device = naming.device(i);
    const auth = naming.auth(i);
    const [hash, salt] = secretOf(i);
    const credentials = credentialsJson(device, auth, hash, salt);
    if (method === 'provision') {
      await store.provisionDevice(tenant, device, deviceJson(i), 'hashed-password', auth, credentials, -1);
      return;
    }
    await Promise.all([store.createDevice(tenant, device, deviceJson(i), BENCH_CREATION), store.addCredentials(tenant, 'hashed-password', auth, device, credentials)]);
  });
}

/**
 * Writes the data set (tenants, the device tenants' gateways, devices [0, devices) with their
 * credentials) as Eclipse Hono's file-based registry reads it: tenants.json,
 * device-identities.json and credentials.json in `dir` (docs/import-export.md). `make bench-peer`
 * loads Hono's registry from these files and this registry through `device-registry import --dir`.
 */
export function writeHonoFiles(dir: string, tenants: number, devices: number): void {
  const ids = Array.from({ length: Math.max(tenants, DEVICE_TENANTS) }, (_, k) => tenantName(k));
  writeFileSync(join(dir, 'tenants.json'), JSON.stringify(ids.map((id) => ({ 'tenant-id': id, enabled: true }))));
  const registrations = new Map<string, unknown[]>();
  const credentials = new Map<string, unknown[]>();
  for (let k = 0; k < DEVICE_TENANTS; k++) {
    registrations.set(tenantName(k), Array.from({ length: GATEWAYS }, (_, g) => ({ 'device-id': `gw-${g}`, data: { enabled: true } })));
    credentials.set(tenantName(k), []);
  }
  for (const entry of deviceEntries(0, devices)) {
    registrations.get(entry.tenant)?.push({ 'device-id': entry.deviceId, data: { enabled: true, ...(entry.data as object) } });
    credentials.get(entry.tenant)?.push(...entry.credentials.map((c) => ({ ...(c.record as object), enabled: true })));
  }
  const perTenant = (map: Map<string, unknown[]>, member: string) => [...map].map(([tenant, list]) => ({ tenant, [member]: list }));
  writeFileSync(join(dir, 'device-identities.json'), JSON.stringify(perTenant(registrations, 'devices')));
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify(perTenant(credentials, 'credentials')));
}
