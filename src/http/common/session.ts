/**
 * Console sessions (docs/console.md): sign-in exchanges a token for an HttpOnly session cookie,
 * the caller's grants tell the console what to offer, sign-out forgets the session.
 */
import type { Caller } from '../../model/tokens.js';
import { UNAUTHENTICATED } from '../auth.js';
import { clientOf, ok, type Route } from '../route.js';
import { clearedSessionCookie, CONSOLE_HEADER, sessionCookie } from '../session-cookie.js';

/** The caller's grants as GET /session and sign-in answer them (schemas/session.json). */
function grants(caller: Caller): string {
  return JSON.stringify({
    'token-id': caller.tokenId,
    scopes: caller.scopes,
    tenants: caller.tenants,
    ...(caller.expiresAt === undefined ? {} : { expires: new Date(caller.expiresAt).toISOString() }),
    authentication: caller === UNAUTHENTICATED ? 'none' : caller.session === true ? 'session' : 'token',
  });
}

export const SESSION_ROUTES: readonly Route[] = [
  {
    method: 'POST', path: '/session', operationId: 'signIn', tenant: 'none', audit: false, tag: 'session', scopes: [], sameOrigin: true,
    summary: `Sign in to the console: the token in the body is exchanged for a session cookie (HttpOnly, SameSite=Strict). Only from the console's page: needs the ${CONSOLE_HEADER} header and a same-origin request; failures count towards the bad-authentication limit`,
    body: 'session-request',
    success: { status: 201, description: 'Signed in; Set-Cookie carries the session, the body the token\'s grants', schema: 'session' }, errors: [400, 401, 403, 413, 429],
    handle: async (s, i) => {
      const client = clientOf(i);
      const session = await s.sessions.signIn(i.body, client.address);
      s.audit.record(session.caller, { action: 'signIn', target: '/session', status: 201 });
      return { status: 201, json: grants(session.caller), headers: { 'Set-Cookie': sessionCookie(session.id, client.secure), 'Cache-Control': 'no-store' } };
    },
  },
  {
    method: 'GET', path: '/session', operationId: 'getSession', tenant: 'none', audit: false, tag: 'session', scopes: [], authentication: 'required',
    summary: 'The caller\'s grants: its token\'s id, scopes, tenants and expiry, and whether it came with a session cookie or the token (any valid token or session)',
    success: { status: 200, description: 'The grants', schema: 'session' }, errors: [],
    handle: async (_s, i) => ok(grants(i.caller)),
  },
  {
    method: 'DELETE', path: '/session', operationId: 'signOut', tenant: 'none', audit: false, tag: 'session', scopes: [], sameOrigin: true,
    summary: `Sign out of the console: the session ends and the browser forgets its cookie (also when it had ended already). Needs the ${CONSOLE_HEADER} header and a same-origin request`,
    success: { status: 204, description: 'Signed out' }, errors: [403],
    handle: async (s, i) => {
      const client = clientOf(i);
      const caller = client.session === undefined ? undefined : await s.sessions.signOut(client.session);
      if (caller !== undefined) s.audit.record(caller, { action: 'signOut', target: '/session', status: 204 });
      return { status: 204, headers: { 'Set-Cookie': clearedSessionCookie(client.secure) } };
    },
  },
];
