/**
 * Search of a tenant's credentials by auth-id and type (beyond Hono, docs/management-v1.md
 * "Credentials search"), with the /v1 search parameters. The tenant's credentials search index
 * (store/keys.ts credentialSearchMembers) holds one lexicographic range per auth-id, auth-id
 * prefix and type: a search the index decides alone pages through that range in Redis; any other
 * reads the range in chunks, up to a limit, and filters and sorts in memory.
 */
import { badRequest } from '../errors.js';
import type { CredentialsRecord, JsonObject } from '../model/credentials.js';
import { credentialsView } from '../model/credentials-set.js';
import { decodeCursor, encodeCursor, hasWildcard, nothingFound, searchRows, type Filter, type Row, type SearchPage, type SearchQuery } from '../model/search.js';
import { credentialSearchPrefix } from '../store/keys.js';
import type { CredentialsSetStore } from '../store/store.js';

export interface CredentialsSearch {
  /**
   * The tenant's credentials matching the query, each as GET /v1/credentials shows it plus its
   * `device-id`. NOT_FOUND when nothing matches (or no tenant); BAD_REQUEST when the index cannot
   * narrow the search to at most `scanLimit` records.
   */
  searchCredentials(tenantId: string, query: SearchQuery): Promise<SearchPage<JsonObject>>;
}

/** Records read per round trip when a search is decided in memory. */
const CHUNK = 500;

/** A filter value the index can use: an exact string, or a prefix (one trailing `*`, no other wildcard). */
function indexable(filter: Filter | undefined): { text: string; whole: boolean } | undefined {
  const value = filter?.value;
  if (typeof value !== 'string') return undefined;
  if (!hasWildcard(value)) return { text: value, whole: true };
  const text = value.slice(0, -1);
  return value.endsWith('*') && !hasWildcard(text) ? { text, whole: false } : undefined;
}

/** The index range to read, and whether it alone decides every filter (then no filter runs in memory). */
export function planSearch(filters: readonly Filter[]): { prefix: string; decided: boolean } {
  const type = indexable(filters.find((f) => f.field === '/type'));
  const authId = indexable(filters.find((f) => f.field === '/auth-id'));
  if (type?.whole === true && authId !== undefined) {
    return { prefix: credentialSearchPrefix({ type: type.text, authIdPrefix: authId.text }), decided: !authId.whole && filters.length === 2 };
  }
  if (authId !== undefined) return { prefix: credentialSearchPrefix({ authId: authId.text, whole: authId.whole }), decided: filters.length === 1 };
  if (type !== undefined) {
    const prefix = type.whole ? credentialSearchPrefix({ type: type.text, authIdPrefix: '' }) : credentialSearchPrefix({ typePrefix: type.text });
    return { prefix, decided: filters.length === 1 };
  }
  return { prefix: credentialSearchPrefix({ authId: '', whole: false }), decided: filters.length === 0 };
}

/** A record as a search answers it: the /v1 view with its device. */
function entityOf(json: string): JsonObject {
  const record = JSON.parse(json) as CredentialsRecord;
  return { 'device-id': record['device-id'], ...credentialsView(record) };
}

export function createCredentialsSearch(store: Pick<CredentialsSetStore, 'searchCredentials'>, scanLimit: number): CredentialsSearch {
  /** One page straight from the index range (it decides every filter; the order is the index's). */
  async function fromIndex(tenantId: string, prefix: string, query: SearchQuery): Promise<SearchPage<JsonObject>> {
    const after = query.cursor === undefined || query.cursor === '' ? undefined : (decodeCursor(query.cursor, [])[0] as string);
    const offset = query.cursor === undefined ? query.pageOffset * query.pageSize : 0;
    // Cursor paging reads one more entry: whether another page follows.
    const page = await store.searchCredentials(tenantId, prefix, offset, query.pageSize + (query.cursor === undefined ? 0 : 1), after);
    if (page.total === 0) nothingFound('credentials');
    const entries = page.entries.slice(0, query.pageSize);
    const last = entries[entries.length - 1];
    const result = entries.flatMap((e) => (e.json === null ? [] : [entityOf(e.json)]));
    const more = query.cursor !== undefined && last !== undefined && page.entries.length > query.pageSize;
    return { total: page.total, result, ...(more ? { cursor: encodeCursor([last.member]) } : {}) };
  }

  /** Every record of the range, read in chunks; BAD_REQUEST beyond the scan limit. */
  async function readRange(tenantId: string, prefix: string): Promise<(Row & { entity: JsonObject })[]> {
    const rows: (Row & { entity: JsonObject })[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.searchCredentials(tenantId, prefix, 0, CHUNK, after);
      if (page.total > scanLimit) {
        throw badRequest(`this search would read ${page.total} credentials, more than the limit of ${scanLimit} (REGISTRY_SEARCH_SCAN_LIMIT); filter on /auth-id (exact or ending in *) or /type`);
      }
      for (const { json } of page.entries) {
        if (json === null) continue;
        const entity = entityOf(json);
        rows.push({ id: `${String(entity['auth-id'])}\u0000${String(entity.type)}`, entity });
      }
      const last = page.entries[page.entries.length - 1];
      if (last === undefined || page.entries.length < CHUNK) return rows;
      after = last.member;
    }
  }

  return {
    async searchCredentials(tenantId, query) {
      const { prefix, decided } = planSearch(query.filters);
      if (decided && query.sorts.length === 0) return fromIndex(tenantId, prefix, query);
      const page = searchRows(await readRange(tenantId, prefix), query, 'credentials');
      return { ...page, result: page.result.map((row) => row.entity) };
    },
  };
}
