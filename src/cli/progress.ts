/**
 * Progress of long imports and exports: on a terminal a bar with rate and ETA redrawn in place;
 * elsewhere (pipes, CI logs, `docker logs`) a plain line every PROGRESS_LINE_MS, so that a long run
 * shows it is alive without filling the log. The command prints one summary line at the end.
 */
import type { WriteStream } from 'node:tty';

export interface Progress {
  /** `done` items so far; `fraction` (0–1) when the total is known. */
  update(done: number, fraction: number | undefined): void;
  /** Clears the bar. */
  done(): void;
}

const WIDTH = 24;
const REDRAW_MS = 200;
/** How often a progress line is written when the stream is not a terminal. */
export const PROGRESS_LINE_MS = 10_000;

export interface ProgressOptions {
  /** Milliseconds between progress lines off a terminal (default PROGRESS_LINE_MS). */
  readonly lineEveryMs?: number;
  /** The clock, in milliseconds (default performance.now). */
  readonly now?: () => number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const mmss = `${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(s % 60).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

/** The figures both forms show: the count with its rate, and the fraction with the time left. */
function figures(label: string, done: number, fraction: number | undefined, seconds: number): { count: string; f?: number; eta?: string } {
  const rate = seconds > 0 ? done / seconds : 0;
  const count = `${done.toLocaleString('en-US')} ${label}  ${Math.round(rate).toLocaleString('en-US')}/s`;
  if (fraction === undefined) return { count };
  const f = Math.min(1, Math.max(0, fraction));
  return { count, f, eta: formatDuration(f > 0 ? (seconds * (1 - f)) / f : NaN) };
}

/** One line of the bar: `[#####-----]  45.0%  450,000 devices  21,345/s  ETA 0:26`. */
export function renderBar(label: string, done: number, fraction: number | undefined, seconds: number): string {
  const { count, f, eta } = figures(label, done, fraction, seconds);
  if (f === undefined) return `${count}  ${formatDuration(seconds)} elapsed`;
  const filled = Math.round(f * WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(f * 100).toFixed(1).padStart(5)}%  ${count}  ETA ${eta}`;
}

/** One progress line for a log: `progress: 45.0%  450,000 devices  21,345/s  ETA 0:26`. */
export function renderLine(label: string, done: number, fraction: number | undefined, seconds: number): string {
  const { count, f, eta } = figures(label, done, fraction, seconds);
  return f === undefined ? `progress: ${count}  ${formatDuration(seconds)} elapsed` : `progress: ${(f * 100).toFixed(1)}%  ${count}  ETA ${eta}`;
}

/** A bar redrawn in place on a terminal (at most every REDRAW_MS), else a line every `lineEveryMs`. */
export function createProgress(stream: NodeJS.WriteStream, label: string, options: ProgressOptions = {}): Progress {
  const now = options.now ?? (() => performance.now());
  const tty = (stream as WriteStream).isTTY === true;
  const every = tty ? REDRAW_MS : (options.lineEveryMs ?? PROGRESS_LINE_MS);
  const started = now();
  // A terminal shows the bar at once; a log gets its first line only once a run takes a while.
  let last = tty ? -Infinity : started;
  return {
    update(done, fraction) {
      const at = now();
      if (at - last < every) return;
      last = at;
      const seconds = (at - started) / 1000;
      stream.write(tty ? `\r${renderBar(label, done, fraction, seconds)}\u001b[K` : `${renderLine(label, done, fraction, seconds)}\n`);
    },
    done: () => void (tty && stream.write('\r\u001b[K')),
  };
}
