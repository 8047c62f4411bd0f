/**
 * Device Connection API (docs/amqp-api.md §6): the gateway a device last connected through.
 */
import { RegistryError } from '../errors.js';
import type { DeviceConnectionStore } from '../store/store.js';
import { sharedOutcome, type Lookup } from './lookup.js';

export interface LastGateway {
  readonly 'gateway-id': string;
  readonly 'last-updated': string;
}

export interface DeviceConnectionService {
  /** Records the gateway (the device's own id when it connected directly). */
  setLastGateway(tenantId: string, deviceId: string, gatewayId: string): Promise<void>;
  /** The last gateway as JSON text. Outcome NOT_FOUND when none was recorded. */
  getLastGateway(tenantId: string, deviceId: string): Promise<Lookup>;
}

const NONE_RECORDED = sharedOutcome(new RegistryError('NOT_FOUND', 'no gateway recorded for the device'));

export function createDeviceConnectionService(store: DeviceConnectionStore, now: () => Date = () => new Date()): DeviceConnectionService {
  return {
    setLastGateway(tenantId, deviceId, gatewayId) {
      const entry: LastGateway = { 'gateway-id': gatewayId, 'last-updated': now().toISOString() };
      return store.setLastGateway(tenantId, deviceId, JSON.stringify(entry));
    },
    async getLastGateway(tenantId, deviceId) {
      const json = await store.getLastGateway(tenantId, deviceId);
      return json === null ? NONE_RECORDED : { json };
    },
  };
}
