/**
 * The Device Registration API's `assert` for protocol adapters (docs/amqp-api.md §4.2): may the
 * device (through the gateway) send? One Redis round trip for the device and the gateway.
 */
import { RegistryError } from '../errors.js';
import { signAssertion } from '../model/assertion.js';
import type { JsonObject } from '../model/credentials.js';
import { decideAssert, type Asserted } from '../model/registration.js';
import type { DeviceStore } from '../store/store.js';
import { sharedOutcome, type AdapterProfile, type Lookup } from './lookup.js';

export interface RegistrationAssertion {
  /**
   * The assertion of a device: `device-id`, the gateways in `via`, its `defaults` and mappers,
   * the legacy signed `assertion` when a secret is configured (the answer is then cached no longer
   * than it lives). Outcomes: NOT_FOUND (device unknown or disabled), FORBIDDEN (the gateway may
   * not act for it).
   */
  assert(tenantId: string, deviceId: string, gatewayId: string | undefined, profile: AdapterProfile): Promise<Lookup>;
}

const OUTCOMES = {
  NOT_FOUND: sharedOutcome(new RegistryError('NOT_FOUND', 'no such device, or it is disabled')),
  FORBIDDEN: sharedOutcome(new RegistryError('FORBIDDEN', 'the gateway may not act for the device')),
} as const;

const parsed = (json: string | null | undefined): JsonObject | undefined => (json === null || json === undefined ? undefined : (JSON.parse(json) as JsonObject));

/**
 * The message mappers (§4.2). Hono 1.3–1.7 read the downstream mapper as `mapper`; 1.8 renamed it
 * `downstream-message-mapper` and added `upstream-message-mapper`. The downstream mapper goes out
 * under both names, whichever name it was stored under, so every adapter version finds it.
 */
function addMappers(body: Record<string, unknown>, data: JsonObject): void {
  const downstream = data['downstream-message-mapper'] ?? data.mapper;
  if (typeof downstream === 'string') {
    body.mapper = downstream;
    body['downstream-message-mapper'] = downstream;
  }
  if (typeof data['upstream-message-mapper'] === 'string') body['upstream-message-mapper'] = data['upstream-message-mapper'];
}

/** The answer of an assertion that holds, and how long it may be cached. */
function assertion(tenantId: string, deviceId: string, { data, via }: Asserted, profile: AdapterProfile): Lookup {
  const body: Record<string, unknown> = { 'device-id': deviceId };
  let cacheMaxAge = profile.cacheMaxAge;
  const { secret, lifetime } = profile.assertion;
  if (profile.api === 'legacy' && secret !== undefined) {
    body.assertion = signAssertion(secret, tenantId, deviceId, lifetime, Date.now());
    cacheMaxAge = Math.min(cacheMaxAge, lifetime);
  }
  if (via.length > 0) body.via = via;
  if (data.defaults !== undefined) body.defaults = data.defaults;
  addMappers(body, data);
  return { json: JSON.stringify(body), cacheMaxAge };
}

export function createRegistrationAssertion(store: DeviceStore): RegistrationAssertion {
  return {
    async assert(tenantId, deviceId, gatewayId, profile) {
      const ids = gatewayId === undefined ? [deviceId] : [deviceId, gatewayId];
      const [device, gateway] = await store.lookupDevices(tenantId, ids);
      const decision = decideAssert(parsed(device), gatewayId, parsed(gateway));
      return typeof decision === 'string' ? OUTCOMES[decision] : assertion(tenantId, deviceId, decision, profile);
    },
  };
}
