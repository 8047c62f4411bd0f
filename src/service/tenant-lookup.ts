/**
 * The Tenant API's `get` for protocol adapters (docs/amqp-api.md §3.2, §3.4): one Redis round
 * trip, authorised on the tenant found, rendered for the profile.
 */
import { RegistryError, badRequest } from '../errors.js';
import type { JsonObject } from '../model/credentials.js';
import { DnSyntaxError, dnKey } from '../model/dn.js';
import { renderTenant } from '../model/tenant.js';
import type { TenantStore } from '../store/store.js';
import { sharedOutcome, type AdapterClient, type Lookup } from './lookup.js';

export interface TenantLookup {
  /**
   * A tenant by the query of a `get` body: `{"tenant-id"}` (the id, else an alias) or `{"subject-dn"}`
   * of a trusted CA (NOT_FOUND when tenants of a trust-anchor group share it).
   * Outcomes: NOT_FOUND, FORBIDDEN (the client may not read the tenant found, §3.2, #34).
   * Throws BAD_REQUEST for a query with neither, or an unparsable DN.
   */
  find(query: JsonObject | undefined, client: AdapterClient): Promise<Lookup>;
  /**
   * A tenant by id, authorised before the lookup: the deprecated `tenant_id` variant (§3.2), whose
   * caller learns nothing it did not name. Outcomes: FORBIDDEN, NOT_FOUND.
   */
  findById(tenantId: string, client: AdapterClient): Promise<Lookup>;
}

const NO_SUCH_TENANT = sharedOutcome(new RegistryError('NOT_FOUND', 'no such tenant'));
const NOT_READABLE = sharedOutcome(new RegistryError('FORBIDDEN', 'the client may not read this tenant'));

/** The index key of a trusted CA's subject DN. BAD_REQUEST when it is no DN. */
function caKey(subjectDn: string): string {
  try {
    return dnKey(subjectDn);
  } catch (err) {
    if (err instanceof DnSyntaxError) throw badRequest(`subject-dn is not a distinguished name: ${err.message}`);
    throw err;
  }
}

/**
 * The stored tenant as the profile sends it, once the client may read it: its CAs valid now in the
 * profile's shape (§3.4); without trusted CAs the stored JSON itself, not parsed and serialised again.
 */
function present(json: string | null, client: AdapterClient): Lookup {
  if (json === null) return NO_SUCH_TENANT;
  const tenant = JSON.parse(json) as JsonObject;
  const tenantId = String(tenant['tenant-id']);
  if (!client.mayReadTenant(tenantId)) return NOT_READABLE;
  const rendered = renderTenant(tenant, client.profile.api, Date.now());
  return { json: rendered === tenant ? json : JSON.stringify(rendered), tenantId, cacheMaxAge: client.profile.cacheMaxAge };
}

/** What an alias may be (schemas/tenant-v1.json): other ids are never looked up as one. */
const ALIAS = /^[a-z0-9-]{1,63}$/;

/**
 * The tenant with this id, else the one with this alias (Hono 2.7's MongoDB registry finds a
 * tenant by either). The alias is asked only after a miss: a tenant found by id takes one round trip.
 */
async function byIdOrAlias(store: TenantStore, id: string): Promise<string | null> {
  const json = await store.getTenant(id);
  return json === null && ALIAS.test(id) ? store.getTenantByAlias(id) : json;
}

export function createTenantLookup(store: TenantStore): TenantLookup {
  return {
    async find(query, client) {
      if (query === undefined) throw badRequest('a get request needs a body with tenant-id or subject-dn');
      const { 'tenant-id': tenantId, 'subject-dn': subjectDn } = query;
      if (typeof tenantId === 'string') return present(await byIdOrAlias(store, tenantId), client);
      if (typeof subjectDn === 'string') return present(await store.getTenantByCa(caKey(subjectDn)), client);
      throw badRequest('the body needs a string tenant-id or subject-dn');
    },
    async findById(tenantId, client) {
      if (!client.mayReadTenant(tenantId)) return NOT_READABLE;
      return present(await store.getTenant(tenantId), client);
    },
  };
}
