/**
 * Redis storage of a device's credentials as one set (the /v1 face): the scripts of
 * lua/credentials-scripts.ts, and the start-up step that builds the search index of records
 * written before it existed.
 */
import { conflict, notFound } from '../errors.js';
import { credentialField, keys, lexSuccessor } from './keys.js';
import * as lua from './lua/credentials-scripts.js';
import { check, type RecordsContext } from './redis-records.js';
import type { CredentialsSetStore } from './store.js';

const deviceNotFound = (t: string, d: string) => `device "${d}" not found in tenant "${t}"`;

/** The CONFLICT of an identity the set may not take (OWNED:<k> or RESERVED:<k> of replaceCredentialsSet). */
function identityConflict(outcome: string, described: readonly string[]): Error | undefined {
  const match = /^(OWNED|RESERVED):(\d+)$/.exec(outcome);
  if (match === null) return undefined;
  const what = described[Number(match[2])] ?? 'a record';
  return match[1] === 'OWNED'
    ? conflict(`${what} belong to another device of the tenant`)
    : conflict(`${what} are reserved by a device on the denied list; purge it to free them`);
}

export function createCredentialsSetRecords(context: RecordsContext): CredentialsSetStore {
  const { run, guard } = context;
  return {
    getCredentialsSet: (t, d) =>
      guard(async () => {
        const [state, ...records] = (await run(lua.getCredentialsSet, [keys.tenantMarker(t), keys.devices(t), keys.credentials(t), keys.deviceCredentials(t)], [d])) as [number, ...string[]];
        if (state === 0) throw notFound(`tenant "${t}" not found`);
        if (state === 1) throw notFound(deviceNotFound(t, d));
        return records;
      }),
    replaceCredentialsSet: (t, d, expected, records) =>
      guard(async () => {
        const keyList = [keys.tenantMarker(t), keys.devices(t), keys.credentials(t), keys.deviceCredentials(t), keys.deniedDevices(t), keys.deniedIdentities(t), keys.credentialsSearch(t)];
        const args = [d, expected, ...records.flatMap((r) => [credentialField(r.type, r.authId), r.json])];
        const outcome = String(await run(lua.replaceCredentialsSet, keyList, args));
        if (outcome === 'CHANGED') return false;
        const refused = identityConflict(outcome, records.map((r) => `credentials of type "${r.type}" with auth-id "${r.authId}"`));
        if (refused !== undefined) throw refused;
        check(outcome, t, { NOT_FOUND: deviceNotFound(t, d) });
        return true;
      }),
    searchCredentials: (t, prefix, offset, count, after) =>
      guard(async () => {
        const range = [`[${prefix}`, `(${lexSuccessor(prefix)}`];
        const page = [after === undefined ? range[0] as string : `(${after}`, range[1] as string];
        const reply = await run(lua.searchCredentials, [keys.tenantMarker(t), keys.credentialsSearch(t), keys.credentials(t)], [...range, ...page, String(offset), String(count)]);
        const [total, ...flat] = reply as [number, ...(string | null)[]];
        if (total === -1) throw notFound(`tenant "${t}" not found`);
        const entries = [];
        for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ member: flat[i] as string, json: flat[i + 1] ?? null });
        return { total, entries };
      }),
  };
}

/** Fields added to the search index per script call while recovery builds it. */
const BACKFILL_CHUNK = 500;

/**
 * Part of StoreLifecycle.recover: builds the credentials search index of every tenant whose
 * records predate it (records but no index), in chunks. Records written meanwhile index themselves.
 */
export async function recoverCredentialsSearch(context: RecordsContext): Promise<void> {
  const { client, run } = context;
  for (const t of await client.hkeys(keys.tenants())) {
    if ((await client.hlen(keys.credentials(t))) === 0 || (await client.exists(keys.credentialsSearch(t))) === 1) continue;
    let cursor = '0';
    do {
      const [next, entries] = await client.hscan(keys.credentials(t), cursor, 'COUNT', BACKFILL_CHUNK);
      const fields = entries.filter((_, i) => i % 2 === 0);
      if (fields.length > 0) await run(lua.indexCredentialsSearch, [keys.credentials(t), keys.credentialsSearch(t)], fields);
      cursor = next;
    } while (cursor !== '0');
  }
}
