/**
 * The benchmark suite (`make bench`; `make bench-smoke` for the tiny CI run). Options: bench/options.ts;
 * methodology: bench/measure.ts and bench/README.md.
 *
 * One redis-server, the built registry (`node dist/main.js`), the two AMQP floors (bare rhea echo,
 * echo + one Redis GET) and the Koa + one GET floor each run in their own process; this process
 * loads the data (through the import path) and is the AMQP and HTTP load client. Progress goes to
 * stderr, the markdown report to stdout and next to the JSON (bench/results.{json,md}). Nothing
 * here asserts a time: the targets are reported.
 *
 * Steps: base data set → AMQP (1 × 1, 1 × 100, 4 × 100; rounds alternating floors and lookups) →
 * HTTP (same alternation) → scale steps (load up to the next device count, Redis memory, lookups)
 * → bulk comparison → /v1 searches in one tenant of BENCH_SEARCH_DEVICES → report.
 */
import { loadavg } from 'node:os';
import type { Redis } from 'ioredis';
import { createLogger } from '../src/log.js';
import { createBcryptHasher } from '../src/service/password-hasher.js';
import { createTransferService, type TransferService } from '../src/service/transfer.js';
import { connectRedis, createRedisStore } from '../src/store/redis.js';
import type { Store } from '../src/store/store.js';
import { startTestRedis } from '../test/helpers/redis-server.js';
import * as data from './dataset.js';
import { progressLog, runBenchmark, type Stops } from './entry.js';
import { describeMachine } from './markdown.js';
import { memoryByKind, statusBytesPerDevice, usedMemory } from './memory.js';
import { amqpPhase, httpPhase, scaleLookups, vsFloor, type Env } from './phases.js';
import { readOptions, type BenchOptions } from './options.js';
import { cpuLayout, startBenchServer, startRegistryProcess, profileDir } from './processes.js';
import { groupPhase } from './groups.js';
import { searchPhase } from './search.js';
import { renderMarkdown, type AmqpFloorRow, type AmqpRow, type BulkRow, type MemoryRow, type Results, type ScaleRow } from './report.js';
import { buildTargets } from './targets.js';

const o: BenchOptions = readOptions(process.env);
const loadAtStart = loadavg()[0] as number;
const { progress, elapsed } = progressLog('bench');

interface Loader {
  readonly client: Redis;
  readonly store: Store;
  /** The import path of `device-registry import`: how the data set is loaded. */
  readonly transfer: TransferService;
}

const METHOD_LABELS: Record<data.LoadMethod, string> = {
  import: 'import path: 200 devices per script call, 8 calls in flight',
  separate: 'createDevice + addCredentials: 2 script calls per device',
  provision: 'provisionDevice: 1 script call per device',
};

/** Loads devices [from, to) and measures the rate and Redis's growth. */
async function loadStep(l: Loader, from: number, to: number, method: data.LoadMethod): Promise<{ bulk: BulkRow; memoryDelta: number }> {
  const before = await usedMemory(l.client);
  const started = performance.now();
  if (method === 'import') await data.importDevices(l.transfer, from, to);
  else await data.loadDevices(l.store, from, to, o.loadConcurrency, method);
  const seconds = (performance.now() - started) / 1000;
  const memoryDelta = (await usedMemory(l.client)) - before;
  return { bulk: { what: `scale step ${from.toLocaleString('en-US')} → ${to.toLocaleString('en-US')}`, method: METHOD_LABELS[method], devices: to - from, seconds, perSecond: (to - from) / seconds }, memoryDelta };
}

async function memoryRow(l: Loader, devices: number, stepDelta: number, stepDevices: number, total: number): Promise<MemoryRow> {
  const { kinds, apart } = await memoryByKind(l.client, new Set(Array.from({ length: data.DEVICE_TENANTS }, (_, k) => data.tenantName(k))));
  const perDevice = Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, v / devices]));
  return {
    devices, usedMemory: await usedMemory(l.client), stepBytesPerDevice: stepDelta / stepDevices, bytesPerDevice: total / devices, kinds: perDevice, apartBytesPerDevice: apart / devices,
    statusBytesPerDevice: await statusBytesPerDevice(l.client, data.tenantName(0)),
  };
}

/** The base step's scale rows: the AMQP phase's one-connection rows against the echo + GET floor. */
function baseScaleRows(amqp: readonly AmqpRow[], floors: readonly AmqpFloorRow[], base: number): ScaleRow[] {
  const row = (op: string, inFlight: number) => amqp.find((r) => r.op === op && r.connections === 1 && r.inFlight === inFlight) as AmqpRow;
  const floor = (inFlight: number) => floors.find((f) => f.connections === 1 && f.inFlight === inFlight) as AmqpFloorRow;
  return [...new Set(amqp.map((r) => r.op))].map((op) => ({
    devices: base, op, loaded: row(op, o.inFlight).registry, single: row(op, 1).registry, floorLoaded: floor(o.inFlight).echoGet, floorSingle: floor(1).echoGet, rpsVsBase: 1, cpuVsBase: 1, p99VsBase: 1,
  }));
}

interface ScaleState {
  readonly bulk: BulkRow[];
  readonly memory: MemoryRow[];
  readonly scale: ScaleRow[];
  memorySum: number;
  /** Devices/s of the last load step. */
  rate: number;
  /** Seconds one lookup run took in the AMQP phase. */
  readonly secondsPerRun: number;
}

/** The lookups of a scale step, against the base step's. */
async function lookupStep(env: Env, state: ScaleState, devices: number): Promise<void> {
  const base = o.scales[0] as number;
  progress(`lookups at ${devices} devices`);
  for (const row of await scaleLookups(env, devices)) {
    const b = state.scale.find((s) => s.devices === base && s.op === row.op) as ScaleRow;
    state.scale.push({
      devices, ...row,
      rpsVsBase: vsFloor(row.loaded, row.floorLoaded, 'rps') / vsFloor(b.loaded, b.floorLoaded, 'rps'),
      cpuVsBase: row.loaded.cpuUs.server / b.loaded.cpuUs.server,
      p99VsBase: vsFloor(row.loaded, row.floorLoaded, 'p99') / vsFloor(b.loaded, b.floorLoaded, 'p99'),
    });
  }
}

/**
 * Scale steps after the base: each loads up to its device count and measures Redis memory; the
 * lookups run at the largest step that ends within BENCH_BUDGET_S (steps beyond it are skipped).
 * Returns the skipped device counts.
 */
async function scaleSteps(env: Env, l: Loader, state: ScaleState): Promise<number[]> {
  const method: data.LoadMethod = o.loadMethod === 'auto' ? 'import' : o.loadMethod;
  // 2 settings × (floor + 4 lookups) × rounds.
  const lookupSeconds = 2 * 5 * o.scaleRounds * state.secondsPerRun;
  // Bigger hashes load a little slower than the last step did: 15 % margin.
  const fits = (from: number, to: number) => elapsed() + (1.15 * (to - from)) / state.rate + lookupSeconds + 8 <= o.budgetS;
  const steps = o.scales.slice(1);
  let devices = o.scales[0] as number;
  for (const [k, target] of steps.entries()) {
    if (!fits(devices, target)) {
      progress(`skipping ${target} devices and above: it would not finish within BENCH_BUDGET_S=${o.budgetS}`);
      if (k > 0) await lookupStep(env, state, devices);
      return o.scales.filter((s) => s >= target);
    }
    progress(`loading devices ${devices} → ${target} (${method})`);
    env.layout('free');
    const step = await loadStep(l, devices, target, method);
    state.rate = step.bulk.perSecond;
    state.bulk.push(step.bulk);
    state.memorySum += step.memoryDelta;
    state.memory.push(await memoryRow(l, target, step.memoryDelta, target - devices, state.memorySum));
    const next = steps[k + 1];
    if (next === undefined) await lookupStep(env, state, target);
    devices = target;
  }
  return [];
}

/** The import path and the per-device store paths on the same number of fresh devices (own tenant). */
async function bulkSample(l: Loader): Promise<BulkRow[]> {
  const sample = o.smoke ? 1000 : 20_000;
  await l.store.createTenant('bench-bulk', data.tenantJson('bench-bulk'), []);
  const rows: BulkRow[] = [];
  for (const [k, method] of (['import', 'separate', 'provision'] as const).entries()) {
    progress(`bulk sample: ${sample} devices (${method})`);
    const started = performance.now();
    const naming = { tenant: () => 'bench-bulk', device: (i: number) => `bulk${k}-dev-${i}`, auth: (i: number) => `bulk${k}-auth-${i}` };
    if (method === 'import') await data.importDevices(l.transfer, 0, sample, naming);
    else await data.loadDevices(l.store, 0, sample, o.loadConcurrency, method, naming);
    const seconds = (performance.now() - started) / 1000;
    rows.push({ what: 'sample into an empty tenant', method: METHOD_LABELS[method], devices: sample, seconds, perSecond: sample / seconds });
  }
  return rows;
}

/** Starts Redis, the registry and the floors; `stops` collects how to stop them. */
async function start(stops: Stops): Promise<{ env: Env; loader: Loader; redisVersion: string; pinned: boolean }> {
  const redis = await startTestRedis();
  stops.push(() => redis.destroy());
  const client = await connectRedis(redis.url, 30_000, createLogger('warn'));
  const store = createRedisStore(client);
  stops.push(() => store.close());
  const info = await client.info('server');
  const redisPid = Number(/process_id:(\d+)/.exec(info)?.[1]) || undefined;
  progress('starting the registry and the floors');
  const nodeArgs = o.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir(o.profileDir)}`];
  const registry = await startRegistryProcess(redis.url, nodeArgs, o.registryMain);
  stops.push(() => registry.stop());
  const echo = await startBenchServer('echo-server.ts');
  stops.push(() => echo.stop());
  const echoGet = await startBenchServer('echo-server.ts', { REDIS_URL: redis.url });
  stops.push(() => echoGet.stop());
  const koa = await startBenchServer('koa-floor.ts', { REDIS_URL: redis.url });
  stops.push(() => koa.stop());
  const layout = cpuLayout(o.pin, [registry.pid, echo.pid, echoGet.pid, koa.pid], [process.pid, redisPid]);
  progress(layout !== undefined ? 'runs under load: the server under test on core 0, the load client and Redis on core 1 (BENCH_PIN)' : 'measuring without CPU pinning');
  const transfer = createTransferService(store, { maxBcryptCost: 10, hasher: createBcryptHasher(10) });
  const env: Env = { o, redisPid, registry, echo, echoGet, koa, layout: layout ?? (() => undefined), progress };
  return { env, loader: { client, store, transfer }, redisVersion: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown', pinned: layout !== undefined };
}

async function run(stops: Stops): Promise<Results> {
  const { env, loader, redisVersion, pinned } = await start(stops);
  const base = o.scales[0] as number;
  progress(`loading ${o.tenants} tenants and ${base} devices`);
  env.layout('free');
  const floorValues = loader.client.pipeline();
  for (let i = 0; i < base; i++) floorValues.set(data.floorKey(data.deviceTenant(i), data.deviceId(i)), `{"device-id":"${data.deviceId(i)}","data":${data.deviceJson(i)}}`);
  await floorValues.exec();
  await data.loadTenants(loader.store, o.tenants);
  const method = o.loadMethod === 'auto' ? 'import' : o.loadMethod;
  const first = await loadStep(loader, 0, base, method);
  const memory = [await memoryRow(loader, base, first.memoryDelta, base, first.memoryDelta)];
  const amqpStarted = elapsed();
  const { rows: amqp, floors: amqpFloors } = await amqpPhase(env, base);
  // The phase's runs: a warm-up run per lookup and floor, then (floors + lookups) × rounds × 3 settings.
  const secondsPerRun = (elapsed() - amqpStarted) / (amqpFloors.length * (2 + 4) * o.rounds + 6);
  const { floor: httpFloor, rows: http } = await httpPhase(env, base);
  const state: ScaleState = { bulk: [first.bulk], memory, scale: baseScaleRows(amqp, amqpFloors, base), memorySum: first.memoryDelta, rate: first.bulk.perSecond, secondsPerRun };
  const skippedScales = await scaleSteps(env, loader, state);
  env.layout('free');
  const bulk = [...state.bulk, ...(await bulkSample(loader))];
  const search = await searchPhase(env, loader.store, loader.client, o.searchDevices);
  const groups = await groupPhase(env, loader.store);
  const targets = buildTargets({ amqp, http, scale: state.scale, memory: state.memory, bulk, base, methodLabels: METHOD_LABELS });
  return {
    machine: describeMachine(redisVersion, loadAtStart),
    options: { ...o, baseDevices: base, pinned },
    amqp, amqpFloors, httpFloor, http, scale: state.scale, skippedScales, memory: state.memory, bulk, search, groups, targets, elapsedSeconds: elapsed(),
  };
}

runBenchmark('bench', o, progress, run, renderMarkdown);
