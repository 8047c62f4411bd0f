/**
 * The service layer shared by the HTTP and AMQP faces.
 */
import type { Store } from '../store/store.js';
import { createCredentialsService, type CredentialsService } from './credentials.js';
import { createDeviceConnectionService, type DeviceConnectionService } from './device-connections.js';
import { createDeviceService, type DeviceService } from './devices.js';
import type { PasswordHasher } from './password-hasher.js';
import { createTenantService, type TenantService } from './tenants.js';

export interface Services {
  readonly tenants: TenantService;
  readonly devices: DeviceService;
  readonly credentials: CredentialsService;
  readonly deviceConnections: DeviceConnectionService;
}

export interface ServiceOptions {
  readonly maxBcryptCost: number;
  readonly hasher: PasswordHasher;
}

export function createServices(store: Store, options: ServiceOptions): Services {
  return {
    tenants: createTenantService(store),
    devices: createDeviceService(store),
    credentials: createCredentialsService(store, options),
    deviceConnections: createDeviceConnectionService(store),
  };
}
