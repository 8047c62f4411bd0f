/**
 * Redis side of notification delivery (docs/notifications.md): the outboxes the write scripts
 * append to (lua/outbox.ts), the doorbell set that names outboxes with pending entries, the
 * sweep that finds outboxes the doorbell missed, leases and the removal of delivered entries.
 * Every call touches one slot, or SCANs each master.
 */
import { keys, leaseOf } from './keys.js';
import * as lua from './lua/outbox.js';
import type { RunScript } from './redis-security.js';
import type { OutboxBacklog, OutboxEntry, OutboxStore } from './store.js';

/** What this module needs from the Redis client (kept narrow: only redis.ts imports ioredis). */
export interface OutboxClient {
  sadd(key: string, ...members: string[]): Promise<number>;
  srem(key: string, ...members: string[]): Promise<number>;
  srandmember(key: string, count: number): Promise<string[]>;
  xlen(key: string): Promise<number>;
  xrange(key: string, start: string, end: string, count: 'COUNT', n: number): Promise<[string, string[]][]>;
}

/** A node whose keys SCAN lists (the client itself, or each master of a cluster). */
export interface StreamScanner {
  scan(cursor: string, match: 'MATCH', pattern: string, count: 'COUNT', n: number, type: 'TYPE', kind: string): Promise<[string, string[]]>;
}

const SCAN_CHUNK = 1000;

function toEntry([id, flat]: [string, string[]]): OutboxEntry {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
  return { id, fields };
}

/** The time (ms) a stream entry id was written at: its first part. */
function entryTime(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

export function createOutboxStore(client: OutboxClient, run: RunScript, scanners: () => readonly StreamScanner[]): OutboxStore {
  const ring = async (outbox: string) => void (await client.sadd(keys.pendingOutboxes(), outbox));
  return {
    ringOutbox: ring,
    pendingOutboxes: (count) => client.srandmember(keys.pendingOutboxes(), count),
    async sweepOutboxes() {
      const found: string[] = [];
      for (const node of scanners()) {
        let cursor = '0';
        do {
          const [next, batch] = await node.scan(cursor, 'MATCH', 'outbox:*', 'COUNT', SCAN_CHUNK, 'TYPE', 'stream');
          found.push(...batch);
          cursor = next;
        } while (cursor !== '0');
      }
      if (found.length > 0) await client.sadd(keys.pendingOutboxes(), ...found);
      return found;
    },
    leaseOutbox: async (outbox, owner, ms) => Number(await run(lua.leaseOutbox, [leaseOf(outbox)], [owner, String(ms)])) === 1,
    releaseOutbox: async (outbox, owner) => void (await run(lua.releaseOutbox, [leaseOf(outbox)], [owner])),
    readOutbox: async (outbox, count) => (await client.xrange(outbox, '-', '+', 'COUNT', count)).map(toEntry),
    async ackOutbox(outbox, owner, ids, leaseMs) {
      const left = Number(await run(lua.ackOutbox, [outbox, leaseOf(outbox)], [owner, String(leaseMs), ...ids]));
      return left < 0 ? undefined : left;
    },
    async settleOutbox(outbox) {
      // Off the doorbell first, then look: a write after the look rings it again after its append.
      await client.srem(keys.pendingOutboxes(), outbox);
      const left = await client.xlen(outbox);
      if (left > 0) await ring(outbox);
      return left;
    },
    async outboxBacklog(outboxes) {
      const backlog: OutboxBacklog[] = [];
      for (const outbox of outboxes) {
        const [pending, first] = await Promise.all([client.xlen(outbox), client.xrange(outbox, '-', '+', 'COUNT', 1)]);
        const oldest = first[0];
        backlog.push({ outbox, pending, oldestMs: oldest === undefined ? undefined : entryTime(oldest[0]) });
      }
      return backlog;
    },
  };
}
