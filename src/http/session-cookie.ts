/**
 * The console's session cookie and its defence against cross-site requests (docs/console.md
 * "Security"): the cookie is HttpOnly (no script reads it), SameSite=Strict (no other site's page
 * sends it) and Secure over TLS; besides, a request that changes something with it must carry the
 * console's own header (which no form can send and no other origin may without a CORS grant, which
 * the registry never gives) and come from the registry's own origin by Sec-Fetch-Site or Origin.
 */
import type { Context } from 'koa';
import { RegistryError } from '../errors.js';

/** The header the console sends with every request. */
export const CONSOLE_HEADER = 'X-Registry-Console';

/** Over TLS the __Host- prefix binds the cookie to this host and path /, Secure (RFC 6265bis §4.1.3.2). */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-registry-session' : 'registry-session';
}

const ATTRIBUTES = 'Path=/; HttpOnly; SameSite=Strict';

/** The Set-Cookie value that gives the browser a session; no Expires: the browser forgets it when it closes. */
export function sessionCookie(id: string, secure: boolean): string {
  return `${sessionCookieName(secure)}=${id}; ${ATTRIBUTES}${secure ? '; Secure' : ''}`;
}

/** The Set-Cookie value that makes the browser forget the session. */
export function clearedSessionCookie(secure: boolean): string {
  return `${sessionCookieName(secure)}=; ${ATTRIBUTES}; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** The session id the request's cookie carries, or undefined. */
export function sessionOf(ctx: Context): string | undefined {
  const name = `${sessionCookieName(ctx.secure)}=`;
  for (const pair of ctx.get('Cookie').split(';')) {
    const trimmed = pair.trim();
    if (trimmed.startsWith(name)) return trimmed.slice(name.length);
  }
  return undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** True for a request that may change something (which a cross-site page must never make with the cookie). */
export function changes(ctx: Context): boolean {
  return !SAFE_METHODS.has(ctx.method);
}

function refuse(why: string): RegistryError {
  return new RegistryError('FORBIDDEN', `refused as a possible cross-site request: ${why}`);
}

/**
 * FORBIDDEN unless the request comes from the registry's own pages: the console header, and
 * Sec-Fetch-Site `same-origin` (browsers send it) or, without it, an Origin equal to this origin.
 */
export function requireSameOrigin(ctx: Context): void {
  if (ctx.get(CONSOLE_HEADER) === '') throw refuse(`the ${CONSOLE_HEADER} header is missing`);
  const site = ctx.get('Sec-Fetch-Site');
  if (site !== '') {
    if (site !== 'same-origin') throw refuse(`Sec-Fetch-Site is ${site}`);
    return;
  }
  const origin = ctx.get('Origin');
  if (origin !== `${ctx.protocol}://${ctx.host}`) throw refuse(origin === '' ? 'neither Sec-Fetch-Site nor Origin says where it comes from' : 'Origin is another origin');
}
