/**
 * Device search of the /v1 API (docs/management-v1.md "How search is indexed"). Queries run here,
 * in Node, on the tenant's indexes; Redis only answers short range reads, so the AMQP lookups it
 * serves meanwhile are not held up. The plans, fastest first:
 *
 * 1. no filter, ordered by id: a page of the id index by rank, the total its size;
 * 2. one exact filter on an indexed value, ordered by id, every device indexed: a page of the
 *    filter's range of the field index (its members are in id order), the total the range's size;
 * 3. otherwise candidates, checked on their records (fetched in chunks) against every filter:
 *    the smallest range of an indexable filter, the ids an `/id` filter names, the gateways
 *    (isGateway), or all devices; plus the unindexed devices. More candidates than the scan limit
 *    is a 400 naming the limit: nothing is left out silently.
 */
import { badRequest } from '../errors.js';
import { filterRange, memberDevice, pointerRange, type FieldRange } from '../model/device-index.js';
import { stringList, v1View, type JsonObject } from '../model/device.js';
import { decodeCursor, encodeCursor, hasWildcard, nothingFound, searchRows, sortKey, type Filter, type Row, type SearchQuery } from '../model/search.js';
import type { DeviceIndexStore, DeviceStore } from '../store/store.js';

export interface DeviceSearch {
  /**
   * A page of the tenant's live devices as `{"total", "result"[, "cursor"]}` JSON text; `isGateway`
   * true: gateways only (named in a `via`, or members of a group), false: no gateways.
   * NOT_FOUND when nothing matches; BAD_REQUEST when the search needs more than the scan limit.
   */
  search(tenantId: string, query: SearchQuery, isGateway: boolean | undefined): Promise<string>;
}

export interface SearchOptions {
  /** Most devices one search may check one by one (REGISTRY_SEARCH_SCAN_LIMIT). */
  readonly scanLimit: number;
}

/** Records fetched per HMGET. */
const FETCH_CHUNK = 500;

type Store = DeviceStore & DeviceIndexStore;

/** The id order of a query: undefined when it sorts by anything but the id. */
function idOrder(query: SearchQuery): 'asc' | 'desc' | undefined {
  if (query.sorts.length === 0) return 'asc';
  const [first] = query.sorts;
  return query.sorts.length === 1 && first?.field === '/id' ? first.direction : undefined;
}

/** A result entry: the device as /v1 shows it, its id first. */
const entity = (id: string, record: JsonObject): JsonObject => ({ id, ...v1View(record) });

function pageJson(total: number, rows: readonly Row[], cursor: string | undefined): string {
  const result = rows.map((row) => JSON.stringify(row.entity)).join(',');
  return `{"total":${total},"result":[${result}]${cursor === undefined ? '' : `,"cursor":${JSON.stringify(cursor)}`}}`;
}

/** The id after which a cursor page starts (undefined: the first page). */
function cursorId(query: SearchQuery): string | undefined {
  if (query.cursor === undefined || query.cursor === '') return undefined;
  return decodeCursor(query.cursor, query.sorts).at(-1) as string;
}

/** The next cursor of a page in cursor mode that has more after it. */
function nextCursor(query: SearchQuery, rows: readonly Row[], more: boolean): string | undefined {
  const last = rows[rows.length - 1];
  if (query.cursor === undefined || !more || last === undefined) return undefined;
  return encodeCursor(sortKey(last.id, last.entity, query.sorts));
}

/**
 * The rank of the n-th (from 0) id that is not at one of the `skipped` ranks (ascending): n plus
 * the skipped ranks up to it, found by fixed-point steps (at most one per skipped rank).
 */
export function rankOfNth(n: number, skipped: readonly number[]): number {
  const atOrBelow = (rank: number): number => {
    let low = 0;
    let high = skipped.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((skipped[mid] as number) <= rank) low = mid + 1;
      else high = mid;
    }
    return low;
  };
  let rank = n;
  for (;;) {
    const next = n + atOrBelow(rank);
    if (next === rank) return rank;
    rank = next;
  }
}

export function createDeviceSearch(store: Store, options: SearchOptions): DeviceSearch {
  /** The records of the ids (in their order; devices gone meanwhile left out). */
  async function rowsOf(tenantId: string, ids: readonly string[]): Promise<Row[]> {
    const rows: Row[] = [];
    for (let i = 0; i < ids.length; i += FETCH_CHUNK) {
      const chunk = ids.slice(i, i + FETCH_CHUNK);
      const records = await store.lookupDevices(tenantId, chunk);
      chunk.forEach((id, k) => {
        const record = records[k];
        if (record !== null && record !== undefined) rows.push({ id, entity: entity(id, JSON.parse(record) as JsonObject) });
      });
    }
    return rows;
  }

  /** Plan 1: a page of the id index. */
  async function byIdIndex(tenantId: string, query: SearchQuery, order: 'asc' | 'desc'): Promise<string> {
    const total = await store.countDevices(tenantId);
    if (total === 0) nothingFound('device');
    const after = cursorId(query);
    const offset = query.cursor === undefined ? query.pageOffset * query.pageSize : 0;
    const ids = await store.deviceIds(tenantId, { after, offset, count: query.pageSize + 1, reverse: order === 'desc' });
    const rows = await rowsOf(tenantId, ids.slice(0, query.pageSize));
    return pageJson(total, rows, nextCursor(query, rows, ids.length > query.pageSize));
  }

  /**
   * Plan 1 for isGateway=false: the id index with the gateways left out. The page starts at the
   * rank of the wanted non-gateway, found from the gateways' ranks; a cursor page reads past at
   * most as many ids as there are gateways.
   */
  async function withoutGateways(tenantId: string, query: SearchQuery, order: 'asc' | 'desc'): Promise<string> {
    const unindexedIds = await store.unindexedDevices(tenantId, options.scanLimit + 1);
    if (unindexedIds.length > options.scanLimit) tooMany(unindexedIds.length);
    const gatewayIds = await gateways(tenantId, await rowsOf(tenantId, unindexedIds));
    const [count, ranks] = await Promise.all([store.countDevices(tenantId), store.deviceRanks(tenantId, [...gatewayIds])]);
    const live = ranks.filter((r): r is number => r !== null).map((r) => (order === 'asc' ? r : count - 1 - r)).sort((a, b) => a - b);
    const total = count - live.length;
    if (total <= 0) nothingFound('device');
    const after = cursorId(query);
    const offset = query.cursor === undefined ? rankOfNth(query.pageOffset * query.pageSize, live) : 0;
    const ids = await store.deviceIds(tenantId, { after, offset, count: query.pageSize + 1 + live.length, reverse: order === 'desc' });
    const page = ids.filter((id) => !gatewayIds.has(id)).slice(0, query.pageSize + 1);
    const rows = await rowsOf(tenantId, page.slice(0, query.pageSize));
    return pageJson(total, rows, nextCursor(query, rows, page.length > query.pageSize));
  }

  /** Plan 2: a page of an exact filter's range of the field index. */
  async function byRange(tenantId: string, query: SearchQuery, range: FieldRange, order: 'asc' | 'desc'): Promise<string> {
    const [total = 0] = await store.countEntries(tenantId, [range]);
    if (total === 0) nothingFound('device');
    const after = cursorId(query);
    let page = range;
    if (after !== undefined) {
      const prefix = range.min.subarray(1);
      const bound = Buffer.concat([Buffer.from('('), prefix, Buffer.from(after)]);
      page = order === 'asc' ? { ...range, min: bound } : { ...range, max: bound };
    }
    const offset = query.cursor === undefined ? query.pageOffset * query.pageSize : 0;
    const members = query.pageSize === 0 ? [] : await store.entries(tenantId, page, offset, query.pageSize + 1, order === 'desc');
    const rows = await rowsOf(tenantId, members.slice(0, query.pageSize).map(memberDevice));
    return pageJson(total, rows, nextCursor(query, rows, members.length > query.pageSize));
  }

  const tooMany = (count: number): never => {
    throw badRequest(
      `the search would check ${count} devices one by one, more than REGISTRY_SEARCH_SCAN_LIMIT (${options.scanLimit}); add a filterJson on an indexed value (an exact value or a prefix followed by *, not on /status/created, /status/updated or /status/last-user) or raise the limit`,
    );
  };

  /** Ids an `/id` filter names: the id itself, or the ids with its prefix; undefined for other patterns. */
  async function idCandidates(tenantId: string, filter: Filter): Promise<string[] | undefined> {
    if (typeof filter.value !== 'string') return [];
    if (!hasWildcard(filter.value)) return [filter.value];
    const prefix = /^[^*?]*/.exec(filter.value)?.[0] ?? '';
    if (prefix === '') return undefined;
    const ids = await store.deviceIdsWithPrefix(tenantId, prefix, options.scanLimit + 1);
    return ids.length > options.scanLimit ? tooMany(ids.length) : ids;
  }

  /** The candidates the narrowest usable filter gives, or undefined when none helps. */
  async function filterCandidates(tenantId: string, filters: readonly Filter[]): Promise<string[] | undefined> {
    const idFilter = filters.find((f) => f.field === '/id');
    const byId = idFilter === undefined ? undefined : await idCandidates(tenantId, idFilter);
    if (byId !== undefined) return byId;
    const ranges = filters.flatMap((f) => filterRange(f)?.range ?? []);
    if (ranges.length === 0) return undefined;
    const counts = await store.countEntries(tenantId, ranges);
    const best = counts.indexOf(Math.min(...counts));
    const count = counts[best] ?? 0;
    if (count > options.scanLimit) tooMany(count);
    const members = await store.entries(tenantId, ranges[best] as FieldRange, 0, options.scanLimit);
    return [...new Set(members.map(memberDevice))];
  }

  /** The gateways of the tenant: ids named in a `via`, members of a group (indexed or not). */
  async function gateways(tenantId: string, unindexed: readonly Row[]): Promise<Set<string>> {
    const [targets, members] = await Promise.all([
      store.viaTargets(tenantId, options.scanLimit + 1),
      store.entries(tenantId, pointerRange(['memberOf']), 0, options.scanLimit + 1),
    ]);
    if (targets.length + members.length > options.scanLimit) tooMany(targets.length + members.length);
    const ids = new Set([...targets, ...members.map(memberDevice)]);
    for (const row of unindexed) if (stringList((row.entity as JsonObject).memberOf).length > 0) ids.add(row.id);
    return ids;
  }

  /** All ids of the tenant, when it holds no more than the scan limit. */
  async function allIds(tenantId: string): Promise<string[]> {
    const total = await store.countDevices(tenantId);
    if (total > options.scanLimit) tooMany(total);
    return store.deviceIds(tenantId, { offset: 0, count: total, reverse: false });
  }

  /** Plan 3: candidates checked one by one. */
  async function byCandidates(tenantId: string, query: SearchQuery, isGateway: boolean | undefined): Promise<string> {
    const unindexedIds = await store.unindexedDevices(tenantId, options.scanLimit + 1);
    if (unindexedIds.length > options.scanLimit) tooMany(unindexedIds.length);
    const unindexed = await rowsOf(tenantId, unindexedIds);
    const gatewayIds = isGateway === undefined ? undefined : await gateways(tenantId, unindexed);
    let ids = await filterCandidates(tenantId, query.filters);
    if (ids === undefined && isGateway === true) ids = [...(gatewayIds as Set<string>)];
    ids ??= await allIds(tenantId);
    const known = new Set(unindexedIds);
    const candidates = ids.filter((id) => !known.has(id) && (gatewayIds === undefined || gatewayIds.has(id) === isGateway));
    if (candidates.length > options.scanLimit) tooMany(candidates.length);
    const rows = [...(await rowsOf(tenantId, candidates)), ...unindexed.filter((row) => gatewayIds === undefined || gatewayIds.has(row.id) === isGateway)];
    const page = searchRows(rows, query, 'device');
    return pageJson(page.total, page.result, page.cursor);
  }

  return {
    async search(tenantId, query, isGateway) {
      const order = idOrder(query);
      if (order !== undefined && isGateway === undefined && query.filters.length === 0) return byIdIndex(tenantId, query, order);
      if (order !== undefined && isGateway === false && query.filters.length === 0) return withoutGateways(tenantId, query, order);
      const [only] = query.filters;
      const planned = only === undefined ? undefined : filterRange(only);
      if (order !== undefined && isGateway === undefined && query.filters.length === 1 && planned?.exact === true && (await store.unindexedDevices(tenantId, 1)).length === 0) {
        return byRange(tenantId, query, planned.range, order);
      }
      return byCandidates(tenantId, query, isGateway);
    },
  };
}
