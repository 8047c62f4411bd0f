/**
 * Bearer tokens of the management API (docs/security.md): authentication with RFC 6750
 * errors and a bad-authentication limiter shared through the store, minting under the subset
 * rule, listing and revocation of the caller's own tokens.
 */
import { RegistryError, badRequest } from '../errors.js';
import {
  grantsWithin, isStoredToken, newTokenId, newTokenValue, parseDuration, sameHash, tokenHash,
  type Caller, type Scope, type TokenRecord,
} from '../model/tokens.js';
import type { LimiterPolicy, SecurityStore } from '../store/store.js';
import { validate } from '../validation.js';
import { asObject } from './body.js';

export interface TokenOptions {
  readonly pepper: Buffer;
  readonly maxLifetimeSeconds: number;
  readonly limiter: LimiterPolicy;
  /** Called once when a client address gets blocked (it is logged: an operator may be locking out a tool). */
  readonly onBlocked?: (clientKey: string, blockedMs: number) => void;
  readonly now?: () => number;
}

export interface NewToken {
  readonly id: string;
  /** The token value: shown once, never stored. */
  readonly token: string;
  readonly record: PublicToken;
}

/** A token as listed: everything but its hash. */
export type PublicToken = Omit<TokenRecord, 'hash'> & { readonly 'last-used'?: string };

/** A token found valid: its caller, and the stored keyed hash that names it (never its value). */
export interface VerifiedToken {
  readonly caller: Caller;
  readonly hash: string;
}

export interface TokenService {
  /** The caller of an `Authorization` header. UNAUTHORIZED (401) or TOO_MANY_REQUESTS (429). */
  authenticate(authorization: string | undefined, clientKey: string): Promise<Caller>;
  /** Checks a token value (console sign-in) with the same limiter as `authenticate`. UNAUTHORIZED, TOO_MANY_REQUESTS. */
  verify(value: string, clientKey: string): Promise<VerifiedToken>;
  /** Records that the token was used (its last use; at most once a minute per token and instance). */
  used(id: string): void;
  /** Mints a token within the caller's grants. BAD_REQUEST, FORBIDDEN. */
  create(caller: Caller, body: unknown): Promise<NewToken>;
  /** Tokens the caller created (an all-powerful token sees all), and the caller itself. */
  list(caller: Caller): Promise<PublicToken[]>;
  /**
   * Revokes the token and, at once on every instance, every token it minted, directly or not;
   * answers their ids. NOT_FOUND when the token does not exist or is not the caller's.
   */
  revoke(caller: Caller, id: string): Promise<string[]>;
  /** Stores a token with a known value (bootstrap token, CLI), replacing an older one of the same id. */
  ensure(value: string, grant: { id: string; scopes: readonly Scope[]; tenants: readonly string[]; description: string; createdBy: string; lifetimeSeconds: number }): Promise<PublicToken>;
  /** True when at least one unexpired token exists. */
  anyExists(): Promise<boolean>;
}

const REALM = 'Bearer realm="device-registry"';
/** RFC 6750 token68 syntax. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
const TOUCH_INTERVAL_MS = 60_000;

function unauthorized(message: string, withError: boolean): RegistryError {
  const challenge = withError ? `${REALM}, error="invalid_token", error_description="${message}"` : REALM;
  return new RegistryError('UNAUTHORIZED', message, { headers: { 'WWW-Authenticate': challenge } });
}

function publicToken(record: TokenRecord, lastUsed?: string): PublicToken {
  const { hash: _hash, ...rest } = record;
  return lastUsed === undefined ? rest : { ...rest, 'last-used': lastUsed };
}

function sees(caller: Caller, record: TokenRecord): boolean {
  const all = caller.scopes.includes('*') && caller.tenants.includes('*');
  return all || record.id === caller.tokenId || record['created-by'] === caller.tokenId;
}

export function createTokenService(store: SecurityStore, options: TokenOptions): TokenService {
  const now = options.now ?? Date.now;
  const touched = new Map<string, number>();

  /** A failed authentication: counted, 401; 429 while the address is blocked (and not counted). */
  async function fail(clientKey: string, blockedMs: number, message: string): Promise<never> {
    if (blockedMs > 0) {
      throw new RegistryError('TOO_MANY_REQUESTS', 'too many failed authentications from this address; retry later', { headers: { 'Retry-After': String(Math.ceil(blockedMs / 1000)) } });
    }
    const blocked = await store.recordAuthFailure(clientKey, options.limiter);
    if (blocked > 0) options.onBlocked?.(clientKey, blocked);
    throw unauthorized(message, true);
  }

  function touch(id: string): void {
    const at = now();
    if ((touched.get(id) ?? 0) > at - TOUCH_INTERVAL_MS) return;
    if (touched.size > 10_000) touched.clear();
    touched.set(id, at);
    store.touchToken(id, new Date(at).toISOString()).catch(() => touched.delete(id));
  }

  /** Stores the token; one minted by a token (`parentId`) only while that token is not revoked. */
  async function save(value: string, record: Omit<TokenRecord, 'hash'>, parentId?: string): Promise<TokenRecord> {
    const full: TokenRecord = { ...record, hash: tokenHash(options.pepper, value) };
    if (!(await store.saveToken(full.hash, full.id, JSON.stringify(full), Date.parse(full.expires), parentId))) {
      throw unauthorized('the token is unknown, revoked or expired', true);
    }
    return full;
  }

  function lifetime(body: Record<string, unknown>): number {
    const seconds = body['expires-in'] !== undefined
      ? parseDuration(body['expires-in'] as string | number)
      : Math.floor((Date.parse(String(body.expires)) - now()) / 1000);
    if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0) throw badRequest('"expires-in" must be a duration like 30d, 12h or 3600, or "expires" a future date-time');
    if (seconds > options.maxLifetimeSeconds) throw badRequest(`a token may live at most ${options.maxLifetimeSeconds} seconds (REGISTRY_TOKEN_MAX_LIFETIME)`);
    return seconds;
  }

  /**
   * Checks a token value (undefined: malformed, `looked` is hashed instead so that the limiter is
   * still read in the same round trip); `malformed` is the message for a value of the wrong form.
   */
  async function check(value: string | undefined, looked: string, clientKey: string, malformed: string): Promise<VerifiedToken> {
    const hash = tokenHash(options.pepper, value ?? looked);
    // The token is checked while the address is blocked too: a valid token is never refused
    // (an operator's tool must not be locked out by another one failing from the same address).
    const { blockedMs, json } = await store.authenticate(hash, clientKey);
    if (value === undefined || !TOKEN68.test(value)) return fail(clientKey, blockedMs, malformed);
    if (json === null) return fail(clientKey, blockedMs, 'the token is unknown, revoked or expired');
    const record = JSON.parse(json) as TokenRecord;
    if (!sameHash(record.hash, hash) || Date.parse(record.expires) <= now()) return fail(clientKey, blockedMs, 'the token is unknown, revoked or expired');
    touch(record.id);
    return { hash, caller: { tokenId: record.id, scopes: record.scopes, tenants: record.tenants, expiresAt: Date.parse(record.expires) } };
  }

  return {
    async authenticate(authorization, clientKey) {
      if (authorization === undefined || authorization.trim() === '') throw unauthorized('a bearer token is required', false);
      const value = /^bearer +(\S+)$/i.exec(authorization.trim())?.[1];
      return (await check(value, authorization, clientKey, 'the Authorization header must be "Bearer <token>"')).caller;
    },

    verify: (value, clientKey) => check(value, value, clientKey, 'the token has the wrong form: paste it whole, without spaces'),

    used: touch,

    async create(caller, body) {
      const input = asObject(body, 'the token request');
      validate('token-request', input);
      const scopes = input.scopes as Scope[];
      const tenants = input.tenants as string[];
      const excess = grantsWithin(caller, scopes, tenants);
      if (excess !== undefined) throw new RegistryError('FORBIDDEN', `a token cannot grant more than its creator holds: ${excess}`);
      const created = now();
      // A token never outlives the token that minted it: a longer lifetime is cut to the creator's.
      const expires = Math.min(created + lifetime(input) * 1000, caller.expiresAt ?? Infinity);
      const value = newTokenValue();
      const record = await save(value, {
        id: newTokenId(), description: String(input.description ?? ''), scopes, tenants,
        created: new Date(created).toISOString(), expires: new Date(expires).toISOString(), 'created-by': caller.tokenId,
      }, isStoredToken(caller) ? caller.tokenId : undefined);
      return { id: record.id, token: value, record: publicToken(record) };
    },

    async list(caller) {
      const records = await store.listTokens();
      return records
        .map(({ json, lastUsed }) => ({ record: JSON.parse(json) as TokenRecord, lastUsed }))
        .filter(({ record }) => sees(caller, record))
        .map(({ record, lastUsed }) => publicToken(record, lastUsed))
        .sort((a, b) => a.created.localeCompare(b.created));
    },

    async revoke(caller, id) {
      const visible = (await this.list(caller)).some((t) => t.id === id);
      const revoked = visible ? await store.revokeToken(id) : [];
      if (revoked.length === 0) throw new RegistryError('NOT_FOUND', `token "${id}" not found`);
      return revoked;
    },

    async ensure(value, grant) {
      // Saving under the same id revokes an older value (say, a changed REGISTRY_BOOTSTRAP_TOKEN) atomically.
      const created = now();
      const record = await save(value, {
        id: grant.id, description: grant.description, scopes: grant.scopes, tenants: grant.tenants,
        created: new Date(created).toISOString(), expires: new Date(created + grant.lifetimeSeconds * 1000).toISOString(), 'created-by': grant.createdBy,
      });
      return publicToken(record);
    },

    anyExists: async () => (await store.listTokens()).length > 0,
  };
}

