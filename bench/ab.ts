/**
 * Paired A/B of registry builds: `make bench-ab A=dist-base/main.js [B=dist/main.js]`.
 *
 * The builds run at the same time, against the same Redis and data set, each under its own load
 * client: AMQP lookups (1 connection × 100 in flight) and HTTP reads (wrk). All builds share core 0
 * and the load clients and Redis share core 1, so the scheduler gives each build the same CPU time:
 * the ratio of their req/s is the inverse ratio of their CPU cost per request, measured under the
 * same noise. Each build's CPU per request (all its threads, from /proc/<pid>/task/<tid>/schedstat over
 * the window) is reported too: when the shared load client rather than core 0 limits the rate, the
 * req/s ratio tends to 1 and the CPU ratio still shows the difference. Run one after the other, two
 * builds differ by less than a shared VM's drift between runs (bench/README.md "Reading the
 * figures"). This compares builds; it does not measure the targets (make bench does).
 *
 * A build must be inside this checkout (its main.js resolves node_modules from here), e.g. the
 * build before a change: `make build && cp -r dist dist-base`, change, then `make bench-ab A=dist-base/main.js`.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { createLogger } from '../src/log.js';
import { createBcryptHasher } from '../src/service/password-hasher.js';
import { createTransferService } from '../src/service/transfer.js';
import { connectRedis, createRedisStore } from '../src/store/redis.js';
import { startTestRedis } from '../test/helpers/redis-server.js';
import { corkRheaWrites, runAmqpLoad } from './amqp-load.js';
import * as data from './dataset.js';
import { getRegistrationScript, runWrk } from './http-load.js';
import { lookupOps } from './operations.js';
import { pinProcess, startRegistryProcess, type RegistryChild } from './processes.js';
import { median, processRunMs } from './stats.js';

const DEVICES = 10_000;
const TENANTS = 100;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 1500);
const progress = (message: string) => process.stderr.write(`[bench-ab] ${message}\n`);

async function main(): Promise<void> {
  const mains = process.argv.slice(2).filter((m) => m !== '');
  if (mains.length < 2) throw new Error('usage: tsx bench/ab.ts <A main.js> <B main.js> [<C main.js> …]');
  for (const main of mains) if (!existsSync(main)) throw new Error(`${main} is missing`);
  if (cpus().length < 2 || !pinProcess(process.pid, `0-${cpus().length - 1}`)) throw new Error('bench-ab needs 2 cores and taskset');
  corkRheaWrites();
  const redis = await startTestRedis();
  const client = await connectRedis(redis.url, 30_000, createLogger('warn'));
  const store = createRedisStore(client);
  const registries: RegistryChild[] = [];
  try {
    const redisPid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]) || undefined;
    for (const main of mains) registries.push(await startRegistryProcess(redis.url, [], main));
    progress(`loading ${TENANTS} tenants and ${DEVICES} devices`);
    await data.loadTenants(store, TENANTS);
    await data.importDevices(createTransferService(store, { maxBcryptCost: 10, hasher: createBcryptHasher(10) }), 0, DEVICES);
    for (const r of registries) if (r.pid !== undefined) pinProcess(r.pid, '0');
    pinProcess(process.pid, '1');
    if (redisPid !== undefined) pinProcess(redisPid, '1');

    const labels = mains.map((_, k) => String.fromCharCode(65 + k));
    progress(`${labels.map((l, k) => `${l} = ${mains[k] as string}`).join(', ')}; ${ROUNDS} rounds of ${DURATION_MS} ms, all builds at once`);
    const ratios = new Map<string, number[]>();
    let recording = false;
    const keep = (key: string, value: number) => ratios.set(key, [...(ratios.get(key) ?? []), value]);
    /** One run of every build: req/s and CPU µs per request; ratios against A (> 1: cheaper than A). */
    const record = (what: string, rps: number[], cpuUs: number[]) => {
      if (!recording) return;
      const line = rps.map((v, k) => `${labels[k] as string} ${v.toFixed(0)}/s ${(cpuUs[k] as number).toFixed(1)}µs`).join('  ');
      const vs = rps.slice(1).map((v, k) => {
        const label = labels[k + 1] as string;
        const speed = v / (rps[0] as number);
        const cpu = (cpuUs[0] as number) / (cpuUs[k + 1] as number);
        keep(`${what} ${label}/A req/s`, speed);
        keep(`${what} ${label}/A cpu`, cpu);
        return `${label}/A req/s ${speed.toFixed(3)} cpu ${cpu.toFixed(3)}`;
      });
      process.stdout.write(`${what.padEnd(38)} ${line}   ${vs.join('  ')}\n`);
    };
    /** CPU µs per request of a build over a window: [start reading, end reading]. */
    const perRequest = (window: number[], requests: number) => (((window[1] as number) - (window[0] as number)) * 1000) / requests;
    const ops = lookupOps(TENANTS);
    const script = getRegistrationScript(DEVICES);
    // Round 0 warms the builds up (JIT) and is not recorded.
    for (let round = 0; round <= ROUNDS; round++) {
      recording = round > 0;
      if (recording) process.stdout.write(`round ${round}\n`);
      for (const op of ops) {
        const windows = registries.map(() => [] as number[]);
        const results = await Promise.all(
          registries.map((r, k) =>
            runAmqpLoad(
              { host: '127.0.0.1', port: r.amqpPort, username: r.username, password: r.password },
              {
                connections: 1, inFlight: 100, warmupMs: 250, durationMs: DURATION_MS, addresses: op.addresses, next: op.next(DEVICES),
                onWindow: () => (windows[k] as number[]).push(processRunMs(r.pid)),
              },
            ),
          ),
        );
        record(`AMQP ${op.name}`, results.map((x) => x.rps), results.map((x, k) => perRequest(windows[k] as number[], x.requests)));
      }
      const before = registries.map((r) => processRunMs(r.pid));
      const http = await Promise.all(registries.map((r) => runWrk(`http://127.0.0.1:${r.httpPort}`, script, 16, Math.max(1000, DURATION_MS))));
      // wrk's window is the whole run: the CPU of its connection set-up counts too, alike for every build.
      record('HTTP GET /registration/{t}/{d}', http.map((x) => x.rps), http.map((x, k) => perRequest([before[k] as number, processRunMs(registries[k]?.pid)], x.requests)));
    }
    process.stdout.write('\nmedian over rounds (req/s: B req/s ÷ A req/s; cpu: A CPU per request ÷ B CPU per request; > 1: B costs less):\n');
    for (const [what, values] of ratios) process.stdout.write(`${what.padEnd(50)} ${median(values).toFixed(3)}  [${Math.min(...values).toFixed(3)} – ${Math.max(...values).toFixed(3)}]\n`);
  } finally {
    for (const r of registries) await r.stop().catch(() => undefined);
    await store.close();
    await redis.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench-ab failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
