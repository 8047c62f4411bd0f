/**
 * Pure rules of the Device Registration API's `assert` (docs/amqp-api.md §4.2).
 */
import type { JsonObject } from './credentials.js';

export interface AssertOutcome {
  readonly status: 200 | 403 | 404;
  /** The device's registration data (on 200). */
  readonly data?: JsonObject;
  /** The gateways that may act for the device, always as an array (on 200). */
  readonly via?: string[];
}

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
 * Decides an assertion: unknown or disabled device → 404; no gateway → 200; unknown or disabled
 * gateway → 403; gateway listed in `via` (or sharing a group, Hono 1.2) → 200, else 403.
 * Device problems win over gateway problems (§4.2).
 */
export function decideAssert(device: JsonObject | undefined, gatewayId: string | undefined, gateway: JsonObject | undefined): AssertOutcome {
  if (!isEnabled(device)) return { status: 404 };
  const via = viaList(device);
  if (gatewayId === undefined) return { status: 200, data: device, via };
  if (!isEnabled(gateway)) return { status: 403 };
  const groups = stringList(device.viaGroups);
  const sharesGroup = groups.length > 0 && stringList(gateway.memberOf).some((g) => groups.includes(g));
  if (!via.includes(gatewayId) && !sharesGroup) return { status: 403 };
  return { status: 200, data: device, via: via.includes(gatewayId) ? via : [...via, gatewayId] };
}
