/**
 * Benchmark options, from the environment:
 *
 * | variable                 | full run                 | BENCH_SMOKE=1 | meaning                                              |
 * |--------------------------|--------------------------|---------------|------------------------------------------------------|
 * | BENCH_SCALES             | 10000,100000,1000000     | 1000,3000     | device counts of the scale steps (first = base set)  |
 * | BENCH_REQUESTS           | 20000                    | 1000          | recorded requests of a run under load (AMQP, HTTP)   |
 * | BENCH_PRIME              | 5000                     | 300           | unrecorded requests before them (same connections)   |
 * | BENCH_HTTP_REQUESTS      | 10000                    | 500           | recorded requests of an HTTP run (after BENCH_PRIME) |
 * | BENCH_SINGLE_REQUESTS    | 2000                     | 100           | recorded requests of a run of one at a time          |
 * | BENCH_SINGLE_PRIME       | 300                      | 30            | unrecorded requests before them                      |
 * | BENCH_ROUNDS             | 3                        | 1             | alternating registry/floor rounds (medians)          |
 * | BENCH_SCALE_ROUNDS       | 3                        | 1             | rounds of the lookups at the largest scale step      |
 * | BENCH_CONNECTIONS        | 4                        | 2             | the "several connections" of the AMQP runs           |
 * | BENCH_IN_FLIGHT          | 100                      | 100           | requests in flight of the loaded AMQP runs           |
 * | BENCH_HTTP_CONNECTIONS   | 32                       | 8             | keep-alive connections of the HTTP runs              |
 * | BENCH_TENANTS            | 1000                     | 50            | tenants (tenant `get` draws from all)                |
 * | BENCH_LOAD_CONCURRENCY   | 512                      | 128           | devices in flight while loading                      |
 * | BENCH_LOAD_METHOD        | auto                     | auto          | auto (= import), import, separate or provision       |
 * | BENCH_BUDGET_S           | 420                      | 45            | scale steps that would end later are skipped         |
 * | BENCH_SEARCH_DEVICES     | 100000                   | 2000          | devices of the one tenant the /v1 searches page      |
 * | BENCH_PIN                | auto                     | auto          | runs under load with the server under test on core 0, the load client and Redis on core 1: auto (2+ cores and taskset works), on, off |
 * | BENCH_PROFILE            | (unset)                  | (unset)       | directory: run the registry with --cpu-prof there    |
 * | BENCH_REGISTRY_MAIN      | dist/main.js             | dist/main.js  | the registry build to measure (A/B of a change)      |
 * | BENCH_OUT                | bench/results.json       | bench/results-smoke.json | where the JSON goes (the markdown: same name, .md) |
 */
import { fileURLToPath } from 'node:url';

export type MethodChoice = 'auto' | 'import' | 'separate' | 'provision';

export interface BenchOptions {
  readonly smoke: boolean;
  readonly scales: readonly number[];
  readonly requests: number;
  readonly prime: number;
  readonly httpRequests: number;
  readonly singleRequests: number;
  readonly singlePrime: number;
  readonly rounds: number;
  readonly scaleRounds: number;
  readonly connections: number;
  readonly inFlight: number;
  readonly httpConnections: number;
  readonly tenants: number;
  readonly loadConcurrency: number;
  readonly loadMethod: MethodChoice;
  readonly budgetS: number;
  readonly searchDevices: number;
  readonly pin: 'auto' | 'on' | 'off';
  readonly profileDir: string | undefined;
  readonly registryMain: string | undefined;
  readonly out: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function int(env: Env, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < min) throw new Error(`${name}=${raw} must be a whole number ≥ ${min}`);
  return value;
}

/** The `make bench` options from the environment (table above); throws on an invalid value. */
export function readOptions(env: Env): BenchOptions {
  const smoke = env.BENCH_SMOKE === '1' || env.BENCH_SMOKE === 'true';
  const scalesRaw = env.BENCH_SCALES ?? (smoke ? '1000,3000' : '10000,100000,1000000');
  const scales = scalesRaw.split(',').map((s) => Number(s.trim().replace(/_/g, '').replace(/k$/i, '000').replace(/m$/i, '000000')));
  if (scales.length === 0 || scales.some((n, i) => !Number.isInteger(n) || n < 100 || (i > 0 && n <= (scales[i - 1] as number)))) {
    throw new Error(`BENCH_SCALES=${scalesRaw} must be increasing whole numbers ≥ 100, e.g. 10000,100000,1000000`);
  }
  const method = env.BENCH_LOAD_METHOD ?? 'auto';
  if (method !== 'auto' && method !== 'import' && method !== 'separate' && method !== 'provision') throw new Error(`BENCH_LOAD_METHOD=${method} must be auto, import, separate or provision`);
  const pin = env.BENCH_PIN ?? 'auto';
  if (pin !== 'auto' && pin !== 'on' && pin !== 'off') throw new Error(`BENCH_PIN=${pin} must be auto, on or off`);
  const defaultOut = fileURLToPath(new URL(smoke ? './results-smoke.json' : './results.json', import.meta.url));
  return {
    smoke,
    scales,
    requests: int(env, 'BENCH_REQUESTS', smoke ? 1000 : 20_000, 100),
    prime: int(env, 'BENCH_PRIME', smoke ? 300 : 5000, 0),
    httpRequests: int(env, 'BENCH_HTTP_REQUESTS', smoke ? 500 : 10_000, 100),
    singleRequests: int(env, 'BENCH_SINGLE_REQUESTS', smoke ? 100 : 2000, 10),
    singlePrime: int(env, 'BENCH_SINGLE_PRIME', smoke ? 30 : 300, 0),
    rounds: int(env, 'BENCH_ROUNDS', smoke ? 1 : 3),
    scaleRounds: int(env, 'BENCH_SCALE_ROUNDS', smoke ? 1 : 3),
    connections: int(env, 'BENCH_CONNECTIONS', smoke ? 2 : 4, 2),
    inFlight: int(env, 'BENCH_IN_FLIGHT', 100),
    httpConnections: int(env, 'BENCH_HTTP_CONNECTIONS', smoke ? 8 : 32),
    tenants: int(env, 'BENCH_TENANTS', smoke ? 50 : 1000, 10),
    loadConcurrency: int(env, 'BENCH_LOAD_CONCURRENCY', smoke ? 128 : 512),
    loadMethod: method,
    budgetS: int(env, 'BENCH_BUDGET_S', smoke ? 45 : 420),
    searchDevices: int(env, 'BENCH_SEARCH_DEVICES', smoke ? 2000 : 100_000, 1000),
    pin,
    profileDir: env.BENCH_PROFILE === undefined || env.BENCH_PROFILE === '' ? undefined : env.BENCH_PROFILE,
    registryMain: env.BENCH_REGISTRY_MAIN === undefined || env.BENCH_REGISTRY_MAIN === '' ? undefined : env.BENCH_REGISTRY_MAIN,
    out: env.BENCH_OUT ?? defaultOut,
  };
}

/**
 * `make bench-peer` (bench/peer.ts): the counts, rounds, connections, tenants and CPU layout of
 * `make bench` above, and:
 *
 * | variable              | full run                 | BENCH_SMOKE=1 | meaning                                                  |
 * |-----------------------|--------------------------|---------------|----------------------------------------------------------|
 * | BENCH_PEER_DEVICES    | 10000                    | 500           | devices (each with one hashed-password credential)       |
 * | BENCH_PEER_WARMUP     | 20000                    | 200           | requests per lookup and registry before measuring (JIT)  |
 * | BENCH_PEER_INSTANCES  | 1                        | 1             | Hono's hono.app.maxInstances (its example deployment: 1) |
 * | BENCH_PEER_JAVA_OPTS  | (none: the JVM's defaults) | (none)      | options of Hono's JVMs, e.g. -Xmx512m                    |
 * | BENCH_OUT             | bench/peer-results.json  | bench/peer-results-smoke.json | the JSON (the markdown: same name, .md)  |
 */
export interface PeerOptions extends BenchOptions {
  readonly devices: number;
  readonly warmup: number;
  readonly instances: number;
  readonly javaOptions: readonly string[];
}

/** The `make bench-peer` options from the environment; throws on an invalid value. */
export function readPeerOptions(env: Env): PeerOptions {
  const o = readOptions(env);
  const out = env.BENCH_OUT ?? fileURLToPath(new URL(o.smoke ? './peer-results-smoke.json' : './peer-results.json', import.meta.url));
  return {
    ...o,
    out,
    devices: int(env, 'BENCH_PEER_DEVICES', o.smoke ? 500 : 10_000, 100),
    warmup: int(env, 'BENCH_PEER_WARMUP', o.smoke ? 200 : 20_000, 0),
    instances: int(env, 'BENCH_PEER_INSTANCES', 1),
    javaOptions: (env.BENCH_PEER_JAVA_OPTS ?? '').split(/\s+/).filter((a) => a !== ''),
  };
}
