/**
 * Tenants through the /v1 management API (docs/management-v1.md "Tenants"): Hono 2.7's Tenant,
 * written and shown over the same records as the legacy face, with versions, PATCH and search.
 */
import { RegistryError, conflict } from '../errors.js';
import type { JsonObject } from '../model/credentials.js';
import { generateId, requireV1Id } from '../model/ids.js';
import { applyMergePatch } from '../model/merge-patch.js';
import { matchesAll, searchRows, type Row, type SearchQuery } from '../model/search.js';
import type { PreparedTenant } from '../model/tenant.js';
import { prepareV1Tenant, tenantV1View } from '../model/tenant-v1.js';
import { ifMatchAccepts, ifMatchArg, versionOf, type IfMatch } from '../model/version.js';
import type { TenantStore, TransferStore } from '../store/store.js';
import { validate } from '../validation.js';
import { asObject, rejectProblems } from './body.js';

/** A record as /v1 shows it, and its version (the ETag). */
export interface Versioned {
  readonly json: string;
  readonly version: string;
}

export interface TenantV1Service {
  /** Creates a tenant with the given id (Hono's id pattern) or a generated one; answers both id and version. BAD_REQUEST, CONFLICT. */
  create(tenantId: string | undefined, body: unknown): Promise<{ id: string; version: string }>;
  /** The tenant as /v1 shows it. NOT_FOUND. */
  read(tenantId: string): Promise<Versioned>;
  /** Replaces the tenant; answers the new version. BAD_REQUEST, NOT_FOUND, CONFLICT, PRECONDITION_FAILED. */
  replace(tenantId: string, body: unknown, ifMatch: IfMatch | undefined): Promise<string>;
  /** Applies a JSON merge patch to the tenant as /v1 shows it; answers the new version. As replace. */
  patch(tenantId: string, patch: unknown, ifMatch: IfMatch | undefined): Promise<string>;
  /** Deletes the tenant with its devices and credentials. NOT_FOUND, PRECONDITION_FAILED. */
  remove(tenantId: string, ifMatch: IfMatch | undefined): Promise<void>;
  /** A page of the tenants `readable` admits that match the query, as JSON `{total, result[, cursor]}`. NOT_FOUND when none. */
  search(query: SearchQuery, readable: (tenantId: string) => boolean): Promise<string>;
}

/** Tenants read per round trip of a search. */
const SCAN_CHUNK = 500;
/** A PATCH without If-Match whose tenant keeps changing under it gives up after this many tries. */
const PATCH_ATTEMPTS = 5;

/** A /v1 tenant body checked against the tenant-v1 schema and Hono's rules. BAD_REQUEST. */
function checkV1(body: unknown, tenantId: string): PreparedTenant {
  const input = asObject(body, 'the tenant');
  validate('tenant-v1', input);
  const { problems, prepared } = prepareV1Tenant(input, tenantId);
  rejectProblems(problems);
  return prepared;
}

const isMismatch = (err: unknown): boolean => err instanceof RegistryError && err.code === 'PRECONDITION_FAILED';

type TenantV1Store = TenantStore & Pick<TransferStore, 'scanTenants'>;

async function stored(store: TenantV1Store, tenantId: string): Promise<string> {
  const json = await store.getTenant(tenantId);
  if (json === null) throw new RegistryError('NOT_FOUND', `tenant "${tenantId}" not found`);
  return json;
}

/** Writes the prepared tenant over the stored one when its version is `expected` ('' any); answers the new version. */
async function write(store: TenantV1Store, tenantId: string, prepared: PreparedTenant, expected: string): Promise<string> {
  const { tenant, caKeys, ...indexes } = prepared;
  const json = JSON.stringify(tenant);
  await store.updateTenant(tenantId, json, caKeys, { ...indexes, ifMatch: expected });
  return versionOf(json);
}

/**
 * PATCH: the merge patch applied to what was read, written against the version read. A change in
 * between is a mismatch for a client that named a version; without If-Match the new state is patched.
 */
async function patchTenant(store: TenantV1Store, tenantId: string, patch: unknown, ifMatch: IfMatch | undefined): Promise<string> {
  asObject(patch, 'the merge patch');
  for (let attempt = 1; ; attempt++) {
    const current = await stored(store, tenantId);
    if (!ifMatchAccepts(ifMatch, current)) throw new RegistryError('PRECONDITION_FAILED', 'resource version mismatch');
    const prepared = checkV1(applyMergePatch(tenantV1View(JSON.parse(current) as JsonObject), patch), tenantId);
    try {
      return await write(store, tenantId, prepared, versionOf(current));
    } catch (err) {
      if (!isMismatch(err) || ifMatch !== undefined) throw err;
      if (attempt === PATCH_ATTEMPTS) throw conflict(`tenant "${tenantId}" kept changing while it was patched; retry`);
    }
  }
}

/** Search: the tenant records in chunks, the matches the caller may read kept, then sorted and paged. */
async function searchTenants(store: TenantV1Store, query: SearchQuery, readable: (tenantId: string) => boolean): Promise<string> {
  const rows = new Map<string, Row>();
  let cursor = '0';
  do {
    const page = await store.scanTenants(cursor, SCAN_CHUNK);
    for (const [id, json] of page.entries) {
      if (!readable(id)) continue;
      const entity = { id, ...tenantV1View(JSON.parse(json) as JsonObject) };
      // A scan may report an entry twice; only matches are kept.
      if (matchesAll(entity, query.filters)) rows.set(id, { id, entity });
    }
    cursor = page.cursor;
  } while (cursor !== '0');
  const { total, result, cursor: next } = searchRows([...rows.values()], query, 'tenant');
  return JSON.stringify({ total, result: result.map((row) => row.entity), ...(next === undefined ? {} : { cursor: next }) });
}

export function createTenantV1Service(store: TenantV1Store): TenantV1Service {
  return {
    async create(tenantId, body) {
      if (tenantId !== undefined) requireV1Id('tenant', tenantId);
      const id = tenantId ?? generateId();
      // No body (undefined) creates the defaults; JSON null is no tenant.
      const { tenant, caKeys, ...indexes } = checkV1(body === undefined ? {} : body, id);
      const json = JSON.stringify(tenant);
      await store.createTenant(id, json, caKeys, indexes);
      return { id, version: versionOf(json) };
    },
    async read(tenantId) {
      const json = await stored(store, tenantId);
      return { json: JSON.stringify(tenantV1View(JSON.parse(json) as JsonObject)), version: versionOf(json) };
    },
    replace: (tenantId, body, ifMatch) => write(store, tenantId, checkV1(body, tenantId), ifMatchArg(ifMatch)),
    patch: (tenantId, patch, ifMatch) => patchTenant(store, tenantId, patch, ifMatch),
    remove: (tenantId, ifMatch) => store.deleteTenant(tenantId, { ifMatch: ifMatchArg(ifMatch) }),
    search: (query, readable) => searchTenants(store, query, readable),
  };
}
