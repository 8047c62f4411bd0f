/**
 * Management API tokens (docs/security.md): scopes, tenant lists, the subset rule, the token
 * format and its keyed hash.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCOPES = [
  'tenants:read', 'tenants:create', 'tenants:update', 'tenants:delete',
  'devices:read', 'devices:create', 'devices:update', 'devices:delete', 'devices:purge',
  'credentials:read', 'credentials:write',
  'tokens:read', 'tokens:create', 'tokens:delete',
  'audit:read',
] as const;

export type Scope = (typeof SCOPES)[number] | '*';

/** The stored record of a token (never its value). */
export interface TokenRecord {
  readonly id: string;
  /** HMAC-SHA256(pepper, value), hex. */
  readonly hash: string;
  readonly description: string;
  readonly scopes: readonly Scope[];
  /** `["*"]` or tenant ids. */
  readonly tenants: readonly string[];
  readonly created: string;
  readonly expires: string;
  /** Id of the token that minted this one, or `cli` / `bootstrap` / `first-start`. */
  readonly 'created-by': string;
}

/** Who is calling: a token's grants, or everything when authentication is off. */
export interface Caller {
  readonly tokenId: string;
  readonly scopes: readonly Scope[];
  readonly tenants: readonly string[];
  /** When the caller's own token expires (ms since the epoch); undefined: never (no stored token: the command line, REGISTRY_HTTP_AUTH=none). */
  readonly expiresAt?: number;
  /** True when the caller came with a console session cookie instead of the token itself. */
  readonly session?: true;
}

/** True when the caller authenticated with a stored token (which a revocation can take away). */
export function isStoredToken(caller: Caller): boolean {
  return caller.expiresAt !== undefined;
}

export const TOKEN_PREFIX = 'dr_';
const TOKEN_PATTERN = /^dr_[A-Za-z0-9_-]{43}$/;

/** A new token value: `dr_` and 256 random bits, base64url. */
export function newTokenValue(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function newTokenId(): string {
  return `tok_${randomBytes(8).toString('hex')}`;
}

/** True when the value has the shape of a token (checked before any lookup). */
export function looksLikeToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

export function tokenHash(pepper: Buffer, value: string): string {
  return createHmac('sha256', pepper).update(value, 'utf8').digest('hex');
}

/** Constant-time comparison of two hex hashes. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export function hasScope(caller: Caller, scope: string): boolean {
  return caller.scopes.includes('*') || caller.scopes.includes(scope as Scope);
}

export function hasTenant(caller: Caller, tenantId: string): boolean {
  return caller.tenants.includes('*') || caller.tenants.includes(tenantId);
}

/** The scopes/tenants of a new token must be a subset of the caller's: no path grants more. */
export function grantsWithin(caller: Caller, scopes: readonly string[], tenants: readonly string[]): string | undefined {
  const extraScope = scopes.find((s) => (s === '*' ? !caller.scopes.includes('*') : !hasScope(caller, s)));
  if (extraScope !== undefined) return `scope "${extraScope}" is not held by the calling token`;
  const extraTenant = tenants.find((t) => (t === '*' ? !caller.tenants.includes('*') : !hasTenant(caller, t)));
  if (extraTenant !== undefined) return `tenant "${extraTenant}" is not held by the calling token`;
  return undefined;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `30d`, `12h`, `90m`, `3600s` or a number of seconds → seconds; undefined when malformed. */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text > 0 ? text : undefined;
  const match = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (match === null) return undefined;
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
  return seconds > 0 ? seconds : undefined;
}
