/**
 * Device registration management (docs/amqp-api.md §4.4, §4.5, §7.5).
 */
import { badRequest } from '../errors.js';
import type { JsonObject } from '../model/credentials.js';
import type { DeviceStore } from '../store/store.js';
import { validate } from '../validation.js';
import { asObject, requireSameId } from './body.js';

export interface DeviceService {
  /** Registers a device from a body carrying `device-id`; returns the id. BAD_REQUEST, NOT_FOUND (tenant), CONFLICT. */
  register(tenantId: string, body: unknown): Promise<string>;
  /** `{"device-id": …, "data": {…}}` as JSON text. NOT_FOUND. */
  get(tenantId: string, deviceId: string): Promise<string>;
  /** Replaces the registration data. BAD_REQUEST, NOT_FOUND. */
  update(tenantId: string, deviceId: string, body: unknown): Promise<void>;
  /** Deletes the device onto the denied list (credentials destroyed, identities reserved). NOT_FOUND. */
  remove(tenantId: string, deviceId: string, deniedBy: string): Promise<void>;
  /** A page of denied device ids; `next` is the cursor of the following page, undefined at the end. */
  listDenied(tenantId: string, cursor: string, limit: number): Promise<{ ids: string[]; next: string | undefined }>;
  /** Restores a denied device's registration (not its credentials). NOT_FOUND when it is not denied. */
  restoreDenied(tenantId: string, deviceId: string): Promise<void>;
  /** Forgets a denied device: its id and identities are free again. NOT_FOUND when it is not denied. */
  purgeDenied(tenantId: string, deviceId: string): Promise<void>;
}

/** Registration data as stored: `device-id` removed, `enabled` first and defaulted to true. */
export function toStoredData(body: JsonObject): string {
  const { 'device-id': _id, enabled, ...rest } = body;
  return JSON.stringify({ enabled: enabled ?? true, ...rest });
}

export function createDeviceService(store: DeviceStore): DeviceService {
  return {
    async register(tenantId, body) {
      const input = asObject(body, 'the registration');
      validate('registration', input);
      const deviceId = input['device-id'];
      if (typeof deviceId !== 'string') throw badRequest('missing required property "device-id"');
      await store.createDevice(tenantId, deviceId, toStoredData(input));
      return deviceId;
    },
    async get(tenantId, deviceId) {
      const data = await store.getDevice(tenantId, deviceId);
      return `{"device-id":${JSON.stringify(deviceId)},"data":${data}}`;
    },
    async update(tenantId, deviceId, body) {
      const input = asObject(body, 'the registration');
      validate('registration', input);
      requireSameId(input, 'device-id', deviceId);
      await store.updateDevice(tenantId, deviceId, toStoredData(input));
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
