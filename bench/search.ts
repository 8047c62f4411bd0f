/**
 * The /v1 search figures of `make bench` (docs/management-v1.md "How search is indexed"): one
 * tenant of BENCH_SEARCH_DEVICES devices (100,000; `ext.brand` one of 10 values, `ext.n` the
 * index), loaded through the store's import, then pages of `GET /v1/devices/{t}` one request at a
 * time: unfiltered at a random page, and filtered on one field at a random page of its matches;
 * and the Redis memory per device of that tenant, the search indexes apart. Nothing asserts a time.
 */
import type { Redis } from 'ioredis';
import type { Store } from '../src/store/store.js';
import { runHttpLoad } from './http-client.js';
import { cpuMeter, summarise, type Summary } from './measure.js';
import { memoryByKind, statusBytesPerDevice } from './memory.js';
import type { Env } from './phases.js';

export const SEARCH_TENANT = 'bench-search';
const BRANDS = 10;
const PAGE = 30;
const BATCH = 500;

/** One kind of search, measured one request at a time. */
export interface SearchRow {
  readonly what: string;
  readonly example: string;
  readonly registry: Summary;
}

export interface SearchResults {
  readonly devices: number;
  readonly rows: readonly SearchRow[];
  /** MEMORY USAGE per device of the tenant's keys, by kind. */
  readonly kinds: Readonly<Record<string, number>>;
  /** Of it, the search indexes (kinds outside the base layout). */
  readonly indexBytesPerDevice: number;
  /** Bytes of `status` text in a device record, on average. */
  readonly statusBytesPerDevice: number;
}

/** Loads the search tenant: devices with a brand and a number, 8 import calls of 500 in flight. */
async function load(store: Store, devices: number): Promise<void> {
  await store.createTenant(SEARCH_TENANT, JSON.stringify({ 'tenant-id': SEARCH_TENANT, enabled: true }), []);
  const batches = Array.from({ length: Math.ceil(devices / BATCH) }, (_, b) => b);
  const work = async () => {
    for (let b = batches.shift(); b !== undefined; b = batches.shift()) {
      const items = Array.from({ length: Math.min(BATCH, devices - b * BATCH) }, (_, k) => {
        const i = b * BATCH + k;
        return { deviceId: `s-${String(i).padStart(7, '0')}`, json: JSON.stringify({ enabled: true, ext: { brand: `brand-${i % BRANDS}`, n: i } }), credentials: [] };
      });
      await store.importDevices(SEARCH_TENANT, items, false);
    }
  };
  await Promise.all(Array.from({ length: 8 }, work));
}

/** A counted run of one search kind: `path()` gives each request. */
async function measure(env: Env, path: () => string): Promise<Summary> {
  const meter = cpuMeter({ server: env.registry.pid, redis: env.redisPid });
  const result = await runHttpLoad('127.0.0.1', env.registry.httpPort, {
    connections: 1,
    window: { prime: env.o.singlePrime, requests: env.o.singleRequests },
    next: () => ({ method: 'GET', path: path() }),
    onWindow: meter.onWindow,
  });
  return summarise([meter.toRun(result)]);
}

const random = (below: number): number => Math.floor(Math.random() * below);

/** Loads the search tenant, measures both searches and the tenant's memory. */
export async function searchPhase(env: Env, store: Store, client: Redis, devices: number): Promise<SearchResults> {
  env.progress(`search: loading ${devices} devices into one tenant`);
  env.layout('free');
  await load(store, devices);
  const base = `/v1/devices/${SEARCH_TENANT}`;
  const unfiltered = () => `${base}?pageSize=${PAGE}&pageOffset=${random(Math.floor(devices / PAGE))}`;
  const brand = () => encodeURIComponent(JSON.stringify({ field: '/ext/brand', value: `brand-${random(BRANDS)}` }));
  const filtered = () => `${base}?pageSize=${PAGE}&filterJson=${brand()}&pageOffset=${random(Math.floor(devices / BRANDS / PAGE))}`;
  env.progress('search: unfiltered pages, one request at a time');
  const rows: SearchRow[] = [{ what: 'unfiltered page (id order), random page', example: unfiltered(), registry: await measure(env, unfiltered) }];
  env.progress('search: pages filtered on one field, one request at a time');
  rows.push({ what: `filterJson on /ext/brand (1 in ${BRANDS} devices), random page of the matches`, example: filtered(), registry: await measure(env, filtered) });
  const { kinds, apart } = await memoryByKind(client, new Set([SEARCH_TENANT]));
  return {
    devices,
    rows,
    kinds: Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, v / devices])),
    indexBytesPerDevice: apart / devices,
    statusBytesPerDevice: await statusBytesPerDevice(client, SEARCH_TENANT),
  };
}
