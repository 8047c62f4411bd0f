/**
 * Small statistics helpers: latency samples → percentiles, medians over rounds, CPU time and resident
 * memory of a process (/proc).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** What one load run (AMQP client or wrk) measured; latencies in ms. */
export interface LoadFigures {
  readonly requests: number;
  readonly durationMs: number;
  readonly rps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
  /** Answers other than the expected ones, rejections, socket errors and timeouts. */
  readonly errors: number;
}

/** A growable array of latency samples in milliseconds. */
export class Samples {
  private data = new Float64Array(1 << 14);
  private size = 0;

  add(ms: number): void {
    if (this.size === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.size++] = ms;
  }

  get count(): number {
    return this.size;
  }

  clear(): void {
    this.size = 0;
  }

  /** Percentiles (0–100) of the samples, nearest-rank; NaN when there are none. */
  percentiles(...ps: number[]): number[] {
    if (this.size === 0) return ps.map(() => NaN);
    const sorted = this.data.slice(0, this.size).sort();
    return ps.map((p) => sorted[Math.min(this.size - 1, Math.max(0, Math.ceil((p / 100) * this.size) - 1))] as number);
  }

  mean(): number {
    let sum = 0;
    for (let i = 0; i < this.size; i++) sum += this.data[i] as number;
    return this.size === 0 ? NaN : sum / this.size;
  }
}

/** The median of the finite values (NaN when there is none). */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? (finite[mid] as number) : ((finite[mid - 1] as number) + (finite[mid] as number)) / 2;
}

/** CPU time (user + system, ms) a Linux process has used so far, or NaN when it cannot be read. */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/**
 * CPU time (ms, nanosecond resolution) of all threads of a Linux process so far, from
 * /proc/<pid>/task/<tid>/schedstat (the JIT and GC threads included), or NaN when it cannot be read.
 * Finer than processCpuMs's 10 ms ticks, for short windows.
 */
export function processRunMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // A thread that ended since the listing.
      }
    }
    return ns / 1e6;
  } catch {
    return NaN;
  }
}

/** CPU time (ms) of this process so far. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Resident memory (VmRSS, KiB) of a Linux process, or NaN when it cannot be read. */
export function residentKiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}
