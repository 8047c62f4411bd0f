/**
 * The frame of a benchmark command (`make bench`, `make bench-peer`): progress lines on stderr,
 * the processes it starts stopped at the end or on SIGINT/SIGTERM, the markdown report on stdout
 * and next to the JSON (`<out>.json` → `<out>.md`), exit status 1 on failure.
 */
import { writeFileSync } from 'node:fs';
import { corkRheaWrites } from './amqp-load.js';

/** Stops of what a run started, stopped in reverse order. */
export type Stops = (() => Promise<void>)[];

/** Progress on stderr with the seconds since `t0`, and the seconds themselves. */
export function progressLog(name: string): { progress: (message: string) => void; elapsed: () => number } {
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  return { elapsed, progress: (message) => process.stderr.write(`[${name} ${elapsed().toFixed(0).padStart(3)} s] ${message}\n`) };
}

/** Runs `run`, reports its results to `out` and exits. */
export function runBenchmark<R>(name: string, options: { readonly out: string }, progress: (message: string) => void, run: (stops: Stops) => Promise<R>, render: (results: R) => string): void {
  const main = async () => {
    progress(`options: ${JSON.stringify(options)}`);
    const stops: Stops = [];
    const cleanup = async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    };
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanup().then(() => process.exit(130)));
    corkRheaWrites();
    try {
      const results = await run(stops);
      const markdown = render(results);
      process.stdout.write(`${markdown}\n`);
      writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);
      writeFileSync(`${options.out.replace(/\.json$/, '')}.md`, `${markdown}\n`);
      progress(`wrote ${options.out} and its .md`);
    } finally {
      progress('stopping');
      await cleanup();
    }
  };
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${name} failed: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
