/**
 * The one route table of the management API. The router, the OpenAPI document
 * (scripts/swagger.ts) and the tests all read it; a route's path, scopes, schemas and responses
 * are declared here and nowhere else.
 */
import { badRequest, notFound } from '../errors.js';
import type { Caller, Scope } from '../model/tokens.js';
import type { SchemaName } from '../validation.js';
import type { Services } from '../service/index.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a handler gets: decoded path parameters, the query, the caller and, for POST/PUT, the parsed JSON body. */
export interface RouteInput {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly body: unknown;
  readonly caller: Caller;
}

/** What the operator routes need besides the services: readiness, metrics and the API documents. */
export interface Operator {
  /** UNAVAILABLE (503) until the listeners are up, and while Redis does not answer. */
  ready(): Promise<void>;
  /** The Prometheus exposition; undefined when metrics are off. */
  metrics(): Promise<{ contentType: string; text: string } | undefined>;
  /** The OpenAPI document as YAML (the text of api_swagger.yaml). */
  openApi(): string;
  /** A file of the Swagger UI page under /docs/, or undefined. */
  docsAsset(name: string): RawBody | undefined;
}

/** What a route handler can use. */
export type RouteDeps = Services & { readonly operator: Operator };

/** A non-JSON answer body (documents, the Swagger UI, metrics). */
export interface RawBody {
  readonly type: string;
  readonly data: string | Buffer;
  /** Cache-Control of the answer. */
  readonly cache?: string;
}

/** What a handler answers. `json` is already serialised (stored records are forwarded as they are). */
export interface Reply {
  readonly status: 200 | 201 | 204;
  readonly json?: string;
  readonly raw?: RawBody;
  readonly location?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: SchemaName;
  /** Media type of a non-JSON success body (the JSON answers name a schema instead). */
  readonly mediaType?: string;
  readonly location?: boolean;
}

export interface Route {
  readonly method: Method;
  /** OpenAPI-style path: `/registration/{tenantId}/{deviceId}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: 'tenants' | 'devices' | 'credentials' | 'tokens' | 'audit' | 'health' | 'operations';
  /** Scopes a bearer token needs, all of them. No scopes: a public route (health probes), no token needed. */
  readonly scopes: readonly Scope[];
  /** More scopes needed when a query parameter has a value (`?purge=true` needs devices:purge). */
  readonly queryScopes?: { readonly param: string; readonly value: string; readonly scopes: readonly Scope[] };
  /** Where the tenant the route acts on comes from; the token must hold it. */
  readonly tenant: 'path' | 'body' | 'none';
  /** Mutating routes are written to the audit trail. */
  readonly audit: boolean;
  /** Query parameters, documented in the OpenAPI document. */
  readonly query?: readonly { readonly name: string; readonly description: string; readonly schema: Record<string, unknown> }[];
  /** JSON Schema of the request body (POST/PUT). */
  readonly body?: SchemaName;
  /** Success response; error responses (400, 404, 409, 413, 503) are derived from `errors`. */
  readonly success: ResponseSpec & { readonly status: 200 | 201 | 204; readonly link?: boolean };
  readonly errors: readonly (400 | 404 | 409 | 413)[];
  readonly handle: (services: RouteDeps, input: RouteInput) => Promise<Reply>;
}

const enc = encodeURIComponent;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

function pageSize(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PAGE;
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > MAX_PAGE) throw badRequest(`limit must be a whole number from 1 to ${MAX_PAGE}`);
  return Number(value);
}

/** A single query parameter; BAD_REQUEST when it is repeated. */
function single(input: RouteInput, name: string): string | undefined {
  const value = input.query[name] as unknown;
  if (value !== undefined && typeof value !== 'string') throw badRequest(`query parameter ${name} may be given once`);
  return value;
}

/** The page cursor: the last id of the previous page, as the Link header gives it. */
function cursorOf(value: string | undefined): string {
  if (value === undefined) return '';
  if (value === '' || value.length > 256) throw badRequest('cursor must be the value given in a Link header');
  return value;
}
const created = (location: string): Reply => ({ status: 201, location });
const noContent: Reply = { status: 204 };
const ok = (json: string): Reply => ({ status: 200, json });

/** Path parameters of the routes below; the router guarantees they are present. */
function p(input: RouteInput, name: string): string {
  return input.params[name] as string;
}

export const ROUTES: readonly Route[] = [
  {
    method: 'GET', path: '/health', operationId: 'health', tenant: 'none', audit: false, tag: 'health', scopes: [],
    summary: 'Liveness: the process runs (container liveness probe; no token needed)',
    success: { status: 200, description: 'The process lives', schema: 'health' }, errors: [],
    handle: async () => ok('{"status":"ok"}'),
  },
  {
    method: 'GET', path: '/ready', operationId: 'ready', tenant: 'none', audit: false, tag: 'health', scopes: [],
    summary: 'Readiness: Redis answers and the listeners are up (container readiness probe; no token needed)',
    success: { status: 200, description: 'Ready to serve', schema: 'health' }, errors: [],
    handle: async (s) => (await s.operator.ready(), ok('{"status":"ready"}')),
  },
  {
    method: 'GET', path: '/metrics', operationId: 'metrics', tenant: 'none', audit: false, tag: 'operations', scopes: [],
    summary: 'Prometheus metrics: requests, latencies, AMQP connections and links, Redis commands, bcrypt work (no token needed; REGISTRY_METRICS=off turns it off; docs/metrics.md)',
    success: { status: 200, description: 'The Prometheus text exposition format', mediaType: 'text/plain' }, errors: [404],
    handle: async (s) => {
      const metrics = await s.operator.metrics();
      if (metrics === undefined) throw notFound('metrics are turned off (REGISTRY_METRICS=off)');
      return { status: 200, raw: { type: metrics.contentType, data: metrics.text, cache: 'no-store' } };
    },
  },
  {
    method: 'GET', path: '/openapi.yaml', operationId: 'openApiDocument', tenant: 'none', audit: false, tag: 'operations', scopes: [],
    summary: 'This OpenAPI document (api_swagger.yaml; no token needed)',
    success: { status: 200, description: 'The OpenAPI 3.1 document', mediaType: 'application/yaml' }, errors: [],
    handle: async (s) => ({ status: 200, raw: { type: 'application/yaml; charset=utf-8', data: s.operator.openApi(), cache: 'no-cache' } }),
  },
  {
    method: 'GET', path: '/docs', operationId: 'apiDocsPage', tenant: 'none', audit: false, tag: 'operations', scopes: [],
    summary: 'Interactive API documentation (Swagger UI, served by the registry itself; no token needed to read it)',
    success: { status: 200, description: 'The Swagger UI page, showing /openapi.yaml', mediaType: 'text/html' }, errors: [],
    handle: async (s) => ({ status: 200, raw: s.operator.docsAsset('index.html') as RawBody }),
  },
  {
    method: 'GET', path: '/docs/{asset}', operationId: 'apiDocsAsset', tenant: 'none', audit: false, tag: 'operations', scopes: [],
    summary: 'A script, style sheet or icon of the Swagger UI page',
    success: { status: 200, description: 'The file', mediaType: 'application/octet-stream' }, errors: [404],
    handle: async (s, i) => {
      const asset = s.operator.docsAsset(p(i, 'asset'));
      if (asset === undefined) throw notFound('no such file of the documentation page');
      return { status: 200, raw: asset };
    },
  },
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
  {
    method: 'POST', path: '/registration/{tenantId}', operationId: 'registerDevice', tenant: 'path', audit: true, tag: 'devices', scopes: ['devices:create'],
    summary: 'Register a device (the body carries its device-id)', body: 'registration',
    success: { status: 201, description: 'Device registered', location: true }, errors: [400, 404, 409, 413],
    handle: async (s, i) => {
      const tenantId = p(i, 'tenantId');
      return created(`/registration/${enc(tenantId)}/${enc(await s.devices.register(tenantId, i.body))}`);
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
    handle: async (s, i) => (await s.devices.update(p(i, 'tenantId'), p(i, 'deviceId'), i.body), noContent),
  },
  {
    method: 'DELETE', path: '/registration/{tenantId}/{deviceId}', operationId: 'deleteRegistration', tenant: 'path', audit: true, tag: 'devices', scopes: ['devices:delete'],
    summary: 'Delete a device: it goes onto the denied list, its credentials are destroyed and their identities stay reserved',
    success: { status: 204, description: 'Device deleted and denied' }, errors: [404],
    handle: async (s, i) => (await s.devices.remove(p(i, 'tenantId'), p(i, 'deviceId'), i.caller.tokenId), noContent),
  },
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
  {
    method: 'GET', path: '/denied-devices/{tenantId}', operationId: 'listDeniedDevices', tenant: 'path', audit: false, tag: 'devices', scopes: ['devices:read'],
    summary: 'List the ids of denied devices (paged; a Link header names the next page)',
    query: [
      { name: 'limit', description: `Page size, 1–${MAX_PAGE} (default ${DEFAULT_PAGE}).`, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE, examples: [10] } },
      { name: 'cursor', description: 'Where the page starts (exclusive): the cursor of the previous page\'s Link header, the last id of that page.', schema: { type: 'string', maxLength: 256, examples: ['4711'] } },
    ],
    success: { status: 200, description: 'Denied device ids', schema: 'id-list', link: true }, errors: [400, 404],
    handle: async (s, i) => {
      const tenantId = p(i, 'tenantId');
      const limit = pageSize(single(i, 'limit'));
      const { ids, next } = await s.devices.listDenied(tenantId, cursorOf(single(i, 'cursor')), limit);
      const link = next === undefined ? undefined : `</denied-devices/${enc(tenantId)}?cursor=${enc(next)}&limit=${limit}>; rel="next"`;
      return { status: 200, json: JSON.stringify(ids), ...(link === undefined ? {} : { headers: { Link: link } }) };
    },
  },
  {
    method: 'DELETE', path: '/denied-devices/{tenantId}/{deviceId}', operationId: 'releaseDeniedDevice', tenant: 'path', audit: true, tag: 'devices',
    scopes: ['devices:delete'], queryScopes: { param: 'purge', value: 'true', scopes: ['devices:purge'] },
    summary: 'Restore a denied device (its registration, not its credentials), or with purge=true forget it for good',
    query: [{ name: 'purge', description: 'true: forget the device; its id and identities are free again (needs devices:purge).', schema: { enum: ['true', 'false'], examples: ['false'] } }],
    success: { status: 204, description: 'Restored, or purged' }, errors: [404],
    handle: async (s, i) => {
      const [tenantId, deviceId] = [p(i, 'tenantId'), p(i, 'deviceId')];
      const purge = single(i, 'purge');
      if (purge !== undefined && purge !== 'true' && purge !== 'false') throw badRequest('purge must be true or false');
      await (purge === 'true' ? s.devices.purgeDenied(tenantId, deviceId) : s.devices.restoreDenied(tenantId, deviceId));
      return noContent;
    },
  },
  {
    method: 'POST', path: '/tokens', operationId: 'createToken', tenant: 'none', audit: true, tag: 'tokens', scopes: ['tokens:create'],
    summary: 'Create a token (its scopes and tenants within the caller\'s); the value is shown only in this answer', body: 'token-request',
    success: { status: 201, description: 'The token, with its value', schema: 'token-created', location: true }, errors: [400, 413],
    handle: async (s, i) => {
      const created = await s.tokens.create(i.caller, i.body);
      return { status: 201, location: `/tokens/${enc(created.id)}`, json: JSON.stringify({ ...created.record, token: created.token }) };
    },
  },
  {
    method: 'GET', path: '/tokens', operationId: 'listTokens', tenant: 'none', audit: false, tag: 'tokens', scopes: ['tokens:read'],
    summary: 'List the caller\'s tokens (never their values)',
    success: { status: 200, description: 'Tokens', schema: 'token-list' }, errors: [],
    handle: async (s, i) => ok(JSON.stringify(await s.tokens.list(i.caller))),
  },
  {
    method: 'DELETE', path: '/tokens/{tokenId}', operationId: 'revokeToken', tenant: 'none', audit: true, tag: 'tokens', scopes: ['tokens:delete'],
    summary: 'Revoke one of the caller\'s tokens',
    success: { status: 204, description: 'Token revoked' }, errors: [404],
    handle: async (s, i) => (await s.tokens.revoke(i.caller, p(i, 'tokenId')), noContent),
  },
  {
    method: 'GET', path: '/audit', operationId: 'readAudit', tenant: 'none', audit: false, tag: 'audit', scopes: ['audit:read'],
    summary: 'Read the audit trail, newest first (only the tenants of the token)',
    query: [
      { name: 'tenant', description: 'Only entries of this tenant.', schema: { type: 'string', examples: ['DEFAULT_TENANT'] } },
      { name: 'limit', description: `How many entries, 1–${MAX_PAGE} (default ${DEFAULT_PAGE}).`, schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE, examples: [10] } },
      { name: 'before', description: 'Only entries older than this entry id (paging).', schema: { type: 'string', pattern: '^\\d+-\\d+$', examples: ['1700000000000-0'] } },
    ],
    success: { status: 200, description: 'Audit entries', schema: 'audit-list' }, errors: [400],
    handle: async (s, i) => {
      const before = single(i, 'before');
      if (before !== undefined && !/^\d+-\d+$/.test(before)) throw badRequest('before must be an audit entry id like 1700000000000-0');
      const tenant = single(i, 'tenant');
      const entries = await s.audit.read(i.caller, { limit: pageSize(single(i, 'limit')), ...(tenant === undefined ? {} : { tenant }), ...(before === undefined ? {} : { before }) });
      return ok(JSON.stringify(entries));
    },
  },
];

/** `/registration/{tenantId}` → `/registration/:tenantId` for the router. */
export function toRouterPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}
