/**
 * Redis memory of the data set: `used_memory`, and MEMORY USAGE of every registry key grouped by
 * its kind (the builder in src/store/keys.ts that forms it). Kinds outside the layout this
 * benchmark's 600-byte target was set for (e.g. the search indexes of the /v1 API) are reported
 * apart, so the target keeps meaning what it meant and the cost of each new structure is visible.
 */
import type { Redis } from 'ioredis';
import { keys, parseKey } from '../src/store/keys.js';

/** The key kinds of the layout the per-device target was set for. */
const BASE_KINDS = new Set([
  'tenants', 'tenantCas', 'caIndex', 'tenantsDeleting', 'tenantsCreating', 'initialised', 'token', 'tokenIds', 'tokenLastUsed', 'authFailures', 'authBlocked', 'audit',
  'tenantMarker', 'devices', 'credentials', 'deviceCredentials', 'deniedDevices', 'deniedIndex', 'deniedIdentities', 'lastGateways',
]);

/** The bench's own keys (the floors' values), not the registry's. */
const BENCH_PREFIX = 'bench-floor:';

export async function usedMemory(client: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
}

/**
 * MEMORY USAGE (exact: SAMPLES 0) by kind of the keys of the data set's tenants (`tenants`) and of
 * registry-wide keys of kinds outside the base layout ('other' for keys no builder forms), and the
 * part of it in kinds outside the base layout. Registry-wide keys of the base layout (the tenants,
 * the audit trail) hold nothing per device and are left out.
 */
export async function memoryByKind(client: Redis, tenants: ReadonlySet<string>): Promise<{ kinds: Record<string, number>; apart: number }> {
  const kinds: Record<string, number> = {};
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    const counted = batch.flatMap((key) => {
      if (key.startsWith(BENCH_PREFIX)) return [];
      const info = parseKey(key);
      const kind = info?.kind ?? 'other';
      const mine = info?.tenant === undefined ? !BASE_KINDS.has(kind) : tenants.has(info.tenant);
      return mine ? [{ key, kind }] : [];
    });
    const sizes = await Promise.all(counted.map(({ key }) => client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0') as Promise<number | null>));
    counted.forEach(({ kind }, i) => (kinds[kind] = (kinds[kind] ?? 0) + (sizes[i] ?? 0)));
  } while (cursor !== '0');
  const apart = Object.entries(kinds).reduce((sum, [kind, bytes]) => (BASE_KINDS.has(kind) ? sum : sum + bytes), 0);
  return { kinds, apart };
}

/**
 * The average length in bytes of the `status` member of the tenant's device records (the /v1
 * device status, part of the `devices` kind), from a sample of up to 1000 records.
 */
export async function statusBytesPerDevice(client: Redis, tenant: string): Promise<number> {
  const [, flat] = await client.hscan(keys.devices(tenant), '0', 'COUNT', 1000);
  const records = flat.filter((_, i) => i % 2 === 1);
  const lengths = records.map((record) => {
    const { status, ...rest } = JSON.parse(record) as Record<string, unknown>;
    return status === undefined ? 0 : Buffer.byteLength(record) - Buffer.byteLength(JSON.stringify(rest));
  });
  return lengths.length === 0 ? 0 : lengths.reduce((a, b) => a + b, 0) / lengths.length;
}
