/**
 * The signed-in caller's grants (GET /session): the console offers only what they allow, as the
 * registry would refuse the rest.
 */
export type Scope =
  | 'tenants:read' | 'tenants:create' | 'tenants:update' | 'tenants:delete'
  | 'devices:read' | 'devices:create' | 'devices:update' | 'devices:delete' | 'devices:purge'
  | 'credentials:read' | 'credentials:write'
  | 'tokens:read' | 'tokens:create' | 'tokens:delete'
  | 'audit:read';

/** Every scope, in the order the registry lists them. */
export const SCOPES: readonly Scope[] = [
  'tenants:read', 'tenants:create', 'tenants:update', 'tenants:delete',
  'devices:read', 'devices:create', 'devices:update', 'devices:delete', 'devices:purge',
  'credentials:read', 'credentials:write',
  'tokens:read', 'tokens:create', 'tokens:delete',
  'audit:read',
];

export interface Grants {
  readonly 'token-id': string;
  readonly scopes: readonly string[];
  readonly tenants: readonly string[];
  readonly expires?: string;
  readonly authentication: 'session' | 'token' | 'none';
}

/** True when the caller holds the scope (or every scope). */
export function can(grants: Grants, scope: Scope): boolean {
  return grants.scopes.includes('*') || grants.scopes.includes(scope);
}

/** True when the caller may act on every tenant. */
export function everyTenant(grants: Grants): boolean {
  return grants.tenants.includes('*');
}

/** True when the caller may act on the tenant. */
export function hasTenant(grants: Grants, tenant: string): boolean {
  return everyTenant(grants) || grants.tenants.includes(tenant);
}

/** The scopes a token made by the caller may have: its own (all, with `*`, for `*`). */
export function grantableScopes(grants: Grants): readonly string[] {
  return grants.scopes.includes('*') ? ['*', ...SCOPES] : SCOPES.filter((s) => grants.scopes.includes(s));
}
