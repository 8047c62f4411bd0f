/**
 * Reads of the device search indexes (docs/management-v1.md "How search is indexed"): the id index, the
 * field index, the unindexed devices and the via targets of a tenant. The scripts that write
 * devices maintain them (lua/device-lib.ts); here they are only read, one command each (commands
 * sent together go out pipelined), and indexed afresh for records written before they existed.
 */
import { filterRange } from '../model/device-index.js';
import { deviceIndexKeys, keys } from './keys.js';
import * as deviceLua from './lua/device-scripts.js';
import type { Guard } from './redis-records.js';
import type { RunScript } from './redis-security.js';
import type { DeviceIndexStore, IndexRange } from './store.js';

type Bound = string | Buffer;

/** What the index reads need from the Redis client (only redis.ts imports ioredis). */
export interface IndexClient {
  zcard(key: string): Promise<number>;
  zrange(key: string, min: Bound, max: Bound, by: 'BYLEX', limit: 'LIMIT', offset: number, count: number): Promise<string[]>;
  zrange(key: string, max: Bound, min: Bound, by: 'BYLEX', rev: 'REV', limit: 'LIMIT', offset: number, count: number): Promise<string[]>;
  zlexcount(key: string, min: Bound, max: Bound): Promise<number>;
  zrank(key: string, member: string): Promise<number | null>;
  /** ZRANGE by rank: `args` = start, stop and optionally REV. */
  call(command: 'ZRANGE', key: string, ...args: (string | number)[]): Promise<unknown>;
  hscan(key: string, cursor: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  hkeys(key: string): Promise<string[]>;
  hlen(key: string): Promise<number>;
}

/** Device ids handed to one indexing script call. */
const INDEX_BATCH = 500;
/** Most members of one gateway group named in an assert answer. */
export const MAX_GROUP_MEMBERS = 1000;

const lexAfter = (id: string): Bound => `(${id}`;
const lexBefore = (id: string): Bound => `(${id}`;
const idOfMember = (member: string): string => member.slice(member.lastIndexOf('\0') + 1);

/** A prefix range of the id index: ids starting with `prefix`. */
function idPrefixRange(prefix: string): IndexRange {
  return { min: Buffer.from(`[${prefix}`), max: Buffer.concat([Buffer.from(`(${prefix}`), Buffer.from([0xff])]) };
}

/** A lex bound with its inclusiveness flipped: `[x` ↔ `(x` (the bound just outside it). */
function flipped(bound: Buffer): Buffer {
  return Buffer.concat([Buffer.from(bound[0] === 0x5b ? '(' : '['), bound.subarray(1)]);
}

/**
 * A page of a range of the field index. From its start (offset 0) one ZRANGE BYLEX; deeper pages
 * by rank (range-page), so that Redis never walks the skipped entries. A descending page is the
 * ascending page at the mirrored offset, reversed.
 */
function rangeEntries(client: IndexClient, run: RunScript) {
  return async (key: string, range: IndexRange, offset: number, count: number, reverse: boolean): Promise<string[]> => {
    if (offset === 0) return reverse ? client.zrange(key, range.max, range.min, 'BYLEX', 'REV', 'LIMIT', 0, count) : client.zrange(key, range.min, range.max, 'BYLEX', 'LIMIT', 0, count);
    if (!reverse) return (await run(deviceLua.rangePage, [key], [flipped(range.min), range.min, range.max, String(offset), String(count)])) as string[];
    const size = await client.zlexcount(key, range.min, range.max);
    const start = Math.max(0, size - offset - count);
    const page = (await run(deviceLua.rangePage, [key], [flipped(range.min), range.min, range.max, String(start), String(size - offset - start)])) as string[];
    return page.reverse();
  };
}

export function createDeviceIndexStore(client: IndexClient, run: RunScript, guard: Guard): DeviceIndexStore {
  const page = rangeEntries(client, run);
  const entries = (t: string, range: IndexRange, offset: number, count: number, reverse = false) => guard(() => page(keys.deviceFields(t), range, offset, count, reverse));
  return {
    countDevices: (t) => guard(() => client.zcard(keys.deviceIds(t))),
    deviceIds: (t, { after, offset, count, reverse }) =>
      guard(async () => {
        if (count <= 0) return [];
        // From the start, by rank (all scores are 0, so rank order is id order): O(log N + count) at any offset.
        if (after === undefined) return (await client.call('ZRANGE', keys.deviceIds(t), offset, offset + count - 1, ...(reverse ? ['REV'] : []))) as string[];
        return reverse
          ? client.zrange(keys.deviceIds(t), lexBefore(after), '-', 'BYLEX', 'REV', 'LIMIT', offset, count)
          : client.zrange(keys.deviceIds(t), lexAfter(after), '+', 'BYLEX', 'LIMIT', offset, count);
      }),
    deviceRanks: (t, ids) => guard(() => Promise.all(ids.map((id) => client.zrank(keys.deviceIds(t), id)))),
    deviceIdsWithPrefix: (t, prefix, count) => {
      const range = idPrefixRange(prefix);
      return guard(() => client.zrange(keys.deviceIds(t), range.min, range.max, 'BYLEX', 'LIMIT', 0, count));
    },
    countEntries: (t, ranges) => guard(() => Promise.all(ranges.map((r) => client.zlexcount(keys.deviceFields(t), r.min, r.max)))),
    entries,
    unindexedDevices: (t, count) => guard(() => client.zrange(keys.deviceUnindexed(t), '-', '+', 'BYLEX', 'LIMIT', 0, count)),
    viaTargets: (t, count) =>
      guard(async () => {
        const targets: string[] = [];
        let cursor = '0';
        do {
          const [next, flat] = await client.hscan(keys.viaRefs(t), cursor, 'COUNT', 500);
          for (let i = 0; i < flat.length; i += 2) targets.push(flat[i] as string);
          cursor = next;
        } while (cursor !== '0' && targets.length < count);
        return [...new Set(targets)].slice(0, count);
      }),
    groupMembers: async (t, groups) => {
      const pages = await Promise.all(
        groups.map((group) => entries(t, groupRange(group), 0, MAX_GROUP_MEMBERS)),
      );
      return [...new Set(pages.flat().map(idOfMember))];
    },
    indexDevices: (t) =>
      guard(async () => {
        let indexed = 0;
        let cursor = '0';
        do {
          const [next, flat] = await client.hscan(keys.devices(t), cursor, 'COUNT', INDEX_BATCH);
          const ids = flat.filter((_, i) => i % 2 === 0);
          if (ids.length > 0) indexed += Number(await run(deviceLua.indexDevices, [keys.devices(t), ...deviceIndexKeys(t)], ids));
          cursor = next;
        } while (cursor !== '0');
        return indexed;
      }),
  };
}

/** The field index entries of the members of a gateway group (`memberOf` holds the group). */
function groupRange(group: string): IndexRange {
  const planned = filterRange({ field: '/memberOf', path: ['memberOf'], op: 'eq', value: group });
  if (planned === undefined) throw new Error('memberOf is always indexed');
  return planned.range;
}

/**
 * Start-up (StoreLifecycle.recover): indexes the devices of every tenant whose id index holds
 * fewer ids than it has devices, i.e. data written before the indexes existed. Two counts per
 * tenant otherwise.
 */
export async function indexUnindexedTenants(client: IndexClient, store: DeviceIndexStore): Promise<void> {
  for (const tenantId of await client.hkeys(keys.tenants())) {
    const [devices, indexed] = await Promise.all([client.hlen(keys.devices(tenantId)), client.zcard(keys.deviceIds(tenantId))]);
    if (devices !== indexed) await store.indexDevices(tenantId);
  }
}
