/**
 * The /v1 face of a tenant (Hono 2.7's Tenant, docs/management-v1.md): what a /v1 write stores and
 * how a stored tenant, whichever face wrote it, is shown through /v1. Pure module: no I/O.
 */
import type { JsonObject } from './credentials.js';
import { prepareTrustedCas } from './tenant-ca.js';
import { caKeysOf, prepareAdapters, tenantIndexes, trustedCas, type PreparedTenant } from './tenant.js';

/** The top-level members of Hono 2.7's Tenant; any other stored member is shown inside `ext`. */
const V1_MEMBERS = new Set(['enabled', 'alias', 'ext', 'adapters', 'defaults', 'minimum-message-size', 'registration-limits', 'resource-limits', 'tracing', 'trust-anchor-group', 'trusted-ca']);

/** The members of Hono 2.7's TrustedCA; a CA written through the legacy face may carry others. */
const V1_CA_MEMBERS = new Set([
  'id', 'subject-dn', 'subject-dn-bytes', 'public-key', 'algorithm', 'not-before', 'not-after', 'cert', 'auth-id-template',
  'auto-provisioning-enabled', 'auto-provision-as-gateway', 'auto-provisioning-device-id-template',
  'ocsp-revocation-enabled', 'ocsp-responder-uri', 'ocsp-responder-cert', 'ocsp-nonce-enabled',
]);

/**
 * The tenant to store for a /v1 body that has passed the `tenant-v1` schema: the body itself with
 * `tenant-id` (the AMQP answers carry it), `enabled` (default true), the adapters' defaults and the
 * trusted CAs as Hono stores them (ids, data taken from `cert`). Returns the problems found (empty when valid).
 */
export function prepareV1Tenant(body: JsonObject, tenantId: string): { problems: string[]; prepared: PreparedTenant } {
  const problems: string[] = [];
  const { enabled, adapters, 'trusted-ca': cas, ...rest } = body;
  const tenant: JsonObject = { 'tenant-id': tenantId, enabled: enabled ?? true, ...rest };
  // Hono 2.7's Adapter: `enabled` false unless given.
  if (adapters !== undefined) tenant.adapters = prepareAdapters(adapters as JsonObject[], false, problems);
  if (cas !== undefined) tenant['trusted-ca'] = prepareTrustedCas(cas as JsonObject[], problems);
  const caKeys = problems.length === 0 ? caKeysOf(trustedCas(tenant)) : [];
  return { problems, prepared: { tenant, caKeys, ...tenantIndexes(tenant) } };
}

/** A CA as /v1 shows it: the legacy `type` read as `algorithm`, members /v1 does not know left out. */
function v1Ca(ca: JsonObject): JsonObject {
  const shown: JsonObject = {};
  for (const [name, value] of Object.entries(ca)) if (V1_CA_MEMBERS.has(name)) shown[name] = value;
  if (shown.algorithm === undefined && ca.type !== undefined) shown.algorithm = ca.type;
  return shown;
}

/**
 * A stored tenant as /v1 shows it: without `tenant-id` (the id is in the path), `trusted-ca` always
 * an array, and top-level members Hono's Tenant does not know (written through the legacy face)
 * inside `ext`, where `ext`'s own members win on a clash.
 */
export function tenantV1View(stored: JsonObject): JsonObject {
  const shown: JsonObject = {};
  const extra: JsonObject = {};
  for (const [name, value] of Object.entries(stored)) {
    if (name === 'tenant-id') continue;
    if (V1_MEMBERS.has(name)) shown[name] = value;
    else extra[name] = value;
  }
  if (stored['trusted-ca'] !== undefined) shown['trusted-ca'] = trustedCas(stored).map(v1Ca);
  if (Object.keys(extra).length > 0) {
    const ext = stored.ext;
    shown.ext = { ...extra, ...(typeof ext === 'object' && ext !== null && !Array.isArray(ext) ? (ext as JsonObject) : {}) };
  }
  return shown;
}
