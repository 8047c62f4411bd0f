/**
 * The service layer shared by the HTTP and AMQP faces: per resource, the management operations
 * and the lookups of the APIs for protocol adapters (service/lookup.ts).
 */
import type { Store } from '../store/store.js';
import { createAuditService, type AuditService } from './audit.js';
import { createAutoProvisioning } from './auto-provisioning.js';
import { createCredentialsLookup, type CredentialsLookup } from './credentials-lookup.js';
import { createOverviewService, type OverviewService } from './overview.js';
import { createSessionService, type SessionOptions, type SessionService } from './sessions.js';
import { createTokenService, type TokenOptions, type TokenService } from './tokens.js';
import { createCredentialsService, type CredentialsService } from './credentials.js';
import { createCredentialsSearch, type CredentialsSearch } from './credentials-search.js';
import { createCredentialsSetService, type CredentialsSetService } from './credentials-sets.js';
import { createDeviceConnectionService, type DeviceConnectionService } from './device-connections.js';
import { createDeviceService, type DeviceService } from './devices.js';
import { createDeviceSearch, type DeviceSearch, type SearchOptions } from './devices-search.js';
import { createDeviceBulk, type DeviceBulk } from './devices-bulk.js';
import { createDeviceV1Service, type DeviceV1Service } from './devices-v1.js';
import type { PasswordHasher } from './password-hasher.js';
import { createRegistrationAssertion, type RegistrationAssertion } from './registration-assertion.js';
import { createTenantLookup, type TenantLookup } from './tenant-lookup.js';
import { createTenantService, type TenantService } from './tenants.js';
import { createTenantV1Service, type TenantV1Service } from './tenants-v1.js';

export interface Services {
  /** `v1`: the /v1 face of the same tenants. */
  readonly tenants: TenantService & TenantLookup & { readonly v1: TenantV1Service };
  readonly devices: DeviceService & RegistrationAssertion;
  /** The devices of the /v1 API: the same records as `devices`. */
  readonly devicesV1: DeviceV1Service & DeviceSearch & DeviceBulk;
  readonly credentials: CredentialsService & CredentialsLookup & CredentialsSetService & CredentialsSearch;
  readonly deviceConnections: DeviceConnectionService;
  readonly tokens: TokenService;
  readonly sessions: SessionService;
  readonly audit: AuditService;
  readonly health: { ready(): Promise<void> };
  readonly overview: OverviewService;
}

export interface ServiceOptions {
  readonly maxBcryptCost: number;
  /** The /v1 searches. */
  readonly search: SearchOptions;
  readonly hasher: PasswordHasher;
  readonly tokens: TokenOptions;
  /** Console sessions; their ids are hashed with the token pepper. */
  readonly sessions: Omit<SessionOptions, 'pepper'>;
  /** Called when an audit entry cannot be written (the call itself still succeeds). */
  readonly onAuditError: (err: unknown) => void;
}

export function createServices(store: Store, options: ServiceOptions): Services {
  const credentials = createCredentialsService(store, options);
  const tokens = createTokenService(store, options.tokens);
  const devicesV1 = createDeviceV1Service(store);
  return {
    tenants: { ...createTenantService(store), ...createTenantLookup(store), v1: createTenantV1Service(store) },
    devices: { ...createDeviceService(store), ...createRegistrationAssertion(store) },
    devicesV1: { ...devicesV1, ...createDeviceSearch(store, options.search), ...createDeviceBulk(devicesV1, store) },
    credentials: { ...credentials, ...createCredentialsLookup(store, credentials, createAutoProvisioning(store)), ...createCredentialsSetService(store, options), ...createCredentialsSearch(store, options.search.scanLimit) },
    deviceConnections: createDeviceConnectionService(store),
    tokens,
    sessions: createSessionService(store, tokens, { ...options.sessions, pepper: options.tokens.pepper }),
    audit: createAuditService(store, options.onAuditError),
    /** UNAVAILABLE (503) while Redis does not answer; the listeners are up once requests arrive. */
    health: { ready: () => store.ping() },
    overview: createOverviewService(store),
  };
}
