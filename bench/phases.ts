/**
 * The measuring phases of `make bench`: AMQP lookups against the two AMQP floors, HTTP routes
 * against the Koa floor, and the lookups of a scale step. Methodology: measure.ts.
 */
import { runAmqpLoad } from './amqp-load.js';
import { runHttpLoad } from './http-client.js';
import { answers, addCredentials, legacyDeviceRead, registerDevice, v1DeviceRead, type HttpRoute } from './http-requests.js';
import { alternate, byP50, byP99, byRps, byServerCpu, cpuMeter, pairedRatio, type Run, type Summary } from './measure.js';
import { floorOp, lookupOps, type AmqpOp } from './operations.js';
import type { BenchOptions } from './options.js';
import type { Child, RegistryChild } from './processes.js';
import type { AmqpFloorRow, AmqpRow, HttpRow } from './report.js';

/** The processes a phase drives. */
export interface Env {
  readonly o: BenchOptions;
  readonly redisPid: number | undefined;
  readonly registry: RegistryChild;
  /** The bare rhea echo server and the same doing one Redis GET per request. */
  readonly echo: Child & { readonly port: number };
  readonly echoGet: Child & { readonly port: number };
  readonly koa: Child & { readonly port: number };
  /** Switches the CPU layout (BENCH_PIN): 'pinned' for runs under load, 'free' for single requests and loading. */
  readonly layout: (mode: 'pinned' | 'free') => void;
  readonly progress: (message: string) => void;
}

/** Who answers an AMQP run. */
export type AmqpServer = 'registry' | 'echo' | 'echoGet';

/** Targets of the issue (see docs/performance.md). */
export const TARGET = { rpsVsEcho: 0.8, cpuVsEchoGet: 1.15, p50VsEchoGet: 1.1, httpReadVsFloor: 0.8, scaleRps: 0.8, scaleCpu: 1.2 } as const;

/** One counted AMQP run of `op` against `server`. */
export async function amqpRun(env: Env, op: AmqpOp, server: AmqpServer, connections: number, inFlight: number, devices: number): Promise<Run> {
  const child = server === 'registry' ? env.registry : server === 'echo' ? env.echo : env.echoGet;
  const port = server === 'registry' ? env.registry.amqpPort : (child as Child & { port: number }).port;
  const meter = cpuMeter({ server: child.pid, redis: server === 'echo' ? undefined : env.redisPid });
  const single = inFlight === 1;
  const window = single ? { prime: env.o.singlePrime, requests: env.o.singleRequests } : { prime: env.o.prime, requests: env.o.requests };
  const result = await runAmqpLoad(
    { host: '127.0.0.1', port, username: env.registry.username, password: env.registry.password },
    { connections, inFlight, window, addresses: op.addresses, next: op.next(devices), onWindow: meter.onWindow },
  );
  return meter.toRun(result);
}

/** The rows of one concurrency: per round the two floors and the four lookups, alternating. */
async function amqpConcurrency(env: Env, ops: readonly AmqpOp[], connections: number, inFlight: number, devices: number, rounds: number): Promise<{ rows: AmqpRow[]; floors: AmqpFloorRow }> {
  const floor = floorOp(ops);
  const { floors, subjects } = await alternate(
    rounds,
    [() => amqpRun(env, floor, 'echo', connections, inFlight, devices), () => amqpRun(env, floor, 'echoGet', connections, inFlight, devices)],
    ops.map((op) => () => amqpRun(env, op, 'registry', connections, inFlight, devices)),
  );
  const [echo, echoGet] = floors as [Summary, Summary];
  const single = inFlight === 1;
  const rows = ops.map((op, i): AmqpRow => {
    const registry = subjects[i] as Summary;
    const row = {
      op: op.name, connections, inFlight, registry,
      rpsVsEcho: pairedRatio(registry, echo, byRps),
      rpsVsEchoGet: pairedRatio(registry, echoGet, byRps),
      cpuVsEchoGet: pairedRatio(registry, echoGet, byServerCpu),
      p50VsEchoGet: pairedRatio(registry, echoGet, byP50),
    };
    return single
      ? { ...row, target: `p50 ≤ ${TARGET.p50VsEchoGet}× echo+GET`, met: row.p50VsEchoGet <= TARGET.p50VsEchoGet }
      : { ...row, target: `req/s ≥ ${TARGET.rpsVsEcho}× echo, CPU ≤ ${TARGET.cpuVsEchoGet}× echo+GET`, met: row.rpsVsEcho >= TARGET.rpsVsEcho && row.cpuVsEchoGet <= TARGET.cpuVsEchoGet };
  });
  return { rows, floors: { connections, inFlight, echo, echoGet, rpsRatio: pairedRatio(echoGet, echo, byRps) } };
}

/** AMQP: one request at a time, then BENCH_IN_FLIGHT over one and over BENCH_CONNECTIONS connections. */
export async function amqpPhase(env: Env, devices: number): Promise<{ rows: AmqpRow[]; floors: AmqpFloorRow[] }> {
  const ops = lookupOps(env.o.tenants);
  // Warm-up (JIT) one request at a time: a burst of full load right before the single-request runs
  // makes their latencies worse on VMs for many seconds afterwards.
  env.progress('AMQP warm-up');
  env.layout('free');
  for (const op of ops) await amqpRun(env, op, 'registry', 1, 1, devices);
  for (const server of ['echo', 'echoGet'] as const) await amqpRun(env, floorOp(ops), server, 1, 1, devices);
  const rows: AmqpRow[] = [];
  const floors: AmqpFloorRow[] = [];
  for (const [connections, inFlight] of [[1, 1], [1, env.o.inFlight], [env.o.connections, env.o.inFlight]] as const) {
    env.progress(`AMQP ${connections} connection(s) × ${inFlight} in flight, ${env.o.rounds} round(s)`);
    env.layout(inFlight === 1 ? 'free' : 'pinned');
    const result = await amqpConcurrency(env, ops, connections, inFlight, devices, env.o.rounds);
    rows.push(...result.rows);
    floors.push(result.floors);
  }
  return { rows, floors };
}

/** One counted HTTP run of `route` against the registry (or the Koa floor). */
async function httpRun(env: Env, route: HttpRoute, floor: boolean, devices: number): Promise<Run> {
  const meter = cpuMeter({ server: floor ? env.koa.pid : env.registry.pid, redis: env.redisPid });
  const result = await runHttpLoad('127.0.0.1', floor ? env.koa.port : env.registry.httpPort, {
    connections: env.o.httpConnections,
    window: { prime: env.o.prime, requests: env.o.httpRequests },
    next: route.next(devices),
    expect: route.expect,
    onWindow: meter.onWindow,
  });
  return meter.toRun(result);
}

/** HTTP: the reads (legacy, and /v1 once the registry answers it) and two writes, against the Koa + GET floor. */
export async function httpPhase(env: Env, devices: number): Promise<{ floor: Summary; rows: HttpRow[] }> {
  const base = `http://127.0.0.1:${env.registry.httpPort}`;
  const routes = [legacyDeviceRead, ...((await answers(base, v1DeviceRead, devices)) ? [v1DeviceRead] : []), registerDevice, addCredentials];
  env.layout('pinned');
  env.progress(`HTTP ${routes.map((r) => r.route).join(', ')}: ${env.o.rounds} round(s)`);
  const { floors, subjects } = await alternate(env.o.rounds, [() => httpRun(env, legacyDeviceRead, true, devices)], routes.map((r) => () => httpRun(env, r, false, devices)));
  const floor = floors[0] as Summary;
  const rows = routes.map((r, i): HttpRow => {
    const registry = subjects[i] as Summary;
    const rpsVsFloor = pairedRatio(registry, floor, byRps);
    const target = r.read ? `req/s ≥ ${TARGET.httpReadVsFloor}× floor` : '(no target)';
    return { route: r.route, registry, rpsVsFloor, cpuVsFloor: pairedRatio(registry, floor, byServerCpu), target, met: r.read ? rpsVsFloor >= TARGET.httpReadVsFloor : undefined };
  });
  return { floor, rows };
}

/** The lookups of a scale step: per round the echo + GET floor and the four lookups, loaded (1 × BENCH_IN_FLIGHT) and one at a time. */
export async function scaleLookups(env: Env, devices: number): Promise<{ op: string; loaded: Summary; single: Summary; floorLoaded: Summary; floorSingle: Summary }[]> {
  const ops = lookupOps(env.o.tenants);
  const floor = floorOp(ops);
  const measure = (inFlight: number) =>
    alternate(env.o.scaleRounds, [() => amqpRun(env, floor, 'echoGet', 1, inFlight, devices)], ops.map((op) => () => amqpRun(env, op, 'registry', 1, inFlight, devices)));
  env.layout('free');
  const single = await measure(1);
  env.layout('pinned');
  const loaded = await measure(env.o.inFlight);
  return ops.map((op, i) => ({
    op: op.name,
    loaded: loaded.subjects[i] as Summary,
    single: single.subjects[i] as Summary,
    floorLoaded: loaded.floors[0] as Summary,
    floorSingle: single.floors[0] as Summary,
  }));
}

/** Registry ÷ floor of a summary pair, by the paired ratio of `pick`. */
export const vsFloor = (registry: Summary, floor: Summary, pick: 'rps' | 'p99'): number => pairedRatio(registry, floor, pick === 'rps' ? byRps : byP99);
