/**
 * One worker thread that prepares import entries (transfer-prepare-worker.ts) while the importing
 * thread writes: chunks go out as JSON text and their answers come back in order.
 */
import { Worker } from 'node:worker_threads';
import type { ErrorCode } from '../errors.js';
import type { ImportDevice } from '../store/store.js';
import type { DeviceEntry } from './transfer-prepare.js';

/** Per entry: the prepared device, 0 (plain passwords: prepare it in the importing thread), or its error. */
export type WorkerResult = ImportDevice | 0 | { readonly code: ErrorCode; readonly message: string } | { readonly fatal: string };

/** The worker module next to this one; from the TypeScript sources (tests, tsx) it is loaded through tsx. */
function startWorker(maxBcryptCost: number): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './transfer-prepare-worker.ts' : './transfer-prepare-worker.js', import.meta.url);
  if (!fromSource) return new Worker(url, { workerData: { maxBcryptCost } });
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { eval: true, workerData: { maxBcryptCost } });
}

export class PreparePool {
  /** Entries answered by preparation workers in this process (for tests and diagnostics). */
  static answered = 0;
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (results: WorkerResult[]) => void; reject: (err: Error) => void }>();
  private next = 0;
  private failure: Error | undefined;

  constructor(maxBcryptCost: number) {
    this.worker = startWorker(maxBcryptCost);
    this.worker.on('message', ({ id, results }: { id: number; results: WorkerResult[] }) => {
      PreparePool.answered += results.length;
      this.waiting.get(id)?.resolve(results);
      this.waiting.delete(id);
    });
    const fail = (err: Error) => {
      this.failure ??= err;
      for (const { reject } of this.waiting.values()) reject(err);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the import preparation worker exited (code ${code})`)));
  }

  /** The worker's answers for `entries`, in their order. Rejects when the worker fails. */
  prepare(entries: readonly DeviceEntry[]): Promise<WorkerResult[]> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    let text: string;
    try {
      text = JSON.stringify(entries);
    } catch {
      // Not JSON (a caller's BigInt, a cycle): all of the chunk is prepared in the importing thread.
      return Promise.resolve(entries.map((): WorkerResult => 0));
    }
    const id = this.next++;
    const answers = new Promise<WorkerResult[]>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    this.worker.postMessage({ id, entries: text });
    // Answers nobody waits for any more (the import stopped) must not become unhandled rejections.
    answers.catch(() => undefined);
    return answers;
  }

  async close(): Promise<void> {
    this.failure ??= new Error('the import preparation worker was closed');
    await this.worker.terminate();
  }
}
