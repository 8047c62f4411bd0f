/**
 * Redis storage of the management API's security: tokens (stored by keyed hash, expiring by
 * themselves), console sessions, the shared bad-authentication limiter, and the bounded audit stream.
 * Everything lives under one hash tag, so each operation is single-slot.
 */
import type { AuditEntry, AuditQuery, LimiterPolicy, SecurityStore } from './store.js';
import { keys } from './keys.js';
import * as lua from './lua/security-scripts.js';
import type { LuaScript } from './lua/scripts.js';

/** What this module needs from the Redis client (kept narrow: only redis.ts imports ioredis). */
export interface SecurityClient {
  hget(key: string, field: string): Promise<string | null>;
  hgetall(key: string): Promise<Record<string, string>>;
  mget(...keys: string[]): Promise<(string | null)[]>;
  hdel(key: string, ...fields: string[]): Promise<number>;
  del(...keys: string[]): Promise<number>;
  hset(key: string, field: string, value: string): Promise<number>;
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
  getdel(key: string): Promise<string | null>;
  hexists(key: string, field: string): Promise<number>;
  xadd(key: string, ...args: (string | number)[]): Promise<string | null>;
  xrevrange(key: string, end: string, start: string, count: 'COUNT', n: number): Promise<[string, string[]][]>;
}

export type RunScript = (script: LuaScript, keyList: readonly string[], args: readonly (string | Buffer)[]) => Promise<unknown>;

/** Attempts of a token change whose id another instance changed at the same moment. */
const TOKEN_CHANGE_ATTEMPTS = 10;
const AUDIT_MAX_LENGTH = 100_000;
const AUDIT_SCAN_CHUNK = 500;
const AUDIT_SCAN_LIMIT = 20_000;

function fieldsToEntry(id: string, fields: string[]): AuditEntry {
  const entry: Record<string, string> = { id };
  for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i] as string] = fields[i + 1] as string;
  return entry as unknown as AuditEntry;
}

export function createSecurityStore(client: SecurityClient, run: RunScript): SecurityStore {
  /**
   * Runs a token script with the id's current hash read first, so the script can declare the key
   * of the token it replaces or removes; again when the id changed in between (CHANGED).
   */
  async function changeToken(id: string, script: (current: string | null) => Promise<unknown>): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await script(await client.hget(keys.tokenIds(), id));
      if (outcome !== 'CHANGED') return outcome;
      if (attempt === TOKEN_CHANGE_ATTEMPTS) throw new Error(`token ${id} kept changing during ${attempt} attempts`);
    }
  }

  return {
    async authenticate(hashHex, clientKey) {
      const [blockedMs, json] = (await run(lua.authenticate, [keys.authBlocked(clientKey), keys.token(hashHex), keys.tokenIds()], [hashHex])) as [number, string | null];
      return { blockedMs, json: json ?? null };
    },
    async recordAuthFailure(clientKey, policy: LimiterPolicy) {
      const args = [String(policy.windowMs), String(policy.limit), String(policy.blockMs)];
      return (await run(lua.recordAuthFailure, [keys.authFailures(clientKey), keys.authBlocked(clientKey)], args)) as number;
    },
    async saveToken(hashHex, id, json, expiresAtMs, parentId) {
      const outcome = await changeToken(id, (current) =>
        run(
          lua.saveToken,
          [keys.token(hashHex), keys.tokenIds(), keys.token(current ?? hashHex), keys.tokenParents()],
          [id, hashHex, json, String(expiresAtMs), current ?? '', parentId ?? ''],
        ),
      );
      return outcome === 'OK';
    },
    async listTokens() {
      const ids = await client.hgetall(keys.tokenIds());
      const entries = Object.entries(ids);
      if (entries.length === 0) return [];
      const records = await client.mget(...entries.map(([, hash]) => keys.token(hash)));
      const expired = entries.filter((_, i) => records[i] === null).map(([id]) => id);
      if (expired.length > 0) {
        await client.hdel(keys.tokenIds(), ...expired);
        await client.hdel(keys.tokenLastUsed(), ...expired);
        await client.hdel(keys.tokenParents(), ...expired);
      }
      const lastUsed = await client.hgetall(keys.tokenLastUsed());
      return records.flatMap((json, i) => (json === null ? [] : [{ json, lastUsed: lastUsed[entries[i]?.[0] ?? ''] }]));
    },
    async revokeToken(id) {
      const revoked = (await run(lua.revokeToken, [keys.tokenIds(), keys.tokenLastUsed(), keys.tokenParents()], [id])) as string[];
      const ids = revoked.filter((_, i) => i % 2 === 0);
      // No longer valid already (authentication needs the id in token-ids); the records would expire by themselves.
      if (revoked.length > 0) await client.del(...revoked.filter((_, i) => i % 2 === 1).map((hash) => keys.token(hash)));
      return ids;
    },
    async indexTokenParents() {
      const ids = await client.hgetall(keys.tokenIds());
      const entries = Object.entries(ids);
      if (entries.length === 0) return;
      const records = await client.mget(...entries.map(([, hash]) => keys.token(hash)));
      const pairs = records.flatMap((json, i) => {
        const parent = json === null ? undefined : (JSON.parse(json) as { 'created-by'?: string })['created-by'];
        return parent !== undefined && ids[parent] !== undefined ? [entries[i]?.[0] as string, parent] : [];
      });
      if (pairs.length > 0) await run(lua.indexTokenParents, [keys.tokenIds(), keys.tokenParents()], pairs);
    },
    async touchToken(id, at) {
      // Only for tokens that still exist: a revoked token must not come back through its last use.
      if ((await client.hexists(keys.tokenIds(), id)) === 1) await client.hset(keys.tokenLastUsed(), id, at);
    },
    async saveSession(hashHex, json, ttlMs) {
      await client.set(keys.session(hashHex), json, 'PX', ttlMs);
    },
    async resumeSession(hashHex, nowMs, idleMs) {
      return ((await run(lua.resumeSession, [keys.session(hashHex), keys.tokenIds()], [String(nowMs), String(idleMs)])) as string | null) ?? null;
    },
    deleteSession: (hashHex) => client.getdel(keys.session(hashHex)),
    async appendAudit(entry) {
      const fields = Object.entries(entry).flatMap(([k, v]) => (v === undefined ? [] : [k, String(v)]));
      await client.xadd(keys.audit(), 'MAXLEN', '~', AUDIT_MAX_LENGTH, '*', ...fields);
    },
    async readAudit(query: AuditQuery) {
      const found: AuditEntry[] = [];
      let end = query.before ?? '+';
      for (let scanned = 0; found.length < query.limit && scanned < AUDIT_SCAN_LIMIT; scanned += AUDIT_SCAN_CHUNK) {
        const chunk = await client.xrevrange(keys.audit(), end, '-', 'COUNT', AUDIT_SCAN_CHUNK + (end === '+' ? 0 : 1));
        const fresh = end === '+' ? chunk : chunk.filter(([id]) => id !== end);
        for (const [id, fields] of fresh) {
          const entry = fieldsToEntry(id, fields);
          if (query.tenants === undefined || query.tenants.includes(entry.tenant ?? '')) found.push(entry);
          if (found.length === query.limit) break;
        }
        const last = chunk[chunk.length - 1];
        if (fresh.length === 0 || last === undefined) break;
        end = last[0];
      }
      return found;
    },
  };
}
