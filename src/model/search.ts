/**
 * Search of the /v1 management API (docs/management-v1.md "Search"), as pure functions: the query
 * a request asks for, JSON pointers (RFC 6901) into an entity, `*`/`?` wildcards, filter matching,
 * the sort order and the paging cursor. The engines that run a query over Redis use these to check
 * what an index cannot decide.
 */
import { badRequest, notFound } from '../errors.js';

export type FilterValue = boolean | number | string;

/** One `filterJson`: the entity matches when a value at `field` equals `value` (wildcards in strings). */
export interface Filter {
  /** The JSON pointer as given. */
  readonly field: string;
  /** Its reference tokens, unescaped. */
  readonly path: readonly string[];
  readonly op: 'eq';
  readonly value: FilterValue;
}

/** One `sortJson`. */
export interface Sort {
  readonly field: string;
  readonly path: readonly string[];
  readonly direction: 'asc' | 'desc';
}

export interface SearchQuery {
  /** 0–200; 0 answers the total only. */
  readonly pageSize: number;
  /** A page index (MongoDB's reading, the reference): the page starts at pageOffset × pageSize. */
  readonly pageOffset: number;
  readonly filters: readonly Filter[];
  readonly sorts: readonly Sort[];
  /** Cursor paging: undefined when not asked for, '' for the first page, else the cursor of the previous page. */
  readonly cursor: string | undefined;
}

/** A page: `total` counts every match; `cursor` (cursor paging only) is where the next page starts, absent at the end. */
export interface SearchPage<T> {
  readonly total: number;
  readonly result: readonly T[];
  readonly cursor?: string;
}

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 30;

/** The reference tokens of a JSON pointer (RFC 6901 §3, §4). BAD_REQUEST for a malformed pointer. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`"${pointer}" is not a JSON pointer: it must start with /`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) throw badRequest(`"${pointer}" is not a JSON pointer: ~ must be followed by 0 or 1`);
      return token.replaceAll('~1', '/').replaceAll('~0', '~');
    });
}

/**
 * The values a pointer reaches in a document, MongoDB-style: an array on the way is entered
 * element by element (unless the token is an index into it), and an array at the end gives its
 * elements as well as itself. Nothing reached: [].
 */
export function valuesAt(doc: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [doc];
  for (const token of path) {
    const next: unknown[] = [];
    for (const node of current) {
      if (Array.isArray(node)) {
        if (/^(0|[1-9]\d*)$/.test(token) && Number(token) < node.length) next.push(node[Number(token)]);
        else for (const element of node) if (isObject(element) && Object.hasOwn(element, token)) next.push(element[token]);
      } else if (isObject(node) && Object.hasOwn(node, token)) {
        next.push(node[token]);
      }
    }
    current = next;
  }
  return current.flatMap((value) => (Array.isArray(value) ? [value, ...value] : [value]));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

const wildcardCache = new Map<string, RegExp>();

/** Whether `text` matches a pattern where `*` stands for any characters and `?` for exactly one. */
export function wildcardMatch(pattern: string, text: string): boolean {
  let regex = wildcardCache.get(pattern);
  if (regex === undefined) {
    const source = [...pattern].map((ch) => (ch === '*' ? '[\\s\\S]*' : ch === '?' ? '[\\s\\S]' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&'))).join('');
    regex = new RegExp(`^${source}$`, 'u');
    if (wildcardCache.size > 1000) wildcardCache.clear();
    wildcardCache.set(pattern, regex);
  }
  return regex.test(text);
}

/** Whether a string filter value holds a wildcard. */
export const hasWildcard = (value: FilterValue): boolean => typeof value === 'string' && /[*?]/.test(value);

/** Whether the entity (as the /v1 face shows it) matches one filter. */
export function matchesFilter(entity: unknown, filter: Filter): boolean {
  const { value } = filter;
  return valuesAt(entity, filter.path).some((candidate) =>
    typeof value === 'string' ? typeof candidate === 'string' && (hasWildcard(value) ? wildcardMatch(value, candidate) : candidate === value) : candidate === value,
  );
}

/** Whether the entity matches every filter (they are AND-ed). */
export function matchesAll(entity: unknown, filters: readonly Filter[]): boolean {
  return filters.every((filter) => matchesFilter(entity, filter));
}

/** Type ranks of the sort order (MongoDB's: missing and null, numbers, strings, objects, arrays, booleans). */
function rank(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return 1;
  if (typeof value === 'string') return 2;
  if (Array.isArray(value)) return 4;
  if (typeof value === 'object') return 3;
  return 5;
}

/** Compares two sort values: by type rank, then numbers and strings by value, booleans false first. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const ja = JSON.stringify(a);
  const jb = JSON.stringify(b);
  return ja < jb ? -1 : ja > jb ? 1 : 0;
}

/** The value an entity sorts by for one sort: the first value its pointer reaches (`/id` is the id). */
export function sortValue(id: string, entity: unknown, sort: Sort): unknown {
  if (sort.field === '/id') return id;
  return valuesAt(entity, sort.path)[0];
}

/** The sort key of an entity: its value for each sort, then its id (which makes the order total). */
export function sortKey(id: string, entity: unknown, sorts: readonly Sort[]): unknown[] {
  return [...sorts.map((sort) => sortValue(id, entity, sort)), id];
}

/** Compares sort keys (sortKey) under the sorts' directions; the trailing id always ascends. */
export function compareKeys(a: readonly unknown[], b: readonly unknown[], sorts: readonly Sort[]): number {
  for (let i = 0; i < a.length; i++) {
    const order = compareValues(a[i], b[i]);
    if (order !== 0) return sorts[i]?.direction === 'desc' ? -order : order;
  }
  return 0;
}

/** The opaque cursor of a page ending at the entity with this sort key. */
export function encodeCursor(key: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** The sort key a cursor encodes. BAD_REQUEST when it is not a cursor of `sorts` (one value per sort, then the id). */
export function decodeCursor(cursor: string, sorts: readonly Sort[]): unknown[] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== sorts.length + 1 || typeof key[key.length - 1] !== 'string') {
    throw badRequest('cursor must be the cursor of a previous page of the same search (same sortJson)');
  }
  return key;
}

/** The answer when nothing matches a search: 404, as Hono's registries answer. */
export function nothingFound(what: string): never {
  throw notFound(`no ${what} matches the search`);
}

/** A candidate of a search: its id and the entity as the /v1 face shows it (with its `id`). */
export interface Row {
  readonly id: string;
  readonly entity: unknown;
}

/** Where a page starts among the ordered keys: after the cursor's key, or at pageOffset × pageSize. */
function pageStart(keys: readonly (readonly unknown[])[], query: SearchQuery): number {
  if (query.cursor === undefined) return query.pageOffset * query.pageSize;
  if (query.cursor === '') return 0;
  const after = decodeCursor(query.cursor, query.sorts);
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareKeys(keys[mid] as unknown[], after, query.sorts) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Runs a search over rows held in memory: the filters, the order (by the sorts, then by id), one
 * page by page index or by cursor. NOT_FOUND naming `what` when nothing matches; a page past the
 * end of a non-empty result is empty (MongoDB's behaviour).
 */
export function searchRows<T extends Row>(rows: readonly T[], query: SearchQuery, what: string): SearchPage<T> {
  const matched = rows.filter((row) => matchesAll(row.entity, query.filters));
  if (matched.length === 0) nothingFound(what);
  const keyed = matched.map((row) => ({ row, key: sortKey(row.id, row.entity, query.sorts) }));
  keyed.sort((a, b) => compareKeys(a.key, b.key, query.sorts));
  const start = pageStart(keyed.map((k) => k.key), query);
  const page = keyed.slice(start, start + query.pageSize);
  const last = page[page.length - 1];
  const more = query.cursor !== undefined && last !== undefined && start + page.length < keyed.length;
  return { total: matched.length, result: page.map((k) => k.row), ...(more ? { cursor: encodeCursor(last.key) } : {}) };
}
