/**
 * The measuring window of a closed-loop load client (bench/amqp-load.ts, bench/http-client.ts).
 *
 * Two kinds of window:
 * - counted (`make bench`, `make bench-peer`): the first `prime` answers are not recorded (JIT,
 *   connection and cache warm-up); the window opens with the next answer and closes after exactly
 *   `requests` recorded answers. Every run of a subject costs the same number of requests, however
 *   fast or slow the moment is, so a slow moment cannot shorten a run into noise.
 * - timed (`make bench-ab`, `make soak`: builds loaded at the same time): the client opens and
 *   closes the window by its own timers.
 * The window's edges call `onWindow` synchronously, e.g. to read the CPU counters of the processes.
 */
import { Samples, type LoadFigures } from './stats.js';

/** A counted window: `prime` answers unrecorded, then exactly `requests` recorded. */
export interface CountedWindow {
  readonly prime: number;
  readonly requests: number;
}

/** What a run measured, with the statuses of the recorded answers. */
export interface LoadResult extends LoadFigures {
  readonly statuses: Readonly<Record<string, number>>;
}

export class Recorder {
  private readonly samples = new Samples();
  private readonly statuses: Record<string, number> = {};
  private answered = 0;
  private recorded = 0;
  private errors = 0;
  private openedAt = 0;
  private closedAt = 0;
  private state: 'priming' | 'open' | 'closed' = 'priming';
  private closedListener: (() => void) | undefined;
  /** Resolves when the window has closed. */
  readonly closed: Promise<void>;

  constructor(
    private readonly counted: CountedWindow | undefined,
    private readonly expectStatus: string,
    private readonly onWindow?: (edge: 'start' | 'end') => void,
  ) {
    this.closed = new Promise((resolve) => (this.closedListener = resolve));
    if (counted !== undefined && counted.prime === 0) this.open();
  }

  /** Whether the client should send further requests. */
  get sending(): boolean {
    return this.state !== 'closed';
  }

  get measuring(): boolean {
    return this.state === 'open';
  }

  /** Opens the window (timed windows; counted ones open by themselves). */
  open(): void {
    if (this.state !== 'priming') return;
    this.onWindow?.('start');
    this.openedAt = performance.now();
    this.state = 'open';
  }

  /** Closes the window (timed windows; counted ones close by themselves). */
  close(): void {
    if (this.state === 'closed') return;
    if (this.state === 'priming') this.openedAt = performance.now();
    this.closedAt = performance.now();
    this.onWindow?.('end');
    this.state = 'closed';
    this.closedListener?.();
  }

  /** One answer (or failure) of a request sent at `startedAt` (performance.now()). */
  answer(startedAt: number, status: string): void {
    this.answered++;
    if (this.state === 'open') {
      this.samples.add(performance.now() - startedAt);
      this.recorded++;
      this.statuses[status] = (this.statuses[status] ?? 0) + 1;
      if (status !== this.expectStatus) this.errors++;
      if (this.counted !== undefined && this.recorded >= this.counted.requests) this.close();
    } else if (this.state === 'priming' && this.counted !== undefined && this.answered >= this.counted.prime) {
      this.open();
    }
  }

  /** The figures of the window. */
  result(): LoadResult {
    const durationMs = this.closedAt - this.openedAt;
    const [p50, p90, p99, max] = this.samples.percentiles(50, 90, 99, 100) as [number, number, number, number];
    return { requests: this.recorded, durationMs, rps: (this.recorded * 1000) / durationMs, p50, p90, p99, max, mean: this.samples.mean(), errors: this.errors, statuses: { ...this.statuses } };
  }
}
