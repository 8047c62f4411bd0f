/**
 * The legacy `/registration` resources of Hono's device registry.
 */
import { created, enc, noContent, ok, p, type Route } from '../route.js';

export const REGISTRATION_ROUTES: readonly Route[] = [
  {
    method: 'POST', path: '/registration/{tenantId}', operationId: 'registerDevice', tenant: 'path', audit: true, tag: 'devices', scopes: ['devices:create'],
    summary: 'Register a device (the body carries its device-id)', body: 'registration',
    success: { status: 201, description: 'Device registered', location: true }, errors: [400, 403, 404, 409, 413],
    handle: async (s, i) => {
      const tenantId = p(i, 'tenantId');
      return created(`/registration/${enc(tenantId)}/${enc(await s.devices.register(tenantId, i.body, i.caller.tokenId))}`);
    },
  },
  {
    method: 'GET', path: '/registration/{tenantId}/{deviceId}', operationId: 'getRegistration', tenant: 'path', audit: false, tag: 'devices', scopes: ['devices:read'],
    summary: 'Read the registration of a device',
    success: { status: 200, description: 'The registration', schema: 'registration-response' }, errors: [404],
    handle: async (s, i) => ok(await s.devices.get(p(i, 'tenantId'), p(i, 'deviceId'))),
  },
  {
    method: 'PUT', path: '/registration/{tenantId}/{deviceId}', operationId: 'updateRegistration', tenant: 'path', audit: true, tag: 'devices', scopes: ['devices:update'],
    summary: 'Replace the registration data of a device', body: 'registration',
    success: { status: 204, description: 'Registration updated' }, errors: [400, 404, 413],
    handle: async (s, i) => (await s.devices.update(p(i, 'tenantId'), p(i, 'deviceId'), i.body, i.caller.tokenId), noContent),
  },
  {
    method: 'DELETE', path: '/registration/{tenantId}/{deviceId}', operationId: 'deleteRegistration', tenant: 'path', audit: true, tag: 'devices', scopes: ['devices:delete'],
    summary: 'Delete a device: it goes onto the denied list, its credentials are destroyed and their identities stay reserved',
    success: { status: 204, description: 'Device deleted and denied' }, errors: [404],
    handle: async (s, i) => (await s.devices.remove(p(i, 'tenantId'), p(i, 'deviceId'), i.caller.tokenId), noContent),
  },
];
