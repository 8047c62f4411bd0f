/**
 * JSON Merge Patch (RFC 7396), the body of the /v1 PATCH operations (docs/management-v1.md
 * "PATCH"): the one function that applies a patch to a resource.
 */

type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The target with the patch applied (RFC 7396 §2): an object patch merges member by member, a
 * `null` member removes that member, anything else (an array, a scalar, null itself) replaces the
 * target as a whole. Neither argument is changed.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [name, value] of Object.entries(patch)) {
    if (value === null) delete result[name];
    // Defined, not assigned: a member named __proto__ stays a member.
    else Object.defineProperty(result, name, { value: applyMergePatch(Object.hasOwn(result, name) ? result[name] : undefined, value), enumerable: true, writable: true, configurable: true });
  }
  return result as JsonValue;
}
