/**
 * Redis storage of tenants: the scripts of lua/tenant-scripts.ts on the registry slot, the tenant's
 * marker in its own slot, the purge of a deleted tenant's data in batches, and start-up recovery.
 */
import { keys, tenantDataKeys, tenantSortedSets } from './keys.js';
import * as lua from './lua/tenant-scripts.js';
import { check, type RecordsContext } from './redis-records.js';
import type { TenantStore, TenantWriteOptions, WritePrecondition } from './store.js';

/** A tenant creation that has not written its marker after this long was abandoned by a crashed process. */
const CREATION_STALE_MS = 10_000;

/** Every registry-slot key a tenant creation or deletion touches, in the scripts' KEYS order. */
const registryKeys = () => [keys.tenants(), keys.tenantCas(), keys.caIndex(), keys.tenantsDeleting(), keys.tenantsCreating(), keys.tenantAliases(), keys.caShared()];
const updateKeys = () => [keys.tenants(), keys.tenantCas(), keys.caIndex(), keys.tenantAliases(), keys.caShared()];

const ifMatchArg = (options: WritePrecondition | undefined): string => options?.ifMatch ?? '';

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
  // Sorted sets of ids and index entries only; UNLINK frees them off the main thread.
  await client.unlink(...tenantSortedSets(tenantId));
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

/** The script arguments of a tenant's indexes: its DN keys, its alias and its trust-anchor group ('' for none). */
const indexArgs = (caKeys: readonly string[], options: TenantWriteOptions | undefined): string[] => [JSON.stringify(caKeys), options?.alias ?? '', options?.group ?? ''];

export function createTenantRecords(context: RecordsContext): TenantStore {
  const { client, run, guard } = context;
  const notFound = (id: string) => ({ NOT_FOUND: `tenant "${id}" not found` });
  return {
    createTenant: (id, json, caKeys, options) =>
      guard(async () => {
        check(await run(lua.createTenant, registryKeys(), [id, json, ...indexArgs(caKeys, options)]), id, { EXISTS: `tenant "${id}" already exists` });
        await client.set(keys.tenantMarker(id), '1');
        await client.hdel(keys.tenantsCreating(), id);
      }),
    updateTenant: (id, json, caKeys, options) =>
      guard(async () => check(await run(lua.updateTenant, updateKeys(), [id, json, ...indexArgs(caKeys, options), ifMatchArg(options)]), id, notFound(id))),
    getTenant: (id) => guard(() => client.hget(keys.tenants(), id)),
    getTenantByCa: (caKey) => guard(async () => (await run(lua.getTenantByIndex, [keys.caIndex(), keys.tenants()], [caKey])) as string | null),
    getTenantByAlias: (alias) => guard(async () => (await run(lua.getTenantByIndex, [keys.tenantAliases(), keys.tenants()], [alias])) as string | null),
    deleteTenant: (id, options) =>
      guard(async () => {
        check(await run(lua.beginTenantDeletion, registryKeys(), [id, String(CREATION_STALE_MS), ifMatchArg(options)]), id, notFound(id));
        await purgeTenant(context, id);
      }),
  };
}
