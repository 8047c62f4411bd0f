/**
 * The legacy `/tenant` resources of Hono's device registry.
 */
import { created, enc, noContent, ok, p, type Route } from '../route.js';

export const TENANT_ROUTES: readonly Route[] = [
  {
    method: 'POST', path: '/tenant', operationId: 'createTenant', tenant: 'body', audit: true, tag: 'tenants', scopes: ['tenants:create'],
    summary: 'Add a tenant (the body carries its tenant-id)', body: 'tenant',
    success: { status: 201, description: 'Tenant created', location: true }, errors: [400, 409, 413],
    handle: async (s, i) => created(`/tenant/${enc(await s.tenants.create(i.body))}`),
  },
  {
    method: 'GET', path: '/tenant/{tenantId}', operationId: 'getTenant', tenant: 'path', audit: false, tag: 'tenants', scopes: ['tenants:read'],
    summary: 'Get a tenant', success: { status: 200, description: 'The tenant', schema: 'tenant' }, errors: [404],
    handle: async (s, i) => ok(await s.tenants.get(p(i, 'tenantId'))),
  },
  {
    method: 'PUT', path: '/tenant/{tenantId}', operationId: 'updateTenant', tenant: 'path', audit: true, tag: 'tenants', scopes: ['tenants:update'],
    summary: 'Replace a tenant', body: 'tenant',
    success: { status: 204, description: 'Tenant updated' }, errors: [400, 404, 409, 413],
    handle: async (s, i) => (await s.tenants.update(p(i, 'tenantId'), i.body), noContent),
  },
  {
    method: 'DELETE', path: '/tenant/{tenantId}', operationId: 'deleteTenant', tenant: 'path', audit: true, tag: 'tenants', scopes: ['tenants:delete'],
    summary: 'Delete a tenant with all its devices and credentials',
    success: { status: 204, description: 'Tenant deleted' }, errors: [404],
    handle: async (s, i) => (await s.tenants.remove(p(i, 'tenantId')), noContent),
  },
];
