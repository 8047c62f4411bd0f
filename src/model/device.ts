/**
 * A device record and its two faces (docs/management-v1.md "Devices"): one stored JSON object per
 * device, shown by the legacy face as the registration data it stored (without `status`) and by
 * the /v1 face as Hono's Device, with members the /v1 schema does not know inside `ext`.
 */
import type { JsonObject } from './credentials.js';

export type { JsonObject };

/** The members of Hono's Device (device-registry-v1.yaml, 2.7); a /v1 body holds no others. */
export const V1_DEVICE_MEMBERS = [
  'enabled', 'defaults', 'via', 'viaGroups', 'memberOf', 'authorities', 'downstream-message-mapper', 'upstream-message-mapper', 'ext', 'status', 'command-endpoint',
] as const;

const KNOWN: ReadonlySet<string> = new Set(V1_DEVICE_MEMBERS);

/** The authority that lets a gateway create its edge devices on their first assert (Hono 1.2). */
export const AUTO_PROVISIONING_AUTHORITY = 'auto-provisioning-enabled';

export function isJsonObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The registry-maintained `status` of a device: `created`, `updated` (absent until the first
 * update), `last-user` (the token, `amqp:<principal>`, `import` or `auto-provisioning` that made
 * the change), and `auto-provisioned` / `auto-provisioning-notification-sent` when true.
 */
export interface DeviceStatus {
  readonly created?: string;
  readonly updated?: string;
  readonly 'last-user'?: string;
  readonly 'auto-provisioned'?: boolean;
  readonly 'auto-provisioning-notification-sent'?: boolean;
}

/**
 * The device as /v1 shows it: the stored members the Device schema knows, `via` always an array,
 * every other top-level member inside `ext` (ext's own members win; a non-object `ext` is itself
 * shown as `ext.ext`), and `status`.
 */
export function v1View(record: JsonObject): JsonObject {
  const view: JsonObject = {};
  const extras: JsonObject = {};
  const ext = record.ext;
  const extObject = isJsonObject(ext) || (Array.isArray(ext) && ext.length === 0);
  for (const [key, value] of Object.entries(record)) {
    if (key === 'ext') {
      if (!extObject) define(extras, 'ext', value);
    } else if (KNOWN.has(key)) define(view, key, key === 'via' && typeof value === 'string' ? [value] : value);
    else define(extras, key, value);
  }
  const merged = { ...extras, ...(isJsonObject(ext) ? ext : {}) };
  if (Object.keys(merged).length > 0 || extObject) view.ext = merged;
  // The registry's status last, after what the device's owner wrote.
  if (Object.hasOwn(view, 'status')) {
    const { status } = view;
    delete view.status;
    view.status = status;
  }
  return view;
}

/** Sets a member (also one named __proto__) without touching the prototype. */
function define(target: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The stored form of a /v1 Device body (already validated): the body as given, `status` left out
 * (the registry keeps it), `enabled` first and defaulted to true as the legacy face stores it.
 */
export function storedFromV1(body: JsonObject): string {
  const { enabled, status: _status, ...rest } = body;
  return JSON.stringify({ enabled: enabled ?? true, ...rest });
}

/** The stored form of legacy registration data: `device-id` and `status` left out, `enabled` first, defaulted to true. */
export function storedFromLegacy(body: JsonObject): string {
  const { 'device-id': _id, enabled, status: _status, ...rest } = body;
  return JSON.stringify({ enabled: enabled ?? true, ...rest });
}

/** The registration data the legacy face shows: the record without `status`. */
export function legacyData(stored: string): string {
  // Records written before devices had a status, and by imports of old data, have none.
  if (!stored.includes('"status"')) return stored;
  const { status: _status, ...data } = JSON.parse(stored) as JsonObject;
  return JSON.stringify(data);
}

/** The `status` of a stored record ({} when it has none). */
export function statusOf(record: JsonObject): DeviceStatus {
  return isJsonObject(record.status) ? (record.status as DeviceStatus) : {};
}

/** The `via` of a record as a list of gateway ids (string or array form). */
export function gatewaysOf(record: JsonObject): string[] {
  const via = record.via;
  if (typeof via === 'string') return [via];
  return Array.isArray(via) ? via.filter((v): v is string => typeof v === 'string') : [];
}

/** The string members of a list-valued member (`viaGroups`, `memberOf`, `authorities`). */
export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

