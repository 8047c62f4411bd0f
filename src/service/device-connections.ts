/**
 * Device Connection API (docs/amqp-api.md §6): the gateway a device last connected through.
 */
import type { DeviceConnectionStore } from '../store/store.js';

export interface LastGateway {
  readonly 'gateway-id': string;
  readonly 'last-updated': string;
}

export interface DeviceConnectionService {
  /** Records the gateway (the device's own id when it connected directly). */
  setLastGateway(tenantId: string, deviceId: string, gatewayId: string): Promise<void>;
  /** The last gateway as JSON text, or null when none was recorded. */
  getLastGateway(tenantId: string, deviceId: string): Promise<string | null>;
}

export function createDeviceConnectionService(store: DeviceConnectionStore, now: () => Date = () => new Date()): DeviceConnectionService {
  return {
    setLastGateway(tenantId, deviceId, gatewayId) {
      const entry: LastGateway = { 'gateway-id': gatewayId, 'last-updated': now().toISOString() };
      return store.setLastGateway(tenantId, deviceId, JSON.stringify(entry));
    },
    getLastGateway: (tenantId, deviceId) => store.getLastGateway(tenantId, deviceId),
  };
}
