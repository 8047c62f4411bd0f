/**
 * How a subject is measured, for `make bench` and `make bench-peer` alike:
 * - a run is a fixed number of requests after a fixed number of priming requests (recorder.ts);
 * - around its window, the CPU time (user + system, /proc/<pid>/stat) of the server under test,
 *   of Redis and of the load client is read: CPU per request of every process, which varies far
 *   less than req/s on a shared host;
 * - rounds alternate the subjects: the floors first in even rounds and last in odd ones, so drift
 *   of the host during a phase falls on both sides alike;
 * - a subject's figure is the median over the rounds, and a ratio between two subjects is the
 *   median of the per-round ratios (the two runs of one round are minutes closer than any medians).
 */
import { median, ownCpuMs, processCpuMs } from './stats.js';
import type { LoadResult } from './recorder.js';

/** CPU per request in µs of the server under test, Redis and the load client. */
export interface CpuUs {
  readonly server: number;
  readonly redis: number;
  readonly client: number;
}

/** One measured run. */
export interface Run {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly errors: number;
  readonly cpuUs: CpuUs;
  readonly statuses?: Readonly<Record<string, number>>;
}

/** Medians over the rounds of one subject, and the rounds themselves. */
export interface Summary {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly cpuUs: CpuUs;
  readonly rounds: readonly Run[];
}

/** The processes whose CPU a run reads: the server under test and Redis (undefined: none/not read). */
export interface Processes {
  readonly server: number | undefined;
  readonly redis?: number | undefined;
}

/**
 * CPU counters around a window: `onWindow` reads them at its edges (pass it to the load client),
 * `toRun` turns a client's result into a Run with the CPU per request of each process.
 */
export function cpuMeter(processes: Processes): { onWindow(edge: 'start' | 'end'): void; toRun(result: LoadResult): Run } {
  const used = { server: 0, redis: 0, client: 0 };
  const read = () => ({ server: processCpuMs(processes.server), redis: processCpuMs(processes.redis), client: ownCpuMs() });
  let start = read();
  return {
    onWindow(edge) {
      const now = read();
      if (edge === 'start') start = now;
      else for (const k of ['server', 'redis', 'client'] as const) used[k] = now[k] - start[k];
    },
    toRun(result) {
      const per = (ms: number) => (result.requests > 0 ? (ms * 1000) / result.requests : NaN);
      const { rps, p50, p99, requests, errors, statuses } = result;
      return { rps, p50, p99, requests, errors, statuses, cpuUs: { server: per(used.server), redis: per(used.redis), client: per(used.client) } };
    },
  };
}

export function summarise(runs: readonly Run[]): Summary {
  const of = (pick: (r: Run) => number) => median(runs.map(pick));
  return {
    rps: of((r) => r.rps),
    p50: of((r) => r.p50),
    p99: of((r) => r.p99),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    cpuUs: { server: of((r) => r.cpuUs.server), redis: of((r) => r.cpuUs.redis), client: of((r) => r.cpuUs.client) },
    rounds: runs,
  };
}

/** The median over the rounds of `pick(a) / pickB(b)` (runs of the same round paired). */
export function pairedRatio(a: Summary, b: Summary, pick: (r: Run) => number, pickB: (r: Run) => number = pick): number {
  return median(a.rounds.map((run, i) => {
    const other = b.rounds[i];
    return other === undefined ? NaN : pick(run) / pickB(other);
  }));
}

export const byRps = (r: Run): number => r.rps;
export const byP50 = (r: Run): number => r.p50;
export const byP99 = (r: Run): number => r.p99;
export const byServerCpu = (r: Run): number => r.cpuUs.server;

/**
 * Runs `rounds` rounds over the floors and the subjects: floors first in even rounds, last (in
 * reverse order) in odd ones. Returns the summaries of the floors and of the subjects, in order.
 */
export async function alternate(rounds: number, floors: readonly (() => Promise<Run>)[], subjects: readonly (() => Promise<Run>)[]): Promise<{ floors: Summary[]; subjects: Summary[] }> {
  const floorRuns: Run[][] = floors.map(() => []);
  const subjectRuns: Run[][] = subjects.map(() => []);
  const runAll = async (list: readonly (() => Promise<Run>)[], into: Run[][], reverse: boolean) => {
    const order = list.map((_, i) => i);
    if (reverse) order.reverse();
    for (const i of order) into[i]?.push(await (list[i] as () => Promise<Run>)());
  };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) await runAll(floors, floorRuns, false);
    await runAll(subjects, subjectRuns, r % 2 === 1);
    if (r % 2 === 1) await runAll(floors, floorRuns, true);
  }
  return { floors: floorRuns.map(summarise), subjects: subjectRuns.map(summarise) };
}
