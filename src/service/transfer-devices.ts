/**
 * The device import (transfer.ts `importDevices`) as a list of steps: read the entries in chunks,
 * prepare each chunk (validated and shaped as the management API would; from the second full
 * chunk on in a worker thread while this thread writes the previous one), refuse duplicates, and
 * hand the devices to the batch writer in entry order.
 */
import { RegistryError } from '../errors.js';
import type { CredentialsRecord } from '../model/credentials.js';
import type { ImportDevice, Store } from '../store/store.js';
import { hashSecrets, withHonoBcrypt } from './credentials.js';
import { BatchWriter, DuplicateCheck } from './transfer-batches.js';
import { PreparePool, type WorkerResult } from './transfer-prepare-pool.js';
import { checkRecord, checkRegistration, hasPlainPassword, inCredentials, shapeRecord, type DeviceEntry, type PreparedCredentials } from './transfer-prepare.js';
import type { ImportCounts, ImportOptions, TransferOptions } from './transfer.js';

/** Entries validated concurrently before batching (lets bcrypt use the whole thread pool). */
const PREPARE_CHUNK = 1000;

/** Prepares entries in this thread: validation and shaping, and bcrypt for plain passwords. */
export class EntryPreparer {
  constructor(
    private readonly store: Store,
    private readonly options: TransferOptions,
  ) {}

  /** Stored hashes that match the plain passwords of an existing record, so a re-run stores the same JSON. */
  private async knownHashes(tenantId: string, record: CredentialsRecord): Promise<(string | undefined)[]> {
    const stored = await this.store.lookupCredentials(tenantId, record.type, record['auth-id']);
    const previous = stored === null ? undefined : (JSON.parse(stored) as CredentialsRecord);
    return Promise.all(
      record.secrets.map(async (secret, i) => {
        const plain = secret['pwd-plain'];
        const hash = previous?.['device-id'] === record['device-id'] ? previous.secrets[i]?.['pwd-hash'] : undefined;
        return plain !== undefined && hash !== undefined && hash.startsWith('$2') && (await this.options.hasher.verify(plain, hash)) ? hash : undefined;
      }),
    );
  }

  /** Validated and shaped; a promise only when plain passwords need bcrypt (the rest stays synchronous, for speed). */
  private credentials(entry: DeviceEntry, body: unknown, counts: ImportCounts): PreparedCredentials | Promise<PreparedCredentials> {
    const record = checkRecord(entry, body, this.options.maxBcryptCost);
    if (!hasPlainPassword(record)) return shapeRecord(withHonoBcrypt(record));
    const plain = record.secrets.filter((s) => s['pwd-plain'] !== undefined).length;
    return this.knownHashes(entry.tenant, record).then(async (known) => {
      counts.hashed += plain - known.filter((k) => k !== undefined).length;
      return shapeRecord(await hashSecrets(record, this.options.hasher, (i) => known[i]));
    });
  }

  /** Validates and shapes one entry as the management API would. BAD_REQUEST naming the record. */
  prepare(entry: DeviceEntry, counts: ImportCounts): ImportDevice | Promise<ImportDevice> {
    const json = checkRegistration(entry);
    const credentials = entry.credentials.map((c) => {
      try {
        const result = this.credentials(entry, c.record, counts);
        return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(inCredentials(err, c.at))) : result;
      } catch (err) {
        throw inCredentials(err, c.at);
      }
    });
    if (!credentials.some((c) => c instanceof Promise)) return { deviceId: entry.deviceId, json, credentials: credentials as PreparedCredentials[] };
    return Promise.all(credentials).then((list) => ({ deviceId: entry.deviceId, json, credentials: list }));
  }

  /** A worker's answer for an entry as `prepare` gives it: the device, its error, or (plain passwords) `prepare` itself. */
  fromWorker(entry: DeviceEntry, result: WorkerResult, counts: ImportCounts): ImportDevice | Promise<ImportDevice> {
    if (result === 0) return this.prepare(entry, counts);
    if ('fatal' in result) throw new Error(`import preparation failed: ${result.fatal}`);
    if ('code' in result) throw new RegistryError(result.code, result.message);
    return result;
  }
}

/** One run of importDevices. */
export class DeviceImport {
  private readonly writer: BatchWriter;
  private readonly duplicates = new DuplicateCheck();
  private pool: PreparePool | undefined;
  /** Chunks handed to the worker, oldest first, with its answers to come. */
  private readonly queued: { chunk: DeviceEntry[]; answers: Promise<WorkerResult[]> }[] = [];
  private chunk: DeviceEntry[] = [];
  private fullChunks = 0;

  constructor(
    store: Store,
    private readonly preparer: EntryPreparer,
    private readonly maxBcryptCost: number,
    private readonly opts: ImportOptions,
    private readonly counts: ImportCounts,
  ) {
    this.writer = new BatchWriter(store, opts, counts, (at, reason) => this.fail(at, reason));
  }

  private fail(at: string, reason: string): void {
    this.counts.failed++;
    this.opts.onFailure({ at, reason });
  }

  /** Each entry prepared (here, or from the worker's answers), or its error. */
  private async prepareChunk(chunk: DeviceEntry[], answers?: WorkerResult[]): Promise<unknown[]> {
    const results = chunk.map((e, i): unknown => {
      try {
        const result = answers === undefined ? this.preparer.prepare(e, this.counts) : this.preparer.fromWorker(e, answers[i] as WorkerResult, this.counts);
        return result instanceof Promise ? result.catch((err: unknown) => err) : result;
      } catch (err) {
        return err;
      }
    });
    return results.some((r) => r instanceof Promise) ? await Promise.all(results) : results;
  }

  /** Checks for duplicates and hands the prepared devices to the writer, in entry order. */
  private async commitChunk(chunk: DeviceEntry[], prepared: unknown[]): Promise<void> {
    for (const [i, result] of prepared.entries()) {
      const entry = chunk[i] as DeviceEntry;
      if (result instanceof RegistryError) this.fail(entry.at, result.publicMessage);
      else if (result instanceof Error) throw result;
      else {
        const dup = this.duplicates.check(entry, result as ImportDevice);
        if (dup !== undefined) this.fail(entry.at, dup);
        else {
          // Awaited only when the entry filled a batch: no microtask per entry.
          const sending = this.writer.add(entry, result as ImportDevice);
          if (sending !== undefined) await sending;
        }
      }
      if (this.writer.stopped) return;
    }
  }

  private async commitOldest(): Promise<void> {
    const { chunk, answers } = this.queued.shift() as (typeof this.queued)[number];
    await this.commitChunk(chunk, await this.prepareChunk(chunk, await answers));
  }

  /** Prepares and commits a chunk here, or queues it with the worker (committing the one before). */
  private async hand(chunk: DeviceEntry[], last: boolean): Promise<void> {
    if (this.pool === undefined) await this.commitChunk(chunk, await this.prepareChunk(chunk));
    else {
      this.queued.push({ chunk, answers: this.pool.prepare(chunk) });
      if (!last && this.queued.length > 1) await this.commitOldest();
    }
  }

  /** Hands on the full chunk. False once the writer stopped. */
  private async flushFull(): Promise<boolean> {
    // From the second full chunk on (a large import) the worker prepares while this thread writes.
    if (++this.fullChunks > 1 && this.opts.prepareInWorker !== false) this.pool ??= new PreparePool(this.maxBcryptCost);
    const chunk = this.chunk;
    this.chunk = [];
    await this.hand(chunk, false);
    return !this.writer.stopped;
  }

  /** Imports the entries; the counts once every batch is written. */
  async run(entries: AsyncIterable<DeviceEntry> | Iterable<DeviceEntry>): Promise<ImportCounts> {
    try {
      // A synchronous source is read without an await per entry; a chunk is awaited once it is full.
      if (Symbol.iterator in entries) {
        for (const entry of entries) {
          this.chunk.push(entry);
          if (this.chunk.length >= PREPARE_CHUNK && !(await this.flushFull())) break;
        }
      } else {
        for await (const entry of entries) {
          this.chunk.push(entry);
          if (this.chunk.length >= PREPARE_CHUNK && !(await this.flushFull())) break;
        }
      }
      if (!this.writer.stopped && this.chunk.length > 0) await this.hand(this.chunk, true);
      while (this.queued.length > 0 && !this.writer.stopped) await this.commitOldest();
    } finally {
      await this.pool?.close();
    }
    await this.writer.finish();
    this.opts.onProgress?.(this.counts);
    return this.counts;
  }
}
