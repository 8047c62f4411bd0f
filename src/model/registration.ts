/**
 * Pure rules of the Device Registration API's `assert` (docs/amqp-api.md §4.2).
 */
import type { JsonObject } from './credentials.js';

/** An assertion that holds: the device's registration data and the gateways that may act for it. */
export interface Asserted {
  readonly data: JsonObject;
  /** Always an array (§4.2, #50). */
  readonly via: string[];
}

/** Why an assertion does not hold: the device (unknown, disabled), or the gateway (may not act for it). */
export type AssertRefusal = 'NOT_FOUND' | 'FORBIDDEN';

/** `via` as an array of gateway ids, whichever form it was stored in (§4.2, #50). */
export function viaList(data: JsonObject): string[] {
  const via = data.via;
  if (typeof via === 'string') return [via];
  return Array.isArray(via) ? via.filter((v): v is string => typeof v === 'string') : [];
}

function isEnabled(data: JsonObject | undefined): data is JsonObject {
  return data !== undefined && data.enabled !== false;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Decides an assertion: unknown or disabled device → NOT_FOUND; no gateway → asserted; unknown or
 * disabled gateway → FORBIDDEN; gateway listed in `via` (or sharing a group, Hono 1.2) → asserted,
 * else FORBIDDEN. Device problems win over gateway problems (§4.2).
 */
export function decideAssert(device: JsonObject | undefined, gatewayId: string | undefined, gateway: JsonObject | undefined): Asserted | AssertRefusal {
  if (!isEnabled(device)) return 'NOT_FOUND';
  const via = viaList(device);
  if (gatewayId === undefined) return { data: device, via };
  if (!isEnabled(gateway)) return 'FORBIDDEN';
  const groups = stringList(device.viaGroups);
  const sharesGroup = groups.length > 0 && stringList(gateway.memberOf).some((g) => groups.includes(g));
  if (!via.includes(gatewayId) && !sharesGroup) return 'FORBIDDEN';
  return { data: device, via: via.includes(gatewayId) ? via : [...via, gatewayId] };
}
