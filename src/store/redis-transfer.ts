/**
 * Redis storage side of bulk import and export: the batched import script and hash scans.
 * Every call touches one hash tag (one tenant, or the registry-wide records).
 */
import { notFound } from '../errors.js';
import { credentialField, deviceIndexKeys, keys } from './keys.js';
import * as lua from './lua/transfer-scripts.js';
import type { RunScript } from './redis-security.js';
import type { ImportVerdict, ScanPage, TransferStore } from './store.js';

/** What this module needs from the Redis client (kept narrow: only redis.ts imports ioredis). */
export interface TransferClient {
  hscan(key: string, cursor: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>;
}

const CONFLICTS = new Set(['DENIED', 'DEVICE_DIFFERS', 'RESERVED', 'CREDENTIALS_DIFFER', 'OWNED']);

/** `OWNED:<k>:<owner>` → { conflict, index, owner }; the owner may itself contain ':'. */
function toVerdict(word: string): ImportVerdict {
  const [head, index, ...owner] = word.split(':');
  if (head !== undefined && CONFLICTS.has(head)) {
    const conflict = head as 'DENIED';
    return { conflict, ...(index === undefined ? {} : { index: Number(index) }), ...(owner.length === 0 ? {} : { owner: owner.join(':') }) };
  }
  return { outcome: word.toLowerCase() as 'created' };
}

export function createTransferStore(client: TransferClient, run: RunScript): TransferStore {
  async function scan(key: string, cursor: string, count: number): Promise<ScanPage> {
    const [next, flat] = await client.hscan(key, cursor, 'COUNT', count);
    const entries: [string, string][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) entries.push([flat[i] as string, flat[i + 1] as string]);
    return { cursor: next, entries };
  }

  return {
    async importDevices(tenantId, devices, replace) {
      const args = [replace ? 'replace' : 'create'];
      for (const d of devices) {
        args.push(d.deviceId, d.json ?? '', String(d.credentials.length));
        for (const c of d.credentials) args.push(credentialField(c.type, c.authId), c.json);
      }
      const keyList = [keys.tenantMarker(tenantId), keys.devices(tenantId), keys.credentials(tenantId), keys.deviceCredentials(tenantId), keys.deniedDevices(tenantId), keys.deniedIdentities(tenantId), ...deviceIndexKeys(tenantId), keys.credentialsSearch(tenantId)];
      const reply = await run(lua.importDevices, keyList, args);
      if (reply === 'TENANT_NOT_FOUND') throw notFound(`tenant "${tenantId}" not found`);
      return (reply as string[]).map(toVerdict);
    },
    scanTenants: (cursor, count) => scan(keys.tenants(), cursor, count),
    scanDevices: (tenantId, cursor, count) => scan(keys.devices(tenantId), cursor, count),
    scanCredentials: (tenantId, cursor, count) => scan(keys.credentials(tenantId), cursor, count),
    scanCredentialIndex: (tenantId, cursor, count) => scan(keys.deviceCredentials(tenantId), cursor, count),
    async credentialsOfDevices(tenantId, deviceIds) {
      if (deviceIds.length === 0) return [];
      const lists = (await client.hmget(keys.deviceCredentials(tenantId), ...deviceIds)).map((raw) => (raw === null ? [] : (JSON.parse(raw) as string[])));
      const fields = lists.flat();
      const records = fields.length === 0 ? [] : await client.hmget(keys.credentials(tenantId), ...fields);
      let at = 0;
      return lists.map((list) => {
        const found = records.slice(at, at + list.length).filter((r): r is string => r !== null);
        at += list.length;
        return found;
      });
    },
  };
}
