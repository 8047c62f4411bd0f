/**
 * Authentication and authorisation of management requests (docs/security.md): a bearer
 * token with the route's scopes and the tenant it acts on, RFC 6750 errors.
 */
import type { Context } from 'koa';
import { RegistryError, badRequest } from '../errors.js';
import { hasScope, hasTenant, type Caller, type Scope } from '../model/tokens.js';
import type { SessionService } from '../service/sessions.js';
import type { TokenService } from '../service/tokens.js';
import { isPublic, type Route } from './route.js';
import { changes, requireSameOrigin, sessionOf } from './session-cookie.js';

/** What checks a caller: bearer tokens, and console sessions. Undefined when authentication is off. */
export interface Authenticators {
  readonly tokens: TokenService;
  readonly sessions: SessionService;
}

/** The caller when authentication is off (REGISTRY_HTTP_AUTH=none): every scope and tenant. */
export const UNAUTHENTICATED: Caller = Object.freeze({ tokenId: 'anonymous', scopes: ['*'] as Scope[], tenants: ['*'] });

/** The scopes a request to `route` needs, including those its query adds. */
export function requiredScopes(route: Route, query: Readonly<Record<string, unknown>>): string[] {
  const extra = route.queryScopes !== undefined && query[route.queryScopes.param] === route.queryScopes.value ? route.queryScopes.scopes : [];
  return [...route.scopes, ...extra];
}

/** How often the request carries `Authorization` (Node keeps only the first of several in `headers`). */
function authorizationCount(ctx: Context): number {
  const raw = ctx.req.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]?.toLowerCase() === 'authorization') count++;
  return count;
}

/**
 * The authenticated caller: of the Authorization header, or else of the console's session cookie
 * (then a request that changes something must pass the same-origin check). BAD_REQUEST for a
 * second Authorization header (a singleton field, RFC 9110 §11.6.2: which one counts would depend
 * on the software reading it); UNAUTHORIZED, FORBIDDEN (cross-site), TOO_MANY_REQUESTS.
 */
export async function authenticate(ctx: Context, route: Route, auth: Authenticators | undefined): Promise<Caller> {
  if (route.sameOrigin === true) requireSameOrigin(ctx);
  if (isPublic(route)) return UNAUTHENTICATED;
  if (authorizationCount(ctx) > 1) throw badRequest('the Authorization header may be given only once');
  if (auth === undefined) return UNAUTHENTICATED;
  const authorization = ctx.get('Authorization');
  const session = authorization === '' ? sessionOf(ctx) : undefined;
  if (session === undefined) return auth.tokens.authenticate(authorization || undefined, ctx.request.socket.remoteAddress ?? 'unknown');
  if (changes(ctx)) requireSameOrigin(ctx);
  return auth.sessions.resume(session);
}

/** FORBIDDEN (RFC 6750 insufficient_scope) unless the caller holds every scope the request needs. */
export function requireScopes(ctx: Context, route: Route, caller: Caller): void {
  const missing = requiredScopes(route, ctx.query as Record<string, unknown>).filter((scope) => !hasScope(caller, scope));
  if (missing.length > 0) {
    throw new RegistryError('FORBIDDEN', `the token lacks the scope ${missing.join(' and ')}`, {
      headers: { 'WWW-Authenticate': `Bearer realm="device-registry", error="insufficient_scope", scope="${missing.join(' ')}"` },
    });
  }
}

/** FORBIDDEN when the caller's tenant list does not hold the tenant the request acts on. */
export function requireTenant(caller: Caller, tenantId: unknown): void {
  if (typeof tenantId === 'string' && !hasTenant(caller, tenantId)) {
    throw new RegistryError('FORBIDDEN', `the token has no access to tenant "${tenantId}"`);
  }
}
