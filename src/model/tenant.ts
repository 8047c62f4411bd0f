/**
 * Pure rules for tenant objects (docs/amqp-api.md §3.3, §3.4, §7.4).
 */
import { dnKey } from './dn.js';
import { checkTrustedCa } from './trusted-ca.js';
import type { JsonObject } from './credentials.js';

export interface PreparedTenant {
  /** The object to store, defaults filled in. */
  readonly tenant: JsonObject;
  /** The normalised DN keys of its trusted CAs (unique across tenants). */
  readonly caKeys: string[];
}

/** The trusted CAs of a tenant, whichever form (object or array) it uses. */
export function trustedCas(tenant: JsonObject): JsonObject[] {
  const value = tenant['trusted-ca'];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]) as JsonObject[];
}

/**
 * Fills the write-time defaults of the legacy registry (§3.3): tenant `enabled` and each adapter's
 * `enabled` and `device-authentication-required` become true when absent. Returns the problems
 * found in the trusted CAs and adapter list (empty when valid). The input has passed the schema.
 */
export function prepareTenant(input: JsonObject, tenantId: string): { problems: string[]; prepared: PreparedTenant } {
  const problems: string[] = [];
  const { 'tenant-id': _id, enabled, ...rest } = input;
  const tenant: JsonObject = { 'tenant-id': tenantId, enabled: enabled ?? true, ...rest };
  const adapters = input.adapters as JsonObject[] | undefined;
  if (adapters !== undefined) {
    const types = new Set<unknown>();
    tenant.adapters = adapters.map((adapter, i) => {
      if (types.has(adapter.type)) problems.push(`adapters/${i}: adapter type "${String(adapter.type)}" is listed twice`);
      types.add(adapter.type);
      return { ...adapter, enabled: adapter.enabled ?? true, 'device-authentication-required': adapter['device-authentication-required'] ?? true };
    });
  }
  const caKeys: string[] = [];
  const many = Array.isArray(input['trusted-ca']);
  trustedCas(input).forEach((ca, i) => {
    const result = checkTrustedCa(ca, many ? `trusted-ca/${i}` : 'trusted-ca');
    problems.push(...result.problems);
    if (result.problems.length === 0) {
      const key = dnKey(String(ca['subject-dn']));
      if (!caKeys.includes(key)) caKeys.push(key);
    }
  });
  return { problems, prepared: { tenant, caKeys } };
}

export type WireProfile = 'legacy' | '1.x';

function isValidNow(ca: JsonObject, now: number): boolean {
  const from = typeof ca['not-before'] === 'string' ? Date.parse(ca['not-before']) : -Infinity;
  const until = typeof ca['not-after'] === 'string' ? Date.parse(ca['not-after']) : Infinity;
  return from <= now && now <= until;
}

/** A CA as sent on the wire: legacy names the key algorithm both `type` and `algorithm` (#35). */
function wireCa(ca: JsonObject, profile: WireProfile): JsonObject {
  const algorithm = ca.algorithm ?? ca.type ?? 'RSA';
  const { 'not-before': _from, 'not-after': _until, ...rest } = ca;
  return profile === 'legacy' ? { ...rest, type: algorithm, algorithm } : { ...rest, algorithm };
}

/**
 * The tenant object of a Tenant API `get` answer (§3.4): legacy sends `trusted-ca` as one object
 * (the first CA valid now), 1.x as an array of the CAs valid now (#35). Validity bounds are not sent.
 */
export function renderTenant(tenant: JsonObject, profile: WireProfile, now: number): JsonObject {
  const cas = trustedCas(tenant);
  if (cas.length === 0) return tenant;
  const { 'trusted-ca': _cas, ...rest } = tenant;
  const valid = cas.filter((ca) => isValidNow(ca, now)).map((ca) => wireCa(ca, profile));
  if (profile === '1.x') return valid.length === 0 ? rest : { ...rest, 'trusted-ca': valid };
  return valid[0] === undefined ? rest : { ...rest, 'trusted-ca': valid[0] };
}
