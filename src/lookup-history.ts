/**
 * The recent history of the adapters' lookups for the console's overview (docs/console.md): every
 * few seconds the AMQP request histogram is read, and what happened since the sample before (how
 * many answers per second, their median and 99th percentile latency) goes into a ring buffer. The
 * history is this instance's: each registry process samples its own requests.
 */
import type { HistogramTotals } from './metrics-histogram.js';

export interface LookupSample {
  /** End of the interval. */
  readonly time: string;
  readonly 'per-second': number;
  /** Latency quantiles in milliseconds, estimated from the histogram's buckets; null without lookups. */
  readonly 'p50-ms': number | null;
  readonly 'p99-ms': number | null;
}

export interface LookupHistory {
  readonly intervalSeconds: number;
  /** Oldest first. */
  samples(): LookupSample[];
  stop(): void;
}

/** Samples kept: 15 minutes at the default interval of 5 s. */
export const KEPT_SAMPLES = 180;

/**
 * The q-quantile (0–1) of observations counted per bucket, interpolated linearly within its bucket
 * as Prometheus' histogram_quantile does; observations above the last bound count as the last
 * bound. Null when there are none.
 */
export function quantile(bounds: readonly number[], counts: readonly number[], total: number, q: number): number | null {
  if (total <= 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const n = counts[i] ?? 0;
    if (n > 0 && below + n >= rank) {
      const lower = i === 0 ? 0 : (bounds[i - 1] as number);
      return lower + ((bounds[i] as number) - lower) * ((rank - below) / n);
    }
    below += n;
  }
  return bounds[bounds.length - 1] ?? null;
}

/** What happened between two readings of the histogram, as a sample. */
export function sampleBetween(before: HistogramTotals, after: HistogramTotals, seconds: number, at: Date): LookupSample {
  const counts = after.counts.map((n, i) => n - (before.counts[i] ?? 0));
  const total = after.count - before.count;
  const ms = (q: number) => {
    const value = quantile(after.bounds, counts, total, q);
    return value === null ? null : Math.round(value * 1e6) / 1e3;
  };
  return { time: at.toISOString(), 'per-second': Math.round((total / seconds) * 100) / 100, 'p50-ms': ms(0.5), 'p99-ms': ms(0.99) };
}

/** Starts sampling `read()` every `intervalSeconds`; the timer never keeps the process alive. */
export function startLookupHistory(read: () => HistogramTotals, intervalSeconds: number, now: () => number = Date.now): LookupHistory {
  const kept: LookupSample[] = [];
  let last = read();
  let lastAt = now();
  const timer = setInterval(() => {
    const current = read();
    const at = now();
    kept.push(sampleBetween(last, current, Math.max(0.001, (at - lastAt) / 1000), new Date(at)));
    if (kept.length > KEPT_SAMPLES) kept.shift();
    last = current;
    lastAt = at;
  }, intervalSeconds * 1000);
  timer.unref();
  return { intervalSeconds, samples: () => [...kept], stop: () => clearInterval(timer) };
}
