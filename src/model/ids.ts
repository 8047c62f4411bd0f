/**
 * Identifiers of the /v1 management API (docs/management-v1.md "Identifiers"): the ids the
 * registry generates, and the patterns Hono's registries give new tenant and device ids.
 */
import { randomUUID } from 'node:crypto';
import { badRequest } from '../errors.js';

/**
 * Hono's default id patterns (HONO_REGISTRY_HTTP_TENANT_ID_REGEX, …_DEVICE_ID_REGEX). The /v1
 * face holds a new id to them; records the legacy face created with other ids stay readable.
 */
export const V1_ID_PATTERNS = Object.freeze({
  tenant: /^[a-zA-Z0-9-_.]{1,256}$/,
  device: /^[a-zA-Z0-9-_.:=]{1,256}$/,
});

/** A fresh random id for a resource created without one: a UUID, which matches both patterns. */
export function generateId(): string {
  return randomUUID();
}

/** BAD_REQUEST unless `id` may name a new resource of this kind on the /v1 face. */
export function requireV1Id(kind: keyof typeof V1_ID_PATTERNS, id: string): void {
  if (!V1_ID_PATTERNS[kind].test(id)) {
    throw badRequest(`${kind} id must be 1 to 256 of the characters ${kind === 'tenant' ? 'a-z A-Z 0-9 - _ .' : 'a-z A-Z 0-9 - _ . : ='}`);
  }
}
