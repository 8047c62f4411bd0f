/**
 * The service layer shared by the HTTP and AMQP faces.
 */
import type { Store } from '../store/store.js';
import { createAuditService, type AuditService } from './audit.js';
import { createAutoProvisioning, type AutoProvisioning } from './auto-provisioning.js';
import { createTokenService, type TokenOptions, type TokenService } from './tokens.js';
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
  readonly autoProvisioning: AutoProvisioning;
  readonly tokens: TokenService;
  readonly audit: AuditService;
  readonly health: { ready(): Promise<void> };
}

export interface ServiceOptions {
  readonly maxBcryptCost: number;
  readonly hasher: PasswordHasher;
  readonly tokens: TokenOptions;
  /** Called when an audit entry cannot be written (the call itself still succeeds). */
  readonly onAuditError: (err: unknown) => void;
}

export function createServices(store: Store, options: ServiceOptions): Services {
  const tenants = createTenantService(store);
  return {
    tenants,
    devices: createDeviceService(store),
    credentials: createCredentialsService(store, options),
    deviceConnections: createDeviceConnectionService(store),
    autoProvisioning: createAutoProvisioning(store, tenants),
    tokens: createTokenService(store, options.tokens),
    audit: createAuditService(store, options.onAuditError),
    /** UNAVAILABLE (503) while Redis does not answer; the listeners are up once requests arrive. */
    health: { ready: () => store.ping() },
  };
}
