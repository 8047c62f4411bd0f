/**
 * `/v1/credentials`: Hono 2.7's getAllCredentials and setAllCredentials of a device, and the search
 * of a tenant's credentials by auth-id and type (beyond Hono). docs/management-v1.md "Credentials".
 */
import { p, type Route } from '../route.js';
import { v1NoContent, v1Ok } from './common.js';
import { SEARCH_PARAMETERS, parseSearchQuery } from './search-params.js';

export const CREDENTIALS_V1_ROUTES: readonly Route[] = [
  {
    method: 'GET', path: '/v1/credentials/{tenantId}', operationId: 'searchCredentials', tenant: 'path', audit: false, tag: 'credentials', scopes: ['credentials:read'],
    summary: 'Search the credentials of a tenant by auth-id and type (filterJson on /auth-id, /type, /device-id …; beyond Hono)',
    query: SEARCH_PARAMETERS,
    success: { status: 200, description: 'A page of the matching credentials, each with its device', schema: 'credentials-search-result' }, errors: [400, 404],
    handle: async (s, i) => v1Ok(JSON.stringify(await s.credentials.searchCredentials(p(i, 'tenantId'), parseSearchQuery(i)))),
  },
  {
    method: 'GET', path: '/v1/credentials/{tenantId}/{deviceId}', operationId: 'getAllCredentials', tenant: 'path', audit: false, tag: 'credentials', scopes: ['credentials:read'],
    summary: "Get a device's credentials: secrets without pwd-hash, salt, hash-function or key, each with its id",
    success: { status: 200, description: "The device's credentials ([] when it has none)", schema: 'credentials-set', etag: true }, errors: [400, 404],
    handle: async (s, i) => {
      const { json, version } = await s.credentials.getSet(p(i, 'tenantId'), p(i, 'deviceId'));
      return v1Ok(json, version);
    },
  },
  {
    method: 'PUT', path: '/v1/credentials/{tenantId}/{deviceId}', operationId: 'setAllCredentials', tenant: 'path', audit: true, tag: 'credentials', scopes: ['credentials:write'],
    summary: "Replace a device's credentials (a secret sent with its id keeps the stored pwd-hash, salt or key it leaves out; pwd-plain is hashed with bcrypt)",
    body: 'credentials-set', conditional: true,
    success: { status: 204, description: 'Credentials replaced; ETag is the new version', etag: true }, errors: [400, 403, 404, 409, 412, 413],
    handle: async (s, i) => v1NoContent(await s.credentials.putSet(p(i, 'tenantId'), p(i, 'deviceId'), i.body, i.ifMatch)),
  },
];
