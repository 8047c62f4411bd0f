/**
 * The import's preparation worker (a worker thread started by transfer-prepare-pool.ts): prepares
 * the entries of each chunk it is sent, in order, with prepareWithoutHashing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RegistryError } from '../errors.js';
import { prepareWithoutHashing, type DeviceEntry } from './transfer-prepare.js';
import type { WorkerResult } from './transfer-prepare-pool.js';

const { maxBcryptCost } = workerData as { maxBcryptCost: number };

function prepareOne(entry: DeviceEntry): WorkerResult {
  try {
    return prepareWithoutHashing(entry, maxBcryptCost) ?? 0;
  } catch (err) {
    return err instanceof RegistryError ? { code: err.code, message: err.message } : { fatal: err instanceof Error ? err.message : String(err) };
  }
}

parentPort?.on('message', ({ id, entries }: { id: number; entries: string }) => {
  parentPort?.postMessage({ id, results: (JSON.parse(entries) as DeviceEntry[]).map(prepareOne) });
});
