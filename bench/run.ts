/**
 * The benchmark suite (`make bench`; `make bench-smoke` for the tiny CI run). Options: bench/options.ts.
 *
 * One redis-server, the built registry (`node dist/main.js`), the AMQP echo floor and the Koa floor
 * each run in their own process; this process loads the data (through the store API) and is the
 * AMQP load client; wrk is the HTTP load client. Progress goes to stderr, the markdown table to
 * stdout, everything to bench/results.json. Nothing here asserts a time: the targets are reported.
 *
 * Phases: base data set → warm-up → AMQP (3 concurrency settings × rounds, each round the floor
 * and the four lookups, the floor alternately first and last) → HTTP (same alternation) → scale
 * steps (load up to the next device count, Redis memory, lookups) → bulk comparison → report.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import type { Redis } from 'ioredis';
import { createLogger } from '../src/log.js';
import { createBcryptHasher } from '../src/service/password-hasher.js';
import { createTransferService, type TransferService } from '../src/service/transfer.js';
import { connectRedis, createRedisStore } from '../src/store/redis.js';
import type { Store } from '../src/store/store.js';
import { startTestRedis, type TestRedis } from '../test/helpers/redis-server.js';
import { corkRheaWrites, runAmqpLoad, type AmqpTarget } from './amqp-load.js';
import * as data from './dataset.js';
import { floorOp, lookupOps, type AmqpOp } from './operations.js';
import { addCredentialsScript, getRegistrationScript, registerDeviceScript, runWrk } from './http-load.js';
import { readOptions, type BenchOptions } from './options.js';
import { pinProcess, startBenchServer, startRegistryProcess, profileDir, type Child, type RegistryChild } from './processes.js';
import { renderMarkdown, summarise, type AmqpRow, type BulkRow, type HttpRow, type MemoryRow, type ReferenceRow, type Results, type Run, type ScaleRow, type Summary, type TargetRow } from './report.js';
import { ownCpuMs, processCpuMs, type LoadFigures } from './stats.js';

const o: BenchOptions = readOptions(process.env);
const loadAtStart = loadavg()[0] as number;
/** Whether the measuring runs were pinned (BENCH_PIN). */
let pinned = false;
const t0 = performance.now();
const elapsed = () => (performance.now() - t0) / 1000;
const progress = (message: string) => process.stderr.write(`[bench ${elapsed().toFixed(0).padStart(3)} s] ${message}\n`);

const OPS = lookupOps(o.tenants);
const FLOOR_OP = floorOp(OPS);
/**
 * A reference, not a target: the echo floor doing one Redis GET (same client options as the
 * registry) before each answer, i.e. the floor plus the one round trip every lookup needs.
 */
const FLOOR_GET: AmqpOp = { ...FLOOR_OP, name: 'echo floor + one Redis GET' };

interface Env {
  readonly redis: TestRedis;
  readonly redisPid: number | undefined;
  readonly client: Redis;
  readonly store: Store;
  /** The import path of `device-registry import`: how the data set is loaded. */
  readonly transfer: TransferService;
  readonly registry: RegistryChild;
  readonly echo: Child & { readonly port: number };
  readonly echoGet: Child & { readonly port: number };
  readonly koa: Child & { readonly port: number };
  /** Switches the CPU layout (BENCH_PIN): 'pinned' for runs under load, 'free' for single requests and loading. */
  readonly layout: (mode: 'pinned' | 'free') => void;
}

/**
 * BENCH_PIN: while measuring under load (100 in flight, HTTP), the server under test (registry,
 * echo floors, Koa floor) runs alone on core 0 and the load client (this process, and wrk, which it
 * starts) and Redis share core 1: registry and floor meet the same layout, the server has a core of
 * its own as it would in production, and the scheduler does not move processes around between
 * rounds. One request at a time and loading run unpinned: there, a pinned process pays a wake-up
 * of the other core for every request (bench/README.md).
 * Returns undefined when pinning is off or impossible (fewer than 2 cores, no taskset).
 */
function cpuLayout(servers: readonly number[], redisPid: number | undefined): ((mode: 'pinned' | 'free') => void) | undefined {
  const n = cpus().length;
  if (o.pin === 'off' || n < 2) return undefined;
  const all = `0-${n - 1}`;
  if (!pinProcess(process.pid, all)) {
    if (o.pin === 'on') throw new Error('BENCH_PIN=on, but taskset could not set the CPU affinity');
    return undefined;
  }
  const others = [process.pid, ...(redisPid === undefined ? [] : [redisPid])];
  return (mode) => {
    for (const pid of servers) pinProcess(pid, mode === 'pinned' ? '0' : all);
    for (const pid of others) pinProcess(pid, mode === 'pinned' ? '1' : all);
  };
}

async function usedMemory(client: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
}

/** Who answers an AMQP run: the registry, the echo floor, or the echo floor doing one Redis GET per request. */
type AmqpServer = 'registry' | 'floor' | 'floorGet';

async function amqpRun(env: Env, op: AmqpOp, server: AmqpServer, connections: number, inFlight: number, devices: number, durationMs = o.durationMs, warmupMs = o.warmupMs): Promise<Run> {
  const echo = server === 'floorGet' ? env.echoGet : env.echo;
  const target: AmqpTarget = {
    host: '127.0.0.1',
    port: server === 'registry' ? env.registry.amqpPort : echo.port,
    username: env.registry.username,
    password: env.registry.password,
  };
  const pid = server === 'registry' ? env.registry.pid : echo.pid;
  const cpu = { server: 0, redis: 0, client: 0 };
  const result = await runAmqpLoad(target, {
    connections,
    inFlight,
    warmupMs,
    durationMs,
    addresses: op.addresses,
    next: op.next(devices),
    onWindow: (edge) => {
      const sign = edge === 'start' ? -1 : 1;
      cpu.server += sign * processCpuMs(pid);
      cpu.redis += sign * processCpuMs(env.redisPid);
      cpu.client += sign * ownCpuMs();
    },
  });
  return toRun(result, { ...cpu, redis: server === 'floor' ? NaN : cpu.redis });
}

async function httpRun(env: Env, floor: boolean, script: string, durationMs = o.httpDurationMs): Promise<Run> {
  const pid = floor ? env.koa.pid : env.registry.pid;
  const before = { server: processCpuMs(pid), redis: processCpuMs(env.redisPid) };
  const result = await runWrk(`http://127.0.0.1:${floor ? env.koa.port : env.registry.httpPort}`, script, o.httpConnections, durationMs);
  return toRun(result, { server: processCpuMs(pid) - before.server, redis: processCpuMs(env.redisPid) - before.redis, client: NaN });
}

/** A measured run: the load figures, and the CPU (ms) each process used in the window per request (µs). */
function toRun(result: LoadFigures & { statuses?: Readonly<Record<string, number>> }, cpuMs: { server: number; redis: number; client: number }): Run {
  const per = (msCpu: number) => (result.requests > 0 ? (msCpu * 1000) / result.requests : NaN);
  const { rps, p50, p99, requests, errors, statuses } = result;
  return { rps, p50, p99, requests, errors, ...(statuses === undefined ? {} : { statuses }), cpuUs: { server: per(cpuMs.server), redis: per(cpuMs.redis), client: per(cpuMs.client) } };
}

/** Runs `rounds` rounds of [floor, ...subjects], the floor first in even rounds and last in odd ones. */
async function alternate<K>(rounds: number, subjects: readonly K[], runFloor: () => Promise<Run>, runSubject: (s: K) => Promise<Run>): Promise<{ floor: Summary; subjects: Summary[] }> {
  const floorRuns: Run[] = [];
  const subjectRuns: Run[][] = subjects.map(() => []);
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) floorRuns.push(await runFloor());
    for (let s = 0; s < subjects.length; s++) subjectRuns[s]?.push(await runSubject(subjects[s] as K));
    if (r % 2 === 1) floorRuns.push(await runFloor());
  }
  return { floor: summarise(floorRuns), subjects: subjectRuns.map(summarise) };
}

async function amqpPhase(env: Env, devices: number): Promise<{ rows: AmqpRow[]; references: ReferenceRow[] }> {
  // Warm-up (JIT) one request at a time: a burst of full load right before the single-request runs
  // makes their latencies worse on VMs for many seconds afterwards.
  progress('AMQP warm-up');
  for (const op of OPS) await amqpRun(env, op, 'registry', 1, 1, devices, Math.max(300, o.durationMs), 0);
  for (const server of ['floor', 'floorGet'] as const) await amqpRun(env, FLOOR_OP, server, 1, 1, devices, Math.max(300, o.durationMs), 0);
  const configs = [
    { connections: 1, inFlight: 1 },
    { connections: 1, inFlight: o.inFlight },
    { connections: o.connections, inFlight: o.inFlight },
  ];
  const rows: AmqpRow[] = [];
  const references: ReferenceRow[] = [];
  for (const { connections, inFlight } of configs) {
    progress(`AMQP ${connections} connection(s) × ${inFlight} in flight, ${o.rounds} round(s)`);
    env.layout(inFlight === 1 ? 'free' : 'pinned');
    const { floor, subjects } = await alternate(
      o.rounds,
      [...OPS, FLOOR_GET],
      () => amqpRun(env, FLOOR_OP, 'floor', connections, inFlight, devices),
      (op) => (op === FLOOR_GET ? amqpRun(env, FLOOR_OP, 'floorGet', connections, inFlight, devices) : amqpRun(env, op, 'registry', connections, inFlight, devices)),
    );
    OPS.forEach((op, i) => {
      const registry = subjects[i] as Summary;
      const rpsRatio = registry.rps / floor.rps;
      const p99Ratio = registry.p99 / floor.p99;
      const single = inFlight === 1;
      rows.push({
        op: op.name,
        connections,
        inFlight,
        registry,
        floor,
        rpsRatio,
        p99Ratio,
        target: single ? 'p50 ≤ 0.3 ms' : 'req/s ≥ 0.8× floor, p99 ≤ 1.5× floor',
        met: single ? registry.p50 <= 0.3 : rpsRatio >= 0.8 && p99Ratio <= 1.5,
      });
    });
    const floorGet = subjects[OPS.length] as Summary;
    references.push({ connections, inFlight, floor, floorGet, rpsRatio: floorGet.rps / floor.rps, p99Ratio: floorGet.p99 / floor.p99 });
  }
  return { rows, references };
}

async function httpPhase(env: Env, devices: number): Promise<HttpRow[]> {
  const routes = [
    { route: 'GET /registration/{t}/{d}', script: () => getRegistrationScript(devices), read: true },
    { route: 'POST /registration/{t}', script: registerDeviceScript, read: false },
    { route: 'POST /credentials/{t} (sha-512 pwd-hash)', script: addCredentialsScript, read: false },
  ];
  const floorScript = getRegistrationScript(devices);
  if (!o.smoke) {
    progress('HTTP warm-up');
    for (const r of routes) await httpRun(env, false, r.script(), 1000);
    await httpRun(env, true, floorScript, 1000);
  }
  progress(`HTTP, ${o.rounds} round(s)`);
  const { floor, subjects } = await alternate(o.rounds, routes, () => httpRun(env, true, floorScript), (r) => httpRun(env, false, r.script()));
  return routes.map((r, i) => {
    const registry = subjects[i] as Summary;
    const rpsRatio = registry.rps / floor.rps;
    return { route: r.route, registry, floor, rpsRatio, target: r.read ? 'req/s ≥ 0.7× floor' : '(no target)', met: r.read ? rpsRatio >= 0.7 : undefined };
  });
}

/** Lookups at one scale: per round the floor and the four lookups, at BENCH_IN_FLIGHT and at 1 in flight. */
async function scaleLookups(env: Env, devices: number): Promise<{ op: string; loaded: Summary; single: Summary; floorRps: number; floorP50: number }[]> {
  env.layout('free');
  const single = await alternate(o.scaleRounds, OPS, () => amqpRun(env, FLOOR_OP, 'floor', 1, 1, devices), (op) => amqpRun(env, op, 'registry', 1, 1, devices));
  env.layout('pinned');
  const loaded = await alternate(o.scaleRounds, OPS, () => amqpRun(env, FLOOR_OP, 'floor', 1, o.inFlight, devices), (op) => amqpRun(env, op, 'registry', 1, o.inFlight, devices));
  return OPS.map((op, i) => ({ op: op.name, loaded: loaded.subjects[i] as Summary, single: single.subjects[i] as Summary, floorRps: loaded.floor.rps, floorP50: single.floor.p50 }));
}

async function loadStep(env: Env, from: number, to: number, method: data.LoadMethod): Promise<BulkRow & { memoryDelta: number }> {
  const before = await usedMemory(env.client);
  const started = performance.now();
  if (method === 'import') await data.importDevices(env.transfer, from, to);
  else await data.loadDevices(env.store, from, to, o.loadConcurrency, method);
  const seconds = (performance.now() - started) / 1000;
  const memoryDelta = (await usedMemory(env.client)) - before;
  return { what: `scale step ${from.toLocaleString('en-US')} → ${to.toLocaleString('en-US')}`, method, devices: to - from, seconds, perSecond: (to - from) / seconds, memoryDelta };
}

const METHOD_LABELS: Record<data.LoadMethod, string> = {
  import: 'import path: 200 devices per script call, 8 calls in flight',
  separate: 'createDevice + addCredentials: 2 script calls per device',
  provision: 'provisionDevice: 1 script call per device',
};
const methodLabel = (m: data.LoadMethod) => METHOD_LABELS[m];

async function main(): Promise<void> {
  progress(`options: ${JSON.stringify(o)}`);
  const stops: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().then(() => process.exit(130)));
  corkRheaWrites();
  try {
    const redis = await startTestRedis();
    stops.push(() => redis.destroy());
    const client = await connectRedis(redis.url, 30_000, createLogger('warn'));
    const store = createRedisStore(client);
    stops.push(() => store.close());
    const server = await client.info('server');
    const redisPid = Number(/process_id:(\d+)/.exec(server)?.[1]) || undefined;
    const redisVersion = /redis_version:(\S+)/.exec(server)?.[1] ?? 'unknown';

    progress('starting the registry, the echo floor and the Koa floor');
    const nodeArgs = o.profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir(o.profileDir)}`];
    const registry = await startRegistryProcess(redis.url, nodeArgs, o.registryMain);
    stops.push(() => registry.stop());
    const echo = await startBenchServer('echo-server.ts');
    stops.push(() => echo.stop());
    const koa = await startBenchServer('koa-floor.ts', { REDIS_URL: redis.url });
    stops.push(() => koa.stop());
    const echoGet = await startBenchServer('echo-server.ts', { REDIS_URL: redis.url });
    stops.push(() => echoGet.stop());
    const transfer = createTransferService(store, { maxBcryptCost: 10, hasher: createBcryptHasher(10) });
    const layout = cpuLayout([registry.pid, echo.pid, echoGet.pid, koa.pid].filter((pid): pid is number => pid !== undefined), redisPid);
    pinned = layout !== undefined;
    progress(pinned ? 'runs under load: the server under test on core 0, the load client and Redis on core 1 (BENCH_PIN)' : 'measuring without CPU pinning');
    const env: Env = { redis, redisPid, client, store, transfer, registry, echo, echoGet, koa, layout: layout ?? (() => undefined) };
    env.layout('free');

    // Base data set.
    const base = o.scales[0] as number;
    progress(`loading ${o.tenants} tenants and ${base} devices`);
    const floorValues = client.pipeline();
    for (let i = 0; i < base; i++) floorValues.set(data.floorKey(data.deviceTenant(i), data.deviceId(i)), `{"device-id":"${data.deviceId(i)}","data":${data.deviceJson(i)}}`);
    await floorValues.exec();
    await data.loadTenants(store, o.tenants);
    const bulk: BulkRow[] = [];
    const memory: MemoryRow[] = [];
    let memorySum = 0;
    const firstMethod = o.loadMethod === 'auto' ? 'import' : o.loadMethod;
    const first = await loadStep(env, 0, base, firstMethod);
    bulk.push({ ...first, method: methodLabel(firstMethod) });
    memorySum += first.memoryDelta;
    memory.push({ devices: base, usedMemory: await usedMemory(client), stepBytesPerDevice: first.memoryDelta / base, bytesPerDevice: memorySum / base });

    env.layout('pinned');
    const { rows: amqp, references: amqpReference } = await amqpPhase(env, base);
    const http = await httpPhase(env, base);

    // Scale steps.
    const scale: ScaleRow[] = [];
    const skippedScales: number[] = [];
    const rates: Partial<Record<data.LoadMethod, number>> = { [firstMethod]: first.perSecond };
    // Lookups at the base set are the AMQP phase's one-connection runs (more rounds, measured before
    // any bulk load); the other steps measure the same two settings after loading.
    const amqpRow = (op: string, inFlight: number) => amqp.find((r) => r.op === op && r.connections === 1 && r.inFlight === inFlight) as AmqpRow;
    for (const op of OPS) {
      const loaded = amqpRow(op.name, o.inFlight);
      const single = amqpRow(op.name, 1);
      scale.push({ devices: base, op: op.name, loaded: loaded.registry, single: single.registry, floorRps: loaded.floor.rps, floorP50: single.floor.p50, rpsVsBase: 1, p99VsBase: 1 });
    }
    // Until a step has been measured: 2 settings × (floor + 4 lookups) × rounds.
    let lookupSeconds = (2 * (OPS.length + 1) * o.scaleRounds * (o.durationMs + o.warmupMs + 300)) / 1000;
    let devices = base;
    for (const target of o.scales.slice(1)) {
      const reserve = lookupSeconds + 8;
      // Bigger hashes load a little slower than the last step did: 15 % margin.
      const fits = (m: data.LoadMethod) => elapsed() + (1.15 * (target - devices)) / (rates[m] ?? first.perSecond) + reserve <= o.budgetS;
      const method: data.LoadMethod | undefined = o.loadMethod !== 'auto' ? o.loadMethod : fits('import') ? 'import' : undefined;
      if (method === undefined || !fits(method)) {
        progress(`skipping ${target} devices and above: it would not finish within BENCH_BUDGET_S=${o.budgetS}`);
        skippedScales.push(...o.scales.filter((s) => s >= target));
        break;
      }
      progress(`loading devices ${devices} → ${target} (${method})`);
      env.layout('free');
      const step = await loadStep(env, devices, target, method);
      env.layout('pinned');
      rates[method] = step.perSecond;
      bulk.push({ ...step, method: methodLabel(method) });
      memorySum += step.memoryDelta;
      memory.push({ devices: target, usedMemory: await usedMemory(client), stepBytesPerDevice: step.memoryDelta / (target - devices), bytesPerDevice: memorySum / target });
      devices = target;
      progress(`lookups at ${devices} devices`);
      const started = elapsed();
      const rows = await scaleLookups(env, devices);
      lookupSeconds = elapsed() - started;
      for (const row of rows) {
        const baseRow = scale.find((s) => s.devices === base && s.op === row.op);
        scale.push({
          devices,
          ...row,
          rpsVsBase: baseRow === undefined ? 1 : row.loaded.rps / baseRow.loaded.rps,
          p99VsBase: baseRow === undefined ? 1 : row.loaded.p99 / baseRow.loaded.p99,
        });
      }
    }

    // Bulk: the import path and the per-device store paths on the same number of fresh devices (own tenant, after the memory figures).
    const sample = o.smoke ? 1000 : 20_000;
    env.layout('free');
    await store.createTenant('bench-bulk', data.tenantJson('bench-bulk'), []);
    for (const [k, method] of (['import', 'separate', 'provision'] as const).entries()) {
      progress(`bulk sample: ${sample} devices (${method})`);
      const started = performance.now();
      const naming = { tenant: () => 'bench-bulk', device: (i: number) => `bulk${k}-dev-${i}`, auth: (i: number) => `bulk${k}-auth-${i}` };
      if (method === 'import') await data.importDevices(transfer, 0, sample, naming);
      else await data.loadDevices(store, 0, sample, o.loadConcurrency, method, naming);
      const seconds = (performance.now() - started) / 1000;
      bulk.push({ what: `sample into an empty tenant`, method: methodLabel(method), devices: sample, seconds, perSecond: sample / seconds });
    }

    const results = buildResults({ amqp, amqpReference, http, scale, skippedScales, memory, bulk, redisVersion, base });
    process.stdout.write(`${renderMarkdown(results)}\n`);
    writeFileSync(o.out, `${JSON.stringify(results, null, 2)}\n`);
    progress(`wrote ${o.out}`);
  } finally {
    progress('stopping');
    await cleanup();
  }
}

function buildResults(parts: { amqp: AmqpRow[]; amqpReference: ReferenceRow[]; http: HttpRow[]; scale: ScaleRow[]; skippedScales: number[]; memory: MemoryRow[]; bulk: BulkRow[]; redisVersion: string; base: number }): Results {
  const { amqp, http, scale, memory, bulk } = parts;
  const targets: TargetRow[] = [];
  const loadedRows = amqp.filter((r) => r.inFlight > 1);
  const worst = (values: number[], pick: (a: number, b: number) => number) => values.reduce((a, b) => pick(a, b));
  if (loadedRows.length > 0) {
    const rpsRatios = loadedRows.map((r) => r.rpsRatio);
    const p99Ratios = loadedRows.map((r) => r.p99Ratio);
    targets.push({ target: `AMQP lookups at ${o.inFlight} in flight: req/s ≥ 0.8× echo floor`, figure: `${worst(rpsRatios, Math.min).toFixed(2)}× (worst of ${loadedRows.length})`, met: rpsRatios.every((v) => v >= 0.8) });
    targets.push({ target: `AMQP lookups at ${o.inFlight} in flight: p99 ≤ 1.5× echo floor`, figure: `${worst(p99Ratios, Math.max).toFixed(2)}× (worst of ${loadedRows.length})`, met: p99Ratios.every((v) => v <= 1.5) });
  }
  const singleRows = amqp.filter((r) => r.inFlight === 1);
  if (singleRows.length > 0) {
    const p50s = singleRows.map((r) => r.registry.p50);
    targets.push({ target: 'AMQP one request at a time: p50 ≤ 0.3 ms', figure: `${worst(p50s, Math.max).toFixed(3)} ms (worst; floor ${singleRows[0]?.floor.p50.toFixed(3)} ms)`, met: p50s.every((v) => v <= 0.3) });
  }
  const read = http.find((r) => r.met !== undefined);
  if (read !== undefined) targets.push({ target: 'HTTP reads: req/s ≥ 0.7× Koa + GET floor', figure: `${read.rpsRatio.toFixed(2)}×`, met: read.met });
  const top = Math.max(...scale.map((s) => s.devices));
  const topRows = scale.filter((s) => s.devices === top);
  if (top > parts.base) {
    const rps = topRows.map((r) => r.rpsVsBase);
    const p99 = topRows.map((r) => r.p99VsBase);
    targets.push({
      target: `lookups at ${top.toLocaleString('en-US')} devices within 20 % of ${parts.base.toLocaleString('en-US')} (req/s and p99 at ${o.inFlight} in flight)`,
      figure: `req/s ${worst(rps, Math.min).toFixed(2)}×, p99 ${worst(p99, Math.max).toFixed(2)}× (worst)`,
      met: rps.every((v) => v >= 0.8) && p99.every((v) => v <= 1.2),
    });
  }
  const lastMemory = memory[memory.length - 1];
  if (lastMemory !== undefined) {
    targets.push({ target: 'Redis memory ≤ 600 bytes per device with one hashed-password credential', figure: `${Math.round(lastMemory.bytesPerDevice)} B at ${lastMemory.devices.toLocaleString('en-US')} devices`, met: lastMemory.bytesPerDevice <= 600 });
  }
  for (const method of ['import', 'separate', 'provision'] as const) {
    const rows = bulk.filter((b) => b.method === methodLabel(method));
    const best = rows.reduce<BulkRow | undefined>((a, b) => (a === undefined || b.devices > a.devices ? b : a), undefined);
    if (best !== undefined) {
      targets.push({ target: `bulk ≥ 20,000 devices with credentials/s (${method === 'import' ? 'import path' : `for comparison: ${method}`})`, figure: `${Math.round(best.perSecond).toLocaleString('en-US')}/s (${best.what}, ${best.devices.toLocaleString('en-US')} devices)`, met: best.perSecond >= 20_000 });
    }
  }
  const cpuList = cpus();
  return {
    machine: {
      cpuModel: cpuList[0]?.model ?? 'unknown',
      cpus: cpuList.length,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      redis: parts.redisVersion,
      os: `${osName()}, ${platform()} ${release()}`,
      loadAverage: { start: loadAtStart, end: loadavg()[0] as number },
      date: new Date().toISOString(),
    },
    options: { ...o, baseDevices: parts.base, pinned },
    amqp,
    amqpReference: parts.amqpReference,
    http,
    scale,
    skippedScales: parts.skippedScales,
    memory,
    bulk,
    targets,
    elapsedSeconds: elapsed(),
  };
}

/** The distribution's name (PRETTY_NAME of /etc/os-release), else the platform. */
function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? platform();
  } catch {
    return platform();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`benchmark failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
