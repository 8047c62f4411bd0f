/**
 * Auto-provisioning of edge devices by their gateway (Hono 1.2; docs/management-v1.md
 * "Gateways"): an `assert` of an unknown device through an enabled gateway whose `authorities`
 * hold `auto-provisioning-enabled` creates the device, connected through that gateway and its
 * groups, and the assertion then holds. Devices on the denied list and devices beyond the
 * tenant's max-devices are not created.
 */
import { RegistryError } from '../errors.js';
import { AUTO_PROVISIONING_AUTHORITY, stringList, type JsonObject } from '../model/device.js';
import { registrationLimits } from '../model/tenant.js';
import type { DeviceStore, TenantStore } from '../store/store.js';

/** The `status.last-user` of what auto-provisioning creates. */
export const PROVISIONING_USER = 'auto-provisioning';

/** Whether the gateway may create its edge devices: enabled, with the authority. */
export function mayProvision(gateway: JsonObject | undefined): gateway is JsonObject {
  return gateway !== undefined && gateway.enabled !== false && stringList(gateway.authorities).includes(AUTO_PROVISIONING_AUTHORITY);
}

/**
 * Creates the edge device `deviceId` for the gateway: `via` the gateway, `viaGroups` the gateway's
 * `memberOf`. Answers the device's record (also when a parallel assert created it first), or
 * undefined when it may not be created (denied, device limit, tenant gone).
 */
export async function provisionEdgeDevice(store: DeviceStore & TenantStore, tenantId: string, deviceId: string, gatewayId: string, gateway: JsonObject): Promise<JsonObject | undefined> {
  const groups = stringList(gateway.memberOf);
  const body = JSON.stringify({ enabled: true, via: [gatewayId], ...(groups.length > 0 ? { viaGroups: groups } : {}) });
  const tenant = await store.getTenant(tenantId);
  if (tenant === null) return undefined;
  try {
    await store.createDevice(tenantId, deviceId, body, { user: PROVISIONING_USER, maxDevices: registrationLimits(JSON.parse(tenant) as JsonObject)['max-devices'], provisioned: true });
  } catch (err) {
    if (!(err instanceof RegistryError) || (err.code !== 'CONFLICT' && err.code !== 'FORBIDDEN' && err.code !== 'NOT_FOUND')) throw err;
  }
  const [created] = await store.lookupDevices(tenantId, [deviceId]);
  return created === null || created === undefined ? undefined : (JSON.parse(created) as JsonObject);
}
