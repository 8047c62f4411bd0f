/**
 * The gateway-group figure of `make bench` (issue 13: "measure the group case"): the AMQP
 * `assert` of a device through a gateway named in its `via` (one Redis round trip) next to the
 * assert of a device through a member of one of its `viaGroups` (one more round trip: the members
 * of its groups, all listed in `via`). One tenant of its own, so the search tenant's memory figures
 * stay as they are. Nothing asserts a time.
 */
import type { Store } from '../src/store/store.js';
import type { AmqpOp } from './operations.js';
import { alternate, type Summary } from './measure.js';
import { amqpRun, type Env } from './phases.js';

export const GROUP_TENANT = 'bench-groups';
/** Gateways of the tenant; gateway g is a member of group g % GROUPS. */
const GATEWAYS = 10;
const GROUPS = 2;
/** Devices of each kind. */
const DEVICES = 1000;

/** One kind of assert, measured one at a time and with BENCH_IN_FLIGHT over one connection. */
export interface GroupRow {
  readonly what: string;
  readonly single: Summary;
  readonly loaded: Summary;
}

const gateway = (g: number) => `gw-${g}`;

/** The gateways, DEVICES devices behind a gateway in `via`, DEVICES behind a gateway group. */
async function load(store: Store): Promise<void> {
  await store.createTenant(GROUP_TENANT, JSON.stringify({ 'tenant-id': GROUP_TENANT, enabled: true }), []);
  const item = (deviceId: string, device: unknown) => ({ deviceId, json: JSON.stringify(device), credentials: [] });
  const gateways = Array.from({ length: GATEWAYS }, (_, g) => item(gateway(g), { enabled: true, memberOf: [`group-${g % GROUPS}`] }));
  const direct = Array.from({ length: DEVICES }, (_, i) => item(`via-${i}`, { enabled: true, via: [gateway(i % GATEWAYS)] }));
  const grouped = Array.from({ length: DEVICES }, (_, i) => item(`grouped-${i}`, { enabled: true, viaGroups: [`group-${i % GROUPS}`] }));
  for (const items of [gateways, direct, grouped]) await store.importDevices(GROUP_TENANT, items, false);
}

const random = (below: number): number => Math.floor(Math.random() * below);
const address = `registration/${GROUP_TENANT}`;

/** The two asserts: the gateway is one that may act for the device. */
const OPS: readonly AmqpOp[] = [
  {
    name: 'assert through a gateway in via (no groups)',
    addresses: [address],
    next: () => () => {
      const i = random(DEVICES);
      return { address, subject: 'assert', properties: { device_id: `via-${i}`, gateway_id: gateway(i % GATEWAYS) } };
    },
  },
  {
    name: `assert through a gateway group (${GATEWAYS / GROUPS} members listed in via)`,
    addresses: [address],
    next: () => () => {
      const i = random(DEVICES);
      return { address, subject: 'assert', properties: { device_id: `grouped-${i}`, gateway_id: gateway(GROUPS * random(GATEWAYS / GROUPS) + (i % GROUPS)) } };
    },
  },
];

/** Loads the group tenant and measures both asserts in alternating rounds. */
export async function groupPhase(env: Env, store: Store): Promise<GroupRow[]> {
  env.progress('gateway groups: loading the tenant, then asserts through via and through a group');
  env.layout('free');
  await load(store);
  const single = await alternate(env.o.rounds, [], OPS.map((op) => () => amqpRun(env, op, 'registry', 1, 1, DEVICES)));
  env.layout('pinned');
  const loaded = await alternate(env.o.rounds, [], OPS.map((op) => () => amqpRun(env, op, 'registry', 1, env.o.inFlight, DEVICES)));
  env.layout('free');
  return OPS.map((op, i) => ({ what: op.name, single: single.subjects[i] as Summary, loaded: loaded.subjects[i] as Summary }));
}
