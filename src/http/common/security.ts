/**
 * Routes of the management API's own security, shared by every API version: tokens and the audit
 * trail (README "Security of the management API").
 */
import { badRequest } from '../../errors.js';
import { DEFAULT_PAGE, MAX_PAGE, enc, noContent, ok, p, pageSize, single, type Route } from '../route.js';

export const SECURITY_ROUTES: readonly Route[] = [
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
