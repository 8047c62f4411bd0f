/**
 * The /v1 device resources (Hono's device-registry-v1.yaml, docs/management-v1.md "Devices"):
 * `/v1/devices/{tenantId}` (create with a generated id, search, delete all) and
 * `/v1/devices/{tenantId}/{deviceId}` (create, read, replace, merge-patch, delete).
 */
import { badRequest } from '../../errors.js';
import { p, single, type Route } from '../route.js';
import { v1Created, v1NoContent, v1Ok, v1Path } from './common.js';
import { SEARCH_PARAMETERS, parseSearchQuery } from './search-params.js';

/** The isGateway parameter: true, false, or absent. BAD_REQUEST otherwise. */
function isGatewayOf(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw badRequest('isGateway must be true or false');
  return value === 'true';
}

const common = { tenant: 'path', tag: 'devices' } as const;

export const DEVICE_V1_ROUTES: readonly Route[] = [
  {
    ...common, method: 'POST', path: '/v1/devices/{tenantId}', operationId: 'createDeviceRegistration', audit: true, scopes: ['devices:create'],
    summary: 'Create a device with an id the registry generates (the body is optional)', body: 'device', bodyOptional: true,
    success: { status: 201, description: 'Device created: its id, Location and version', schema: 'v1-created', location: true, etag: true }, errors: [400, 403, 404, 413],
    handle: async (s, i) => {
      const tenantId = p(i, 'tenantId');
      const { id, version } = await s.devicesV1.create(tenantId, undefined, i.body, i.caller.tokenId);
      return v1Created(v1Path('devices', tenantId, id), id, version);
    },
  },
  {
    ...common, method: 'GET', path: '/v1/devices/{tenantId}', operationId: 'searchDevicesForTenant', audit: false, scopes: ['devices:read'],
    summary: 'Search the devices of a tenant: filters, sort, pages by index or cursor (404 when nothing matches)',
    query: [
      ...SEARCH_PARAMETERS,
      { name: 'isGateway', description: 'true: only gateways (devices named in another\'s via, or with a non-empty memberOf); false: no gateways. Combined with the filters (as Hono\'s MongoDB registry).', schema: { enum: ['true', 'false'], examples: ['false'] } },
    ],
    success: { status: 200, description: 'A page of devices with the number of all matches', schema: 'device-search-result' }, errors: [400, 404],
    handle: async (s, i) => v1Ok(await s.devicesV1.search(p(i, 'tenantId'), parseSearchQuery(i), isGatewayOf(single(i, 'isGateway')))),
  },
  {
    ...common, method: 'DELETE', path: '/v1/devices/{tenantId}', operationId: 'deleteDevicesOfTenant', audit: true, scopes: ['devices:delete'],
    summary: 'Delete every device of a tenant: each goes onto the denied list, as a single deletion',
    success: { status: 204, description: 'All devices of the tenant deleted' }, errors: [404],
    handle: async (s, i) => (await s.devicesV1.removeAll(p(i, 'tenantId'), i.caller.tokenId), v1NoContent()),
  },
  {
    ...common, method: 'POST', path: '/v1/devices/{tenantId}/{deviceId}', operationId: 'createDeviceRegistrationWithId', audit: true, scopes: ['devices:create'],
    summary: 'Create a device with this id (the body is optional)', body: 'device', bodyOptional: true,
    success: { status: 201, description: 'Device created: its id, Location and version', schema: 'v1-created', location: true, etag: true }, errors: [400, 403, 404, 409, 413],
    handle: async (s, i) => {
      const [tenantId, deviceId] = [p(i, 'tenantId'), p(i, 'deviceId')];
      const { id, version } = await s.devicesV1.create(tenantId, deviceId, i.body, i.caller.tokenId);
      return v1Created(v1Path('devices', tenantId, id), id, version);
    },
  },
  {
    ...common, method: 'GET', path: '/v1/devices/{tenantId}/{deviceId}', operationId: 'getDevice', audit: false, scopes: ['devices:read'],
    summary: 'Read a device, with its status and version',
    success: { status: 200, description: 'The device', schema: 'device', etag: true }, errors: [404],
    handle: async (s, i) => {
      const { json, version } = await s.devicesV1.read(p(i, 'tenantId'), p(i, 'deviceId'));
      return v1Ok(json, version);
    },
  },
  {
    ...common, method: 'PUT', path: '/v1/devices/{tenantId}/{deviceId}', operationId: 'updateDevice', audit: true, scopes: ['devices:update'],
    summary: 'Replace a device (members left out are removed; status is kept)', body: 'device', conditional: true,
    success: { status: 204, description: 'Device replaced; the new version', etag: true }, errors: [400, 404, 412, 413],
    handle: async (s, i) => v1NoContent(await s.devicesV1.replace(p(i, 'tenantId'), p(i, 'deviceId'), i.body, i.caller.tokenId, i.ifMatch)),
  },
  {
    ...common, method: 'PATCH', path: '/v1/devices/{tenantId}/{deviceId}', operationId: 'patchDevice', audit: true, scopes: ['devices:update'],
    summary: 'Change members of a device with a JSON merge patch (RFC 7396; beyond Hono)', body: 'merge-patch', conditional: true,
    success: { status: 204, description: 'Device patched; the new version', etag: true }, errors: [400, 404, 409, 412, 413],
    handle: async (s, i) => v1NoContent(await s.devicesV1.patch(p(i, 'tenantId'), p(i, 'deviceId'), i.body, i.caller.tokenId, i.ifMatch)),
  },
  {
    ...common, method: 'DELETE', path: '/v1/devices/{tenantId}/{deviceId}', operationId: 'deleteDevice', audit: true, scopes: ['devices:delete'],
    summary: 'Delete a device: it goes onto the denied list (restore or purge it under /denied-devices), its credentials are destroyed', conditional: true,
    success: { status: 204, description: 'Device deleted and denied' }, errors: [404, 412],
    handle: async (s, i) => (await s.devicesV1.remove(p(i, 'tenantId'), p(i, 'deviceId'), i.caller.tokenId, i.ifMatch), v1NoContent()),
  },
];

/** The bulk routes, one per operation (each needs that operation's scope). */
function bulkRoute(operation: 'create' | 'update' | 'delete', scope: 'devices:create' | 'devices:update' | 'devices:delete', summary: string, bodyExample: unknown): Route {
  return {
    ...common, method: 'POST', path: `/v1/bulk/devices/{tenantId}/${operation}`, operationId: `bulk${operation[0]?.toUpperCase()}${operation.slice(1)}Devices`, audit: true, scopes: [scope],
    summary, body: 'bulk-devices', bodyExample, bulk: true,
    success: { status: 200, description: 'One result per item, in their order', schema: 'bulk-result' }, errors: [400, 404, 413],
    handle: async (s, i) => v1Ok(await s.devicesV1.bulk(p(i, 'tenantId'), operation, i.body, i.caller.tokenId)),
  };
}

export const DEVICE_BULK_ROUTES: readonly Route[] = [
  bulkRoute('create', 'devices:create', 'Create up to 1000 devices, each on its own (beyond Hono): each item answered with its own status', {
    items: [{ id: 'sensor-1', device: { ext: { brand: 'acme' } } }, { id: 'sensor-2', device: { via: ['gw-1'], ext: { brand: 'acme' } } }],
  }),
  bulkRoute('update', 'devices:update', 'Replace up to 1000 devices, each on its own with its own ifMatch (beyond Hono)', {
    items: [{ id: 'sensor-1', device: { enabled: false, ext: { brand: 'acme' } }, ifMatch: '*' }],
  }),
  bulkRoute('delete', 'devices:delete', 'Delete up to 1000 devices onto the denied list, each on its own with its own ifMatch (beyond Hono)', { items: [{ id: 'sensor-2' }] }),
];
