/**
 * Pure rules for tenant objects (docs/amqp-api.md §3.3, §3.4, §7.4).
 */
import { dnKey } from './dn.js';
import { storedCa } from './tenant-ca.js';
import { checkTrustedCa } from './trusted-ca.js';
import type { JsonObject } from './credentials.js';

/** What the store indexes of a tenant besides its CAs: the alias (unique) and the trust-anchor group. */
export interface TenantIndexes {
  /** Hono 1.12: another id the Tenant API `get` finds the tenant by; unique among tenants. */
  readonly alias?: string;
  /** Hono 1.12: tenants of one group may share CA subject DNs. */
  readonly group?: string;
}

export interface PreparedTenant extends TenantIndexes {
  /** The object to store, defaults filled in. */
  readonly tenant: JsonObject;
  /** The normalised DN keys of its trusted CAs (unique across tenants outside a trust-anchor group). */
  readonly caKeys: string[];
}

/** The alias and trust-anchor group of a tenant (the schemas make them strings when present). */
export function tenantIndexes(tenant: JsonObject): TenantIndexes {
  const { alias, 'trust-anchor-group': group } = tenant;
  return { ...(typeof alias === 'string' ? { alias } : {}), ...(typeof group === 'string' ? { group } : {}) };
}

/** The DN keys of valid CAs, each once (CAs of one tenant may share a DN, e.g. for overlapping validity). */
export function caKeysOf(cas: readonly JsonObject[]): string[] {
  return [...new Set(cas.map((ca) => dnKey(String(ca['subject-dn']))))];
}

/** Hono's registration limits of a tenant; -1 (the default) is no limit. */
export interface RegistrationLimits {
  readonly 'max-devices': number;
  readonly 'max-credentials-per-device': number;
}

/** The registration limits of a stored tenant, -1 where it sets none. */
export function registrationLimits(tenant: JsonObject): RegistrationLimits {
  const limits = tenant['registration-limits'];
  const value = (name: keyof RegistrationLimits): number => {
    const given = typeof limits === 'object' && limits !== null ? (limits as JsonObject)[name] : undefined;
    return typeof given === 'number' && Number.isInteger(given) && given >= -1 ? given : -1;
  };
  return { 'max-devices': value('max-devices'), 'max-credentials-per-device': value('max-credentials-per-device') };
}

/** The trusted CAs of a tenant, whichever form (object or array) it uses. */
export function trustedCas(tenant: JsonObject): JsonObject[] {
  const value = tenant['trusted-ca'];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]) as JsonObject[];
}

/**
 * A tenant's adapter entries with their defaults filled in: `enabled` as given by the face (the
 * legacy registry wrote true, Hono 2.7 false), `device-authentication-required` true. A type listed
 * twice is a problem.
 */
export function prepareAdapters(adapters: readonly JsonObject[], enabledByDefault: boolean, problems: string[]): JsonObject[] {
  const types = new Set<unknown>();
  return adapters.map((adapter, i) => {
    if (types.has(adapter.type)) problems.push(`adapters/${i}: adapter type "${String(adapter.type)}" is listed twice`);
    types.add(adapter.type);
    return { ...adapter, enabled: adapter.enabled ?? enabledByDefault, 'device-authentication-required': adapter['device-authentication-required'] ?? true };
  });
}

/**
 * Fills the write-time defaults of the legacy registry (§3.3): tenant `enabled` and each adapter's
 * `enabled` and `device-authentication-required` become true when absent. A CA given as `cert` is
 * stored as the subject DN, public key, algorithm and validity it holds, as Hono stores it: the
 * Tenant API answers need `public-key`, and the CA index its subject DN. A CA given as
 * `public-key` is stored as it came. Returns the problems found in the trusted CAs and adapter
 * list (empty when valid). The input has passed the schema.
 */
export function prepareTenant(input: JsonObject, tenantId: string): { problems: string[]; prepared: PreparedTenant } {
  const problems: string[] = [];
  const { 'tenant-id': _id, enabled, ...rest } = input;
  const tenant: JsonObject = { 'tenant-id': tenantId, enabled: enabled ?? true, ...rest };
  const adapters = input.adapters as JsonObject[] | undefined;
  if (adapters !== undefined) tenant.adapters = prepareAdapters(adapters, true, problems);
  const many = Array.isArray(input['trusted-ca']);
  const cas = trustedCas(input).map((ca, i) => {
    const result = checkTrustedCa(ca, many ? `trusted-ca/${i}` : 'trusted-ca');
    problems.push(...result.problems);
    return ca.cert === undefined || result.decoded === undefined ? ca : storedCa(ca, result.decoded);
  });
  if (input['trusted-ca'] !== undefined) tenant['trusted-ca'] = many ? cas : (cas[0] as JsonObject);
  return { problems, prepared: { tenant, caKeys: problems.length === 0 ? caKeysOf(cas) : [], ...tenantIndexes(tenant) } };
}

export type WireProfile = 'legacy' | '1.x';

function isValidNow(ca: JsonObject, now: number): boolean {
  const from = typeof ca['not-before'] === 'string' ? Date.parse(ca['not-before']) : -Infinity;
  const until = typeof ca['not-after'] === 'string' ? Date.parse(ca['not-after']) : Infinity;
  return from <= now && now <= until;
}

/**
 * A CA as sent on the wire: legacy names the key algorithm both `type` and `algorithm` (#35). The
 * validity bounds and what only the registry uses for auto-provisioning are not sent (Hono 2.7).
 */
function wireCa(ca: JsonObject, profile: WireProfile): JsonObject {
  const algorithm = ca.algorithm ?? ca.type ?? 'RSA';
  const { 'not-before': _from, 'not-after': _until, 'auto-provision-as-gateway': _gateway, 'auto-provisioning-device-id-template': _template, ...rest } = ca;
  return profile === 'legacy' ? { ...rest, type: algorithm, algorithm } : { ...rest, algorithm };
}

/** Members of a stored tenant that only the management API shows (Hono 2.7 leaves them out of Tenant API answers). */
const MANAGEMENT_ONLY = ['alias', 'trust-anchor-group', 'registration-limits'];

/**
 * The tenant object of a Tenant API `get` answer (§3.4): legacy sends `trusted-ca` as one object
 * (the first CA valid now), 1.x as an array of the CAs valid now (#35). Validity bounds are not
 * sent, nor the alias, the trust-anchor group and the registration limits (Hono 2.7). A tenant with
 * none of these is answered as it is (the caller can send the stored JSON text).
 */
export function renderTenant(tenant: JsonObject, profile: WireProfile, now: number): JsonObject {
  const cas = trustedCas(tenant);
  if (tenant['trusted-ca'] === undefined && !MANAGEMENT_ONLY.some((name) => Object.hasOwn(tenant, name))) return tenant;
  const { 'trusted-ca': _cas, alias: _alias, 'trust-anchor-group': _group, 'registration-limits': _limits, ...rest } = tenant;
  const valid = cas.filter((ca) => isValidNow(ca, now)).map((ca) => wireCa(ca, profile));
  if (profile === '1.x') return valid.length === 0 ? rest : { ...rest, 'trusted-ca': valid };
  return valid[0] === undefined ? rest : { ...rest, 'trusted-ca': valid[0] };
}
