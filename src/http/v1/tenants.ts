/**
 * Hono's /v1 tenant resources (docs/management-v1.md "Tenants"): `/v1/tenants` (create with a
 * generated id, search) and `/v1/tenants/{tenantId}` (create, read, replace, patch, delete).
 */
import { RegistryError } from '../../errors.js';
import { hasTenant } from '../../model/tokens.js';
import { p, type Route } from '../route.js';
import { v1Created, v1NoContent, v1Ok, v1Path } from './common.js';
import { parseSearchQuery, SEARCH_PARAMETERS } from './search-params.js';

const TAG = 'tenants';

export const TENANT_V1_ROUTES: readonly Route[] = [
  {
    method: 'POST', path: '/v1/tenants', operationId: 'v1CreateTenant', tenant: 'none', audit: true, tag: TAG, scopes: ['tenants:create'],
    summary: 'Create a tenant with a generated id (the token must hold every tenant, *)', body: 'tenant-v1', bodyOptional: true,
    success: { status: 201, description: 'Tenant created; the body and Location name its id', schema: 'v1-created', location: true, etag: true }, errors: [400, 409, 413],
    handle: async (s, i) => {
      // The new tenant's id is not known before: only a token for every tenant may create it.
      if (!hasTenant(i.caller, '*')) throw new RegistryError('FORBIDDEN', 'creating a tenant with a generated id needs a token for every tenant (*)');
      const { id, version } = await s.tenants.v1.create(undefined, i.body);
      return v1Created(v1Path('tenants', id), id, version);
    },
  },
  {
    method: 'GET', path: '/v1/tenants', operationId: 'v1SearchTenants', tenant: 'none', audit: false, tag: TAG, scopes: ['tenants:read'],
    summary: 'Search the tenants (those the token holds): filter, sort, page', query: SEARCH_PARAMETERS,
    success: { status: 200, description: 'A page of matching tenants', schema: 'tenant-search-result' }, errors: [400, 404],
    handle: async (s, i) => v1Ok(await s.tenants.v1.search(parseSearchQuery(i), (id) => hasTenant(i.caller, id))),
  },
  {
    method: 'POST', path: '/v1/tenants/{tenantId}', operationId: 'v1CreateTenantWithId', tenant: 'path', audit: true, tag: TAG, scopes: ['tenants:create'],
    summary: 'Create a tenant with the given id', body: 'tenant-v1', bodyOptional: true,
    success: { status: 201, description: 'Tenant created', schema: 'v1-created', location: true, etag: true }, errors: [400, 409, 413],
    handle: async (s, i) => {
      const { id, version } = await s.tenants.v1.create(p(i, 'tenantId'), i.body);
      return v1Created(v1Path('tenants', id), id, version);
    },
  },
  {
    method: 'GET', path: '/v1/tenants/{tenantId}', operationId: 'v1GetTenant', tenant: 'path', audit: false, tag: TAG, scopes: ['tenants:read'],
    summary: 'Get a tenant', success: { status: 200, description: 'The tenant', schema: 'tenant-v1', etag: true }, errors: [404],
    handle: async (s, i) => {
      const { json, version } = await s.tenants.v1.read(p(i, 'tenantId'));
      return v1Ok(json, version);
    },
  },
  {
    method: 'PUT', path: '/v1/tenants/{tenantId}', operationId: 'v1UpdateTenant', tenant: 'path', audit: true, tag: TAG, scopes: ['tenants:update'],
    summary: 'Replace a tenant', body: 'tenant-v1', conditional: true,
    success: { status: 204, description: 'Tenant replaced', etag: true }, errors: [400, 404, 409, 412, 413],
    handle: async (s, i) => v1NoContent(await s.tenants.v1.replace(p(i, 'tenantId'), i.body, i.ifMatch)),
  },
  {
    method: 'PATCH', path: '/v1/tenants/{tenantId}', operationId: 'v1PatchTenant', tenant: 'path', audit: true, tag: TAG, scopes: ['tenants:update'],
    summary: 'Change a tenant with a JSON merge patch (beyond Hono)', body: 'merge-patch', conditional: true,
    success: { status: 204, description: 'Tenant changed', etag: true }, errors: [400, 404, 409, 412, 413],
    handle: async (s, i) => v1NoContent(await s.tenants.v1.patch(p(i, 'tenantId'), i.body, i.ifMatch)),
  },
  {
    method: 'DELETE', path: '/v1/tenants/{tenantId}', operationId: 'v1DeleteTenant', tenant: 'path', audit: true, tag: TAG, scopes: ['tenants:delete'],
    summary: 'Delete a tenant with all its devices and credentials', conditional: true,
    success: { status: 204, description: 'Tenant deleted' }, errors: [404, 412],
    handle: async (s, i) => (await s.tenants.v1.remove(p(i, 'tenantId'), i.ifMatch), v1NoContent()),
  },
];
