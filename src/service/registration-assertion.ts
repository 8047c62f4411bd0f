/**
 * The Device Registration API's `assert` for protocol adapters (docs/amqp-api.md §4.2): may the
 * device (through the gateway) send? One Redis round trip for the device and the gateway; one more
 * for a device with `viaGroups` (the members of its groups, all listed in `via`), and the creation
 * of an unknown device by a gateway that may auto-provision it (edge-provisioning.ts).
 */
import { RegistryError } from '../errors.js';
import { signAssertion } from '../model/assertion.js';
import type { JsonObject } from '../model/credentials.js';
import { decideAssert, viaList, type Asserted } from '../model/registration.js';
import type { DeviceIndexStore, DeviceStore, TenantStore } from '../store/store.js';
import { mayProvision, provisionEdgeDevice } from './edge-provisioning.js';
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

/** The gateway groups of a device (`viaGroups`); none for most devices. */
const groupsOf = (data: JsonObject): unknown[] | undefined => (Array.isArray(data.viaGroups) && data.viaGroups.length > 0 ? data.viaGroups : undefined);

/**
 * Every gateway that may act for the device (Hono's getSupportedGatewaysForDevice): its `via`,
 * then the members of its `viaGroups`: one round trip.
 */
async function withGroupMembers(store: DeviceIndexStore, tenantId: string, decision: Asserted, groups: unknown[]): Promise<Asserted> {
  const members = await store.groupMembers(tenantId, groups.filter((g): g is string => typeof g === 'string'));
  // The device's own via first, then the members in id order (the gateway that asked is one of them).
  return { data: decision.data, via: [...new Set([...viaList(decision.data), ...members, ...decision.via])] };
}

export function createRegistrationAssertion(store: DeviceStore & DeviceIndexStore & TenantStore): RegistrationAssertion {
  return {
    async assert(tenantId, deviceId, gatewayId, profile) {
      const ids = gatewayId === undefined ? [deviceId] : [deviceId, gatewayId];
      const [device, gateway] = await store.lookupDevices(tenantId, ids);
      let record = parsed(device);
      const gatewayRecord = parsed(gateway);
      if (record === undefined && gatewayId !== undefined && mayProvision(gatewayRecord)) {
        record = await provisionEdgeDevice(store, tenantId, deviceId, gatewayId, gatewayRecord);
      }
      const decision = decideAssert(record, gatewayId, gatewayRecord);
      if (typeof decision === 'string') return OUTCOMES[decision];
      // Devices without groups (the common case) are answered without another await.
      const groups = groupsOf(decision.data);
      return assertion(tenantId, deviceId, groups === undefined ? decision : await withGroupMembers(store, tenantId, decision, groups), profile);
    },
  };
}
