/**
 * Device registration management of the legacy face (docs/amqp-api.md §4.4, §4.5, §7.5): the
 * registration data as the legacy registry stores and shows it, on the records the /v1 face shares
 * (their `status` is kept and never shown here).
 */
import { badRequest } from '../errors.js';
import { legacyData, storedFromLegacy, type JsonObject } from '../model/device.js';
import { registrationLimits } from '../model/tenant.js';
import type { DeviceStore, TenantStore } from '../store/store.js';
import { validate } from '../validation.js';
import { asObject, requireSameId } from './body.js';

export interface DeviceService {
  /** Registers a device from a body carrying `device-id`; returns the id. BAD_REQUEST, NOT_FOUND (tenant), CONFLICT, FORBIDDEN (device limit). */
  register(tenantId: string, body: unknown, user: string): Promise<string>;
  /** `{"device-id": …, "data": {…}}` as JSON text. NOT_FOUND. */
  get(tenantId: string, deviceId: string): Promise<string>;
  /** Replaces the registration data. BAD_REQUEST, NOT_FOUND. */
  update(tenantId: string, deviceId: string, body: unknown, user: string): Promise<void>;
  /** Deletes the device onto the denied list (credentials destroyed, identities reserved). NOT_FOUND. */
  remove(tenantId: string, deviceId: string, deniedBy: string): Promise<void>;
  /** A page of denied device ids; `next` is the cursor of the following page, undefined at the end. */
  listDenied(tenantId: string, cursor: string, limit: number): Promise<{ ids: string[]; next: string | undefined }>;
  /** Restores a denied device's registration (not its credentials). NOT_FOUND when it is not denied. */
  restoreDenied(tenantId: string, deviceId: string): Promise<void>;
  /** Forgets a denied device: its id and identities are free again. NOT_FOUND when it is not denied. */
  purgeDenied(tenantId: string, deviceId: string): Promise<void>;
}

/** The tenant's device limit (registration-limits.max-devices; -1: none, also for an unknown tenant, whose write answers NOT_FOUND). */
export async function maxDevices(store: TenantStore, tenantId: string): Promise<number> {
  const stored = await store.getTenant(tenantId);
  return stored === null ? -1 : registrationLimits(JSON.parse(stored) as JsonObject)['max-devices'];
}

export function createDeviceService(store: DeviceStore & TenantStore): DeviceService {
  return {
    async register(tenantId, body, user) {
      const input = asObject(body, 'the registration');
      validate('registration', input);
      const deviceId = input['device-id'];
      if (typeof deviceId !== 'string') throw badRequest('missing required property "device-id"');
      await store.createDevice(tenantId, deviceId, storedFromLegacy(input), { user, maxDevices: await maxDevices(store, tenantId) });
      return deviceId;
    },
    async get(tenantId, deviceId) {
      const data = legacyData(await store.getDevice(tenantId, deviceId));
      return `{"device-id":${JSON.stringify(deviceId)},"data":${data}}`;
    },
    async update(tenantId, deviceId, body, user) {
      const input = asObject(body, 'the registration');
      validate('registration', input);
      requireSameId(input, 'device-id', deviceId);
      await store.updateDevice(tenantId, deviceId, storedFromLegacy(input), { user, ifMatch: '' });
    },
    remove: (tenantId, deviceId, deniedBy) => store.denyDevice(tenantId, deviceId, deniedBy, new Date().toISOString()),
    async listDenied(tenantId, cursor, limit) {
      const page = await store.listDeniedDevices(tenantId, cursor, limit);
      return { ids: page.ids, next: page.cursor === '' ? undefined : page.cursor };
    },
    restoreDenied: (tenantId, deviceId) => store.releaseDeniedDevice(tenantId, deviceId, 'restore'),
    purgeDenied: (tenantId, deviceId) => store.releaseDeniedDevice(tenantId, deviceId, 'purge'),
  };
}
