/**
 * Soak run (`make soak`; issue 6): SOAK_SECONDS (default 600) of mixed HTTP and AMQP load against
 * the built registry in its own process, sampling the registry's resident memory (VmRSS) every
 * SOAK_SAMPLE_SECONDS (default 5), and next to it, from the registry's own /metrics, V8's heap
 * (used, total) and external memory, and from /proc the main malloc arena. Prints the samples and
 * the growth of the resident set from the end of the warm-up (the first quarter of the run) to the
 * end, as a percentage (see report()). A script, not a test: it asserts nothing and exits 0 unless
 * the load itself breaks (a 5xx, a crash, an AMQP request without an answer).
 *
 * Diagnostics (docs/reliability.md "Soak"): SOAK_HEAP_SNAPSHOTS=<dir> has the registry write a
 * heap snapshot (after a full GC) at the end of the warm-up and at the end, to compare with
 * bench/heap-diff.ts (the snapshots themselves grow the resident set: not for the figures);
 * SOAK_NODE_ARGS and SOAK_REGISTRY_ENV try node flags or allocator settings on the registry.
 *
 * The load: HTTP_WORKERS loops that each create a device, read and update it, add credentials, read
 * them, delete them, delete the device and purge it from the denied list, with one bad request
 * (unknown device, invalid JSON) per round; every 50th round also creates and deletes a tenant.
 * Alongside, AMQP rounds of 10 s with fresh connections (so connection set-up and tear-down are
 * part of the load): registration assert, credentials get and tenant get on pre-loaded devices.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { startTestRedis } from '../test/helpers/redis-server.js';
import { corkRheaWrites, runAmqpLoad, type AmqpRequest } from './amqp-load.js';
import { startRegistryProcess } from './processes.js';

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${raw} must be a whole number ≥ 1`);
  return value;
};

const SECONDS = int('SOAK_SECONDS', 600);
const SAMPLE_SECONDS = int('SOAK_SAMPLE_SECONDS', 5);
const HTTP_WORKERS = int('SOAK_HTTP_WORKERS', 8);
const AMQP_IN_FLIGHT = int('SOAK_AMQP_IN_FLIGHT', 50);
/** SOAK_HEAP_SNAPSHOTS=<dir>: the registry writes a heap snapshot there at the end of the warm-up and at the end (bench/heap-diff.ts compares them). */
const SNAPSHOT_DIR = process.env.SOAK_HEAP_SNAPSHOTS ?? '';
/** SOAK_NODE_ARGS / SOAK_REGISTRY_ENV: extra node flags and NAME=value pairs (space-separated) for the registry, to try heap or allocator settings. */
const words = (name: string) => (process.env[name] ?? '').split(' ').filter((w) => w !== '');
const EXTRA_NODE_ARGS = words('SOAK_NODE_ARGS');
const EXTRA_ENV = Object.fromEntries(words('SOAK_REGISTRY_ENV').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
const DEVICES = 200;
const TENANT = 'soak';
const t0 = performance.now();
const elapsed = () => (performance.now() - t0) / 1000;
const progress = (message: string) => process.stderr.write(`[soak ${elapsed().toFixed(0).padStart(4)} s] ${message}\n`);

function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

/** The resident part of the main thread's malloc heap (the `[heap]` mapping, glibc's main arena). */
function brkKiB(pid: number): number {
  const match = /\[heap\]\n(?:.*\n)*?Rss:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps`, 'utf8'));
  return match === null ? 0 : Number(match[1]);
}

/** One sample: the registry's resident set and, from its own /metrics, V8's heap and external memory. */
interface Sample {
  readonly t: number;
  readonly rssKiB: number;
  readonly brkKiB: number;
  readonly heapUsedKiB: number;
  readonly heapTotalKiB: number;
  /** V8's young generation (new space), part of heap total: it grows under load and seldom shrinks. */
  readonly newSpaceKiB: number;
  readonly externalKiB: number;
}

async function sample(base: string, pid: number): Promise<Sample> {
  const t = Math.round(elapsed());
  const text = await (await fetch(`${base}/metrics`)).text();
  const gauge = (name: string): number => {
    const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return match === null ? 0 : Math.round(Number(match[1]) / 1024);
  };
  return {
    t,
    rssKiB: rssKiB(pid),
    brkKiB: brkKiB(pid),
    heapUsedKiB: gauge('nodejs_heap_size_used_bytes'),
    heapTotalKiB: gauge('nodejs_heap_size_total_bytes'),
    newSpaceKiB: gauge('nodejs_heap_space_size_total_bytes\\{space="new"\\}'),
    externalKiB: gauge('nodejs_external_memory_bytes'),
  };
}

const counts = { http: 0, http4xx: 0, http5xx: 0, snapshot503: 0, amqp: 0, amqpErrors: 0 };
/**
 * Set while the registry writes a heap snapshot (and for 5 s after): the pause stalls its event
 * loop, so Redis commands can time out and answer 503; those are counted apart, not fatal.
 */
let snapshotting = false;

async function call(base: string, method: string, path: string, body?: unknown, raw?: string): Promise<number> {
  const init: RequestInit = { method };
  if (body !== undefined || raw !== undefined) {
    init.body = raw ?? JSON.stringify(body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  const res = await fetch(`${base}${path}`, init);
  await res.arrayBuffer();
  counts.http++;
  if (res.status === 503 && snapshotting) {
    counts.snapshot503++;
    return res.status;
  }
  if (res.status >= 500) {
    counts.http5xx++;
    throw new Error(`${method} ${path} answered ${res.status}`);
  }
  if (res.status >= 400) counts.http4xx++;
  return res.status;
}

/** One round of the management life cycle of a device. */
async function httpRound(base: string, worker: number, round: number): Promise<void> {
  const d = `w${worker}-r${round}`;
  const t = `/${TENANT}`;
  await call(base, 'POST', `/registration${t}`, { 'device-id': d, ep: `IMEI${round}` });
  await call(base, 'GET', `/registration${t}/${d}`);
  await call(base, 'PUT', `/registration${t}/${d}`, { ep: `IMEI${round}-2`, enabled: true });
  await call(base, 'POST', `/credentials${t}`, {
    'device-id': d, type: 'hashed-password', 'auth-id': `a-${d}`,
    secrets: [{ 'hash-function': 'sha-256', 'pwd-hash': Buffer.alloc(32, round % 256).toString('base64') }],
  });
  await call(base, 'GET', `/credentials${t}/${d}`);
  await call(base, 'GET', `/registration${t}/no-such-device`);
  await call(base, 'POST', `/registration${t}`, undefined, '{"device-id": ');
  await call(base, 'DELETE', `/credentials${t}/a-${d}/hashed-password`);
  await call(base, 'DELETE', `/registration${t}/${d}`);
  await call(base, 'DELETE', `/denied-devices${t}/${d}?purge=true`);
  if (round % 50 === 0) {
    const tenant = `soak-w${worker}-${round}`;
    await call(base, 'POST', '/tenant', { 'tenant-id': tenant });
    await call(base, 'POST', `/registration/${tenant}`, { 'device-id': 'd' });
    await call(base, 'DELETE', `/tenant/${tenant}`);
  }
}

async function main(): Promise<void> {
  corkRheaWrites();
  const redis = await startTestRedis();
  const nodeArgs = [...EXTRA_NODE_ARGS, ...(SNAPSHOT_DIR === '' ? [] : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${SNAPSHOT_DIR}`])];
  const registry = await startRegistryProcess(redis.url, nodeArgs, undefined, EXTRA_ENV);
  const pid = registry.pid;
  if (pid === undefined) throw new Error('registry has no pid');
  const base = `http://127.0.0.1:${registry.httpPort}`;
  progress(`registry ${[...Object.entries(EXTRA_ENV).map(([k, v]) => `${k}=${v}`), 'node', ...nodeArgs].join(' ')} pid ${pid}, HTTP ${registry.httpPort}, AMQP ${registry.amqpPort}; ${SECONDS} s of load`);
  try {
    await call(base, 'POST', '/tenant', { 'tenant-id': TENANT });
    for (let i = 0; i < DEVICES; i++) {
      await call(base, 'POST', `/registration/${TENANT}`, { 'device-id': `amqp-${i}` });
      await call(base, 'POST', `/credentials/${TENANT}`, {
        'device-id': `amqp-${i}`, type: 'hashed-password', 'auth-id': `amqp-${i}`,
        secrets: [{ 'hash-function': 'sha-256', 'pwd-hash': Buffer.alloc(32, i % 256).toString('base64') }],
      });
    }
    const deadline = performance.now() + SECONDS * 1000;
    const running = () => performance.now() < deadline;

    const samples: Sample[] = [];
    const sampler = setInterval(() => void sample(base, pid).then((s) => samples.push(s)), SAMPLE_SECONDS * 1000);
    samples.push(await sample(base, pid));
    const snapshot = async (label: string) => {
      if (SNAPSHOT_DIR === '') return;
      const before = readdirSync(SNAPSHOT_DIR).length;
      snapshotting = true;
      process.kill(pid, 'SIGUSR2');
      // Writing the snapshot (after a full GC) pauses the registry; wait for the file to appear.
      for (let i = 0; i < 600 && readdirSync(SNAPSHOT_DIR).length === before; i++) await new Promise((r) => setTimeout(r, 100));
      const after = await sample(base, pid);
      setTimeout(() => (snapshotting = false), 5000);
      progress(`heap snapshot ${label}: heap used right after it ${(after.heapUsedKiB / 1024).toFixed(1)} MiB, RSS ${(after.rssKiB / 1024).toFixed(1)} MiB`);
    };
    const warmSnapshot = setTimeout(() => void snapshot('after warm-up'), Math.max(30, SECONDS / 4) * 1000);

    const httpLoad = Array.from({ length: HTTP_WORKERS }, async (_, worker) => {
      for (let round = 0; running(); round++) await httpRound(base, worker, round);
    });
    const json = (value: unknown) => Buffer.from(JSON.stringify(value));
    const next = (): AmqpRequest => {
      const i = Math.floor(Math.random() * DEVICES);
      const pick = Math.random();
      if (pick < 0.4) return { address: `registration/${TENANT}`, subject: 'assert', properties: { device_id: `amqp-${i}` } };
      if (pick < 0.8) return { address: `credentials/${TENANT}`, subject: 'get', body: json({ type: 'hashed-password', 'auth-id': `amqp-${i}` }) };
      return { address: 'tenant', subject: 'get', body: json({ 'tenant-id': TENANT }) };
    };
    const amqpLoad = (async () => {
      while (running()) {
        const window = Math.min(10_000, Math.max(1000, deadline - performance.now()));
        const result = await runAmqpLoad({ host: '127.0.0.1', port: registry.amqpPort, username: registry.username, password: registry.password }, {
          connections: 2, inFlight: AMQP_IN_FLIGHT, warmupMs: 0, durationMs: window,
          addresses: [`registration/${TENANT}`, `credentials/${TENANT}`, 'tenant'], next,
        });
        counts.amqp += result.requests;
        counts.amqpErrors += result.errors;
      }
    })();
    const reporter = setInterval(() => {
      const last = samples[samples.length - 1];
      const mib = (kib: number | undefined) => (kib === undefined ? '?' : (kib / 1024).toFixed(1));
      progress(`HTTP ${counts.http} (${counts.http4xx} 4xx, ${counts.http5xx} 5xx), AMQP ${counts.amqp} (${counts.amqpErrors} errors), RSS ${mib(last?.rssKiB)} MiB, heap used ${mib(last?.heapUsedKiB)} of ${mib(last?.heapTotalKiB)} MiB`);
    }, 30_000);
    try {
      await Promise.all([...httpLoad, amqpLoad]);
    } finally {
      clearInterval(sampler);
      clearInterval(reporter);
      clearTimeout(warmSnapshot);
    }
    samples.push(await sample(base, pid));
    await snapshot('at the end');
    report(samples);
  } finally {
    await registry.stop();
    await redis.destroy();
  }
}

type Field = 'rssKiB' | 'brkKiB' | 'heapUsedKiB' | 'heapTotalKiB' | 'newSpaceKiB' | 'externalKiB';

/** The samples' values of `field` within [from, to] seconds, sorted. */
function within(samples: readonly Sample[], field: Field, from: number, to: number): number[] {
  return samples.filter((s) => s.t >= from && s.t <= to).map((s) => s[field]).sort((a, b) => a - b);
}

/**
 * RSS growth = median RSS of the last 30 s against the median of the 30 s after the warm-up. The
 * warm-up is the first quarter of the run (at least 30 s): V8 sizes its heap to the load during the
 * first minutes, which is not a leak; a leak keeps growing after it. Heap used is a saw-tooth (it
 * drops at every GC), so for it the report takes the lowest sample of each window, which follows
 * what survives the collections: a leak shows as a rising floor.
 */
function report(samples: readonly Sample[]): void {
  const start = samples[0]?.t ?? 0;
  const end = samples[samples.length - 1]?.t ?? 0;
  const warm = start + Math.min(Math.max(30, (end - start) / 4), (end - start) / 2);
  const window = Math.min(30, (end - warm) / 2);
  const median = (field: Field, from: number, to: number) => {
    const values = within(samples, field, from, to);
    return values[Math.floor(values.length / 2)] ?? 0;
  };
  const floor = (field: Field, from: number, to: number) => within(samples, field, from, to)[0] ?? 0;
  const baseline = median('rssKiB', warm, warm + window);
  const last = median('rssKiB', end - window, end);
  const peak = Math.max(...samples.map((s) => s.rssKiB));
  const growth = baseline === 0 ? 0 : ((last - baseline) / baseline) * 100;
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  process.stdout.write(`t_s\trss_mib\tmalloc_main_mib\theap_used_mib\theap_total_mib\tnew_space_mib\texternal_mib\n${samples
    .map((s) => `${s.t}\t${mib(s.rssKiB)}\t${mib(s.brkKiB)}\t${mib(s.heapUsedKiB)}\t${mib(s.heapTotalKiB)}\t${mib(s.newSpaceKiB)}\t${mib(s.externalKiB)}`).join('\n')}\n\n`);
  const span = (field: Field, pick: typeof median) => `${mib(pick(field, warm, warm + window))} → ${mib(pick(field, end - window, end))} MiB`;
  process.stdout.write([
    `soak: ${end - start} s, ${HTTP_WORKERS} HTTP workers, ${AMQP_IN_FLIGHT} AMQP requests in flight`,
    `requests: HTTP ${counts.http} (${counts.http4xx} 4xx as intended, ${counts.http5xx} 5xx${counts.snapshot503 > 0 ? `, ${counts.snapshot503} 503 while a heap snapshot paused the registry` : ''}), AMQP ${counts.amqp} (${counts.amqpErrors} errors)`,
    `RSS: first sample ${mib(samples[0]?.rssKiB ?? 0)} MiB, after warm-up (${Math.round(warm)}–${Math.round(warm + window)} s) ${mib(baseline)} MiB, last ${Math.round(window)} s ${mib(last)} MiB, peak ${mib(peak)} MiB`,
    `after warm-up → last ${Math.round(window)} s: heap used (lowest sample) ${span('heapUsedKiB', floor)}, heap total (median) ${span('heapTotalKiB', median)} of which new space ${span('newSpaceKiB', median)}, main malloc arena (median) ${span('brkKiB', median)}, external (median) ${span('externalKiB', median)}`,
    `RSS growth after warm-up: ${growth.toFixed(1)} % (target < 10 %)`,
    '',
  ].join('\n'));
}

main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
