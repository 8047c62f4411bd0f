/**
 * Console sessions (docs/security.md "Console sessions"): a token is exchanged once for a random session
 * id, which the browser keeps in an HttpOnly cookie. Redis keeps the session under the keyed hash
 * of its id, naming its token by id and stored hash (never by value); every use checks the token
 * in the same round trip, so a revoked token ends its sessions at once on every instance.
 */
import { randomBytes } from 'node:crypto';
import { RegistryError } from '../errors.js';
import { tokenHash, type Caller, type Scope } from '../model/tokens.js';
import type { SecurityStore } from '../store/store.js';
import { validate } from '../validation.js';
import { asObject } from './body.js';
import type { TokenService } from './tokens.js';

export interface SessionOptions {
  /** Keys the stored hash of a session id (the token pepper). */
  readonly pepper: Buffer;
  /** A session unused for this long ends. */
  readonly idleSeconds: number;
  /** A session ends this long after sign-in at the latest. */
  readonly maxSeconds: number;
  readonly now?: () => number;
}

export interface NewSession {
  /** The session id: the cookie's value, shown to nobody else. */
  readonly id: string;
  readonly caller: Caller;
}

export interface SessionService {
  /** Exchanges a token value (`{"token": …}`) for a new session. BAD_REQUEST, UNAUTHORIZED, TOO_MANY_REQUESTS. */
  signIn(body: unknown, clientKey: string): Promise<NewSession>;
  /** The caller of a session id. UNAUTHORIZED once the session ended (signed out, idle, over, its token revoked or expired). */
  resume(id: string): Promise<Caller>;
  /** Ends the session; answers the caller it had, undefined when it had ended already. */
  signOut(id: string): Promise<Caller | undefined>;
}

/** What Redis keeps of a session. */
interface StoredSession {
  readonly 'token-id': string;
  readonly 'token-hash': string;
  readonly scopes: readonly Scope[];
  readonly tenants: readonly string[];
  /** The token's expiry, ms. */
  readonly expires: number;
  /** When the session ends at the latest (max lifetime, token expiry), ms. */
  readonly ends: number;
  readonly created: string;
}

/** 256 random bits, base64url: the shape every session id has (anything else is no session). */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

function ended(): RegistryError {
  return new RegistryError('UNAUTHORIZED', 'the session has ended (signed out, unused too long, or its token expired or was revoked); sign in again', {
    headers: { 'WWW-Authenticate': 'Bearer realm="device-registry"' },
  });
}

function callerOf(session: StoredSession): Caller {
  return { tokenId: session['token-id'], scopes: session.scopes, tenants: session.tenants, expiresAt: session.expires, session: true };
}

export function createSessionService(store: SecurityStore, tokens: TokenService, options: SessionOptions): SessionService {
  const now = options.now ?? Date.now;
  const idleMs = options.idleSeconds * 1000;
  const hashOf = (id: string) => tokenHash(options.pepper, id);

  return {
    async signIn(body, clientKey) {
      const input = asObject(body, 'the sign-in request');
      validate('session-request', input);
      const { caller, hash } = await tokens.verify(input.token as string, clientKey);
      const at = now();
      const ends = Math.min(at + options.maxSeconds * 1000, caller.expiresAt ?? Infinity);
      const session: StoredSession = {
        'token-id': caller.tokenId, 'token-hash': hash, scopes: caller.scopes, tenants: caller.tenants,
        expires: caller.expiresAt ?? ends, ends, created: new Date(at).toISOString(),
      };
      const id = randomBytes(32).toString('base64url');
      await store.saveSession(hashOf(id), JSON.stringify(session), Math.max(1, Math.min(idleMs, ends - at)));
      return { id, caller: callerOf(session) };
    },

    async resume(id) {
      if (!SESSION_ID.test(id)) throw ended();
      const json = await store.resumeSession(hashOf(id), now(), idleMs);
      if (json === null) throw ended();
      const session = JSON.parse(json) as StoredSession;
      tokens.used(session['token-id']);
      return callerOf(session);
    },

    async signOut(id) {
      if (!SESSION_ID.test(id)) return undefined;
      const json = await store.deleteSession(hashOf(id));
      return json === null ? undefined : callerOf(JSON.parse(json) as StoredSession);
    },
  };
}
