/**
 * The one route table of the management API. The router, the OpenAPI document
 * (scripts/swagger.ts) and the tests all read it; a route's path, scopes, schemas and responses
 * are declared here and nowhere else.
 */
import type { SchemaName } from '../validation.js';
import type { Services } from '../service/index.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a handler gets: decoded path parameters and, for POST/PUT, the parsed JSON body. */
export interface RouteInput {
  readonly params: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** What a handler answers. `json` is already serialised (stored records are forwarded as they are). */
export interface Reply {
  readonly status: 200 | 201 | 204;
  readonly json?: string;
  readonly location?: string;
}

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: SchemaName;
  readonly location?: boolean;
}

export interface Route {
  readonly method: Method;
  /** OpenAPI-style path: `/registration/{tenantId}/{deviceId}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: 'tenants' | 'devices' | 'credentials';
  /** Scopes a bearer token needs (all of them) once token authentication is on. */
  readonly scopes: readonly string[];
  /** JSON Schema of the request body (POST/PUT). */
  readonly body?: SchemaName;
  /** Success response; error responses (400, 404, 409, 413, 503) are derived from `errors`. */
  readonly success: ResponseSpec & { readonly status: 200 | 201 | 204 };
  readonly errors: readonly (400 | 404 | 409 | 413)[];
  readonly handle: (services: Services, input: RouteInput) => Promise<Reply>;
}

const enc = encodeURIComponent;
const created = (location: string): Reply => ({ status: 201, location });
const noContent: Reply = { status: 204 };
const ok = (json: string): Reply => ({ status: 200, json });

/** Path parameters of the routes below; the router guarantees they are present. */
function p(input: RouteInput, name: string): string {
  return input.params[name] as string;
}

export const ROUTES: readonly Route[] = [
  {
    method: 'POST', path: '/tenant', operationId: 'createTenant', tag: 'tenants', scopes: ['tenants:create'],
    summary: 'Add a tenant (the body carries its tenant-id)', body: 'tenant',
    success: { status: 201, description: 'Tenant created', location: true }, errors: [400, 409, 413],
    handle: async (s, i) => created(`/tenant/${enc(await s.tenants.create(i.body))}`),
  },
  {
    method: 'GET', path: '/tenant/{tenantId}', operationId: 'getTenant', tag: 'tenants', scopes: ['tenants:read'],
    summary: 'Get a tenant', success: { status: 200, description: 'The tenant', schema: 'tenant' }, errors: [404],
    handle: async (s, i) => ok(await s.tenants.get(p(i, 'tenantId'))),
  },
  {
    method: 'PUT', path: '/tenant/{tenantId}', operationId: 'updateTenant', tag: 'tenants', scopes: ['tenants:update'],
    summary: 'Replace a tenant', body: 'tenant',
    success: { status: 204, description: 'Tenant updated' }, errors: [400, 404, 409, 413],
    handle: async (s, i) => (await s.tenants.update(p(i, 'tenantId'), i.body), noContent),
  },
  {
    method: 'DELETE', path: '/tenant/{tenantId}', operationId: 'deleteTenant', tag: 'tenants', scopes: ['tenants:delete'],
    summary: 'Delete a tenant with all its devices and credentials',
    success: { status: 204, description: 'Tenant deleted' }, errors: [404],
    handle: async (s, i) => (await s.tenants.remove(p(i, 'tenantId')), noContent),
  },
  {
    method: 'POST', path: '/registration/{tenantId}', operationId: 'registerDevice', tag: 'devices', scopes: ['devices:create'],
    summary: 'Register a device (the body carries its device-id)', body: 'registration',
    success: { status: 201, description: 'Device registered', location: true }, errors: [400, 404, 409, 413],
    handle: async (s, i) => {
      const tenantId = p(i, 'tenantId');
      return created(`/registration/${enc(tenantId)}/${enc(await s.devices.register(tenantId, i.body))}`);
    },
  },
  {
    method: 'GET', path: '/registration/{tenantId}/{deviceId}', operationId: 'getRegistration', tag: 'devices', scopes: ['devices:read'],
    summary: 'Read the registration of a device',
    success: { status: 200, description: 'The registration', schema: 'registration-response' }, errors: [404],
    handle: async (s, i) => ok(await s.devices.get(p(i, 'tenantId'), p(i, 'deviceId'))),
  },
  {
    method: 'PUT', path: '/registration/{tenantId}/{deviceId}', operationId: 'updateRegistration', tag: 'devices', scopes: ['devices:update'],
    summary: 'Replace the registration data of a device', body: 'registration',
    success: { status: 204, description: 'Registration updated' }, errors: [400, 404, 413],
    handle: async (s, i) => (await s.devices.update(p(i, 'tenantId'), p(i, 'deviceId'), i.body), noContent),
  },
  {
    method: 'DELETE', path: '/registration/{tenantId}/{deviceId}', operationId: 'deleteRegistration', tag: 'devices', scopes: ['devices:delete'],
    summary: 'Delete the registration of a device',
    success: { status: 204, description: 'Registration deleted' }, errors: [404],
    handle: async (s, i) => (await s.devices.remove(p(i, 'tenantId'), p(i, 'deviceId')), noContent),
  },
  {
    method: 'POST', path: '/credentials/{tenantId}', operationId: 'addCredentials', tag: 'credentials', scopes: ['credentials:write'],
    summary: 'Add credentials (pwd-plain secrets are replaced by bcrypt hashes)', body: 'credentials',
    success: { status: 201, description: 'Credentials added', location: true }, errors: [400, 404, 409, 413],
    handle: async (s, i) => {
      const tenantId = p(i, 'tenantId');
      const { type, authId } = await s.credentials.add(tenantId, i.body);
      return created(`/credentials/${enc(tenantId)}/${enc(authId)}/${enc(type)}`);
    },
  },
  {
    method: 'GET', path: '/credentials/{tenantId}/{deviceId}', operationId: 'getDeviceCredentials', tag: 'credentials', scopes: ['credentials:read'],
    summary: 'Get all credentials of a device',
    success: { status: 200, description: 'The credentials of the device', schema: 'credentials-list' }, errors: [404],
    handle: async (s, i) => ok(await s.credentials.getByDevice(p(i, 'tenantId'), p(i, 'deviceId'))),
  },
  {
    method: 'DELETE', path: '/credentials/{tenantId}/{deviceId}', operationId: 'deleteDeviceCredentials', tag: 'credentials', scopes: ['credentials:write'],
    summary: 'Delete all credentials of a device',
    success: { status: 204, description: 'Credentials deleted' }, errors: [404],
    handle: async (s, i) => (await s.credentials.removeByDevice(p(i, 'tenantId'), p(i, 'deviceId')), noContent),
  },
  {
    method: 'GET', path: '/credentials/{tenantId}/{authId}/{type}', operationId: 'getCredentials', tag: 'credentials', scopes: ['credentials:read'],
    summary: 'Get credentials by auth-id and type',
    success: { status: 200, description: 'The credentials', schema: 'credentials' }, errors: [404],
    handle: async (s, i) => ok(await s.credentials.get(p(i, 'tenantId'), p(i, 'authId'), p(i, 'type'))),
  },
  {
    method: 'PUT', path: '/credentials/{tenantId}/{authId}/{type}', operationId: 'updateCredentials', tag: 'credentials', scopes: ['credentials:write'],
    summary: 'Replace credentials (type and auth-id cannot change; device-id may)', body: 'credentials',
    success: { status: 204, description: 'Credentials updated' }, errors: [400, 404, 413],
    handle: async (s, i) => (await s.credentials.update(p(i, 'tenantId'), p(i, 'authId'), p(i, 'type'), i.body), noContent),
  },
  {
    method: 'DELETE', path: '/credentials/{tenantId}/{authId}/{type}', operationId: 'deleteCredentials', tag: 'credentials', scopes: ['credentials:write'],
    summary: 'Delete credentials by auth-id and type',
    success: { status: 204, description: 'Credentials deleted' }, errors: [404],
    handle: async (s, i) => (await s.credentials.remove(p(i, 'tenantId'), p(i, 'authId'), p(i, 'type')), noContent),
  },
];

/** `/registration/{tenantId}` → `/registration/:tenantId` for the router. */
export function toRouterPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}
