/**
 * A histogram for the hot paths. prom-client's Histogram hashes the label set on every
 * observation, even through a label child (about 1–2 µs); here a series is created once per label
 * set and an observation is a short bucket search and three additions. The exposition is built at
 * scrape time in prom-client's format, so the family sits in the same prom-client registry.
 */
import type { Registry } from 'prom-client';

/** One label set's bucket counts (not cumulative), sum and count. */
export class HistogramSeries {
  private readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    private readonly bounds: readonly number[],
    readonly labels: Readonly<Record<string, string>>,
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    if (i < bounds.length) this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count++;
  }

  /** Adds this series' bucket counts (not cumulative) to `into`. */
  addTo(into: number[]): void {
    this.counts.forEach((n, i) => (into[i] = (into[i] ?? 0) + n));
  }

  /** Cumulative count of observations ≤ bounds[i]. */
  cumulative(): number[] {
    let total = 0;
    return Array.from(this.counts, (n) => (total += n));
  }
}

/** A histogram's state at one moment, every label set added up. */
export interface HistogramTotals {
  readonly bounds: readonly number[];
  /** Observations per bucket (≤ bounds[i] and above the bound before). */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

interface Sample {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/** A histogram family registered in a prom-client registry; series are made with `series(...)`. */
export class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly all: HistogramSeries[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** A new series for these label values, in the order of labelNames. Keep it: each call makes another. */
  series(...values: string[]): HistogramSeries {
    const labels = Object.fromEntries(this.labelNames.map((name, i) => [name, values[i] ?? '']));
    const series = new HistogramSeries(this.bounds, labels);
    this.all.push(series);
    return series;
  }

  /** prom-client's metric object: `_bucket` per bound and +Inf, `_sum`, `_count` per series. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    for (const series of this.all) {
      const cumulative = series.cumulative();
      this.bounds.forEach((le, i) => values.push({ metricName: `${this.name}_bucket`, labels: { ...series.labels, le }, value: cumulative[i] as number }));
      values.push({ metricName: `${this.name}_bucket`, labels: { ...series.labels, le: '+Inf' }, value: series.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...series.labels }, value: series.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...series.labels }, value: series.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Every series added up: bucket counts (not cumulative; observations above the last bound only in `count`), sum and count. */
  totals(): HistogramTotals {
    const counts = new Array<number>(this.bounds.length).fill(0);
    let sum = 0;
    let count = 0;
    for (const series of this.all) {
      series.addTo(counts);
      sum += series.sum;
      count += series.count;
    }
    return { bounds: this.bounds, counts, sum, count };
  }

  reset(): void {
    this.all.length = 0;
  }
}
