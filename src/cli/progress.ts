/**
 * A progress bar with rate and ETA for long imports and exports, on a terminal only; elsewhere
 * (pipes, CI logs) it stays silent and the command prints one summary line at the end.
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

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const mmss = `${String(m).padStart(h > 0 ? 2 : 1, '0')}:${String(s % 60).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

/** One line of the bar: `[#####-----]  45.0%  450,000 devices  21,345/s  ETA 0:26`. */
export function renderBar(label: string, done: number, fraction: number | undefined, seconds: number): string {
  const rate = seconds > 0 ? done / seconds : 0;
  const count = `${done.toLocaleString('en-US')} ${label}  ${Math.round(rate).toLocaleString('en-US')}/s`;
  if (fraction === undefined) return `${count}  ${formatDuration(seconds)} elapsed`;
  const f = Math.min(1, Math.max(0, fraction));
  const filled = Math.round(f * WIDTH);
  const eta = f > 0 ? (seconds * (1 - f)) / f : NaN;
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(f * 100).toFixed(1).padStart(5)}%  ${count}  ETA ${formatDuration(eta)}`;
}

export function createProgress(stream: NodeJS.WriteStream, label: string): Progress {
  if (!(stream as WriteStream).isTTY) return { update: () => undefined, done: () => undefined };
  const started = performance.now();
  let last = 0;
  return {
    update(done, fraction) {
      const now = performance.now();
      if (now - last < REDRAW_MS) return;
      last = now;
      stream.write(`\r${renderBar(label, done, fraction, (now - started) / 1000)}\u001b[K`);
    },
    done: () => void stream.write('\r\u001b[K'),
  };
}
