/**
 * Devices of Hono's /v1 management API (docs/management-v1.md "Devices"): create (with a given or
 * a generated id), read, replace, merge-patch and delete, each with the resource version, on the
 * records the legacy face shares. Searches are in devices-search.ts.
 */
import { RegistryError, badRequest } from '../errors.js';
import { applyMergePatch } from '../model/merge-patch.js';
import { generateId, requireV1Id } from '../model/ids.js';
import { isJsonObject, storedFromV1, v1View, type JsonObject } from '../model/device.js';
import { ifMatchAccepts, ifMatchArg, versionOf, type IfMatch } from '../model/version.js';
import type { DeviceIndexStore, DeviceStore, TenantStore } from '../store/store.js';
import { validate } from '../validation.js';
import { maxDevices } from './devices.js';

/** A device as /v1 shows it, with its version. */
export interface VersionedDevice {
  readonly json: string;
  readonly version: string;
}

export interface DeviceV1Service {
  /**
   * Creates a device; `deviceId` undefined: a generated one. Answers the id and version.
   * `limit`: the tenant's device limit when the caller read it already. BAD_REQUEST, NOT_FOUND
   * (tenant), CONFLICT, FORBIDDEN (device limit).
   */
  create(tenantId: string, deviceId: string | undefined, body: unknown, user: string, limit?: number): Promise<{ id: string; version: string }>;
  /** The device as /v1 shows it. NOT_FOUND (also for a denied device). */
  read(tenantId: string, deviceId: string): Promise<VersionedDevice>;
  /** Replaces the device (PUT); answers the new version. BAD_REQUEST, NOT_FOUND, PRECONDITION_FAILED. */
  replace(tenantId: string, deviceId: string, body: unknown, user: string, ifMatch: IfMatch | undefined): Promise<string>;
  /** Applies a JSON merge patch to the device as /v1 shows it (PATCH); answers the new version. BAD_REQUEST, NOT_FOUND, PRECONDITION_FAILED. */
  patch(tenantId: string, deviceId: string, patch: unknown, user: string, ifMatch: IfMatch | undefined): Promise<string>;
  /** Deletes the device onto the denied list, as the legacy DELETE. NOT_FOUND, PRECONDITION_FAILED. */
  remove(tenantId: string, deviceId: string, user: string, ifMatch: IfMatch | undefined): Promise<void>;
  /** Deletes every live device of the tenant onto the denied list, in batches; answers how many. NOT_FOUND (tenant). */
  removeAll(tenantId: string, user: string): Promise<number>;
}

/** A PATCH whose read went stale by another writer (no If-Match given) is tried again up to this often. */
const PATCH_ATTEMPTS = 20;
/** Devices denied per script call by removeAll. */
const REMOVE_BATCH = 100;

/**
 * A /v1 Device body, checked: BAD_REQUEST for anything the Device schema does not allow, and for
 * `via` or `viaGroups` together with `memberOf` (Hono's Device refuses both).
 */
export function checkDevice(body: unknown): JsonObject {
  const device = body === undefined ? {} : body;
  if (!isJsonObject(device)) throw badRequest('the device must be a JSON object');
  validate('device', device);
  const nonEmpty = (name: string) => Array.isArray(device[name]) && (device[name] as unknown[]).length > 0;
  if (nonEmpty('memberOf') && (nonEmpty('via') || nonEmpty('viaGroups'))) throw badRequest('memberOf must not be set together with via or viaGroups');
  return device;
}

/** The /v1 view of a stored record as JSON text, `status` last. */
export function viewJson(stored: string): string {
  return JSON.stringify(v1View(JSON.parse(stored) as JsonObject));
}

export function createDeviceV1Service(store: DeviceStore & DeviceIndexStore & TenantStore): DeviceV1Service {
  /** One attempt of a PATCH: read, patch the view, check, write on the condition of the version read. */
  const patchOnce = async (tenantId: string, deviceId: string, patch: unknown, user: string, ifMatch: IfMatch | undefined): Promise<string> => {
    const stored = await store.getDevice(tenantId, deviceId);
    if (!ifMatchAccepts(ifMatch, stored)) throw new RegistryError('PRECONDITION_FAILED', 'resource version mismatch: If-Match names no current version');
    const { status: _status, ...view } = v1View(JSON.parse(stored) as JsonObject);
    const { status: _ignored, ...changes } = isJsonObject(patch) ? patch : {};
    const patched = checkDevice(applyMergePatch(view, changes));
    return store.updateDevice(tenantId, deviceId, storedFromV1(patched), { user, ifMatch: versionOf(stored) });
  };
  return {
    async create(tenantId, deviceId, body, user, limit) {
      const id = deviceId ?? generateId();
      if (deviceId !== undefined) requireV1Id('device', deviceId);
      const device = checkDevice(body);
      const version = await store.createDevice(tenantId, id, storedFromV1(device), { user, maxDevices: limit ?? (await maxDevices(store, tenantId)) });
      return { id, version };
    },
    async read(tenantId, deviceId) {
      const stored = await store.getDevice(tenantId, deviceId);
      return { json: viewJson(stored), version: versionOf(stored) };
    },
    replace: (tenantId, deviceId, body, user, ifMatch) =>
      store.updateDevice(tenantId, deviceId, storedFromV1(checkDevice(body)), { user, ifMatch: ifMatchArg(ifMatch) }),
    async patch(tenantId, deviceId, patch, user, ifMatch) {
      if (!isJsonObject(patch)) throw badRequest('a merge patch of a device must be a JSON object');
      for (let attempt = 1; ; attempt++) {
        try {
          return await patchOnce(tenantId, deviceId, patch, user, ifMatch);
        } catch (err) {
          // Without If-Match a concurrent write only made the read stale: read again.
          const stale = err instanceof RegistryError && err.code === 'PRECONDITION_FAILED' && ifMatch === undefined;
          if (!stale) throw err;
          if (attempt === PATCH_ATTEMPTS) throw new RegistryError('CONFLICT', 'the device changed too often while it was being patched; retry');
        }
      }
    },
    remove: (tenantId, deviceId, user, ifMatch) => store.denyDevice(tenantId, deviceId, user, new Date().toISOString(), ifMatchArg(ifMatch)),
    async removeAll(tenantId, user) {
      if ((await store.getTenant(tenantId)) === null) throw new RegistryError('NOT_FOUND', `tenant "${tenantId}" not found`);
      let removed = 0;
      let after: string | undefined;
      for (;;) {
        const ids = await store.deviceIds(tenantId, { after, offset: 0, count: REMOVE_BATCH, reverse: false });
        if (ids.length === 0) return removed;
        removed += await store.denyDevices(tenantId, ids, user, new Date().toISOString());
        after = ids[ids.length - 1];
      }
    },
  };
}
