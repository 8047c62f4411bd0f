/**
 * The legacy `/credentials` resources of Hono's device registry.
 */
import { created, enc, noContent, ok, p, type Route } from '../route.js';

export const CREDENTIALS_ROUTES: readonly Route[] = [
  {
    method: 'POST', path: '/credentials/{tenantId}', operationId: 'addCredentials', tenant: 'path', audit: true, tag: 'credentials', scopes: ['credentials:write'],
    summary: 'Add credentials (pwd-plain secrets are replaced by bcrypt hashes)', body: 'credentials',
    success: { status: 201, description: 'Credentials added', location: true }, errors: [400, 404, 409, 413],
    handle: async (s, i) => {
      const tenantId = p(i, 'tenantId');
      const { type, authId } = await s.credentials.add(tenantId, i.body);
      return created(`/credentials/${enc(tenantId)}/${enc(authId)}/${enc(type)}`);
    },
  },
  {
    method: 'GET', path: '/credentials/{tenantId}/{deviceId}', operationId: 'getDeviceCredentials', tenant: 'path', audit: false, tag: 'credentials', scopes: ['credentials:read'],
    summary: 'Get all credentials of a device',
    success: { status: 200, description: 'The credentials of the device', schema: 'credentials-list' }, errors: [404],
    handle: async (s, i) => ok(await s.credentials.getByDevice(p(i, 'tenantId'), p(i, 'deviceId'))),
  },
  {
    method: 'DELETE', path: '/credentials/{tenantId}/{deviceId}', operationId: 'deleteDeviceCredentials', tenant: 'path', audit: true, tag: 'credentials', scopes: ['credentials:write'],
    summary: 'Delete all credentials of a device',
    success: { status: 204, description: 'Credentials deleted' }, errors: [404],
    handle: async (s, i) => (await s.credentials.removeByDevice(p(i, 'tenantId'), p(i, 'deviceId')), noContent),
  },
  {
    method: 'GET', path: '/credentials/{tenantId}/{authId}/{type}', operationId: 'getCredentials', tenant: 'path', audit: false, tag: 'credentials', scopes: ['credentials:read'],
    summary: 'Get credentials by auth-id and type',
    success: { status: 200, description: 'The credentials', schema: 'credentials' }, errors: [404],
    handle: async (s, i) => ok(await s.credentials.get(p(i, 'tenantId'), p(i, 'authId'), p(i, 'type'))),
  },
  {
    method: 'PUT', path: '/credentials/{tenantId}/{authId}/{type}', operationId: 'updateCredentials', tenant: 'path', audit: true, tag: 'credentials', scopes: ['credentials:write'],
    summary: 'Replace credentials (type and auth-id cannot change; device-id may)', body: 'credentials',
    success: { status: 204, description: 'Credentials updated' }, errors: [400, 404, 413],
    handle: async (s, i) => (await s.credentials.update(p(i, 'tenantId'), p(i, 'authId'), p(i, 'type'), i.body), noContent),
  },
  {
    method: 'DELETE', path: '/credentials/{tenantId}/{authId}/{type}', operationId: 'deleteCredentials', tenant: 'path', audit: true, tag: 'credentials', scopes: ['credentials:write'],
    summary: 'Delete credentials by auth-id and type',
    success: { status: 204, description: 'Credentials deleted' }, errors: [404],
    handle: async (s, i) => (await s.credentials.remove(p(i, 'tenantId'), p(i, 'authId'), p(i, 'type')), noContent),
  },
];
