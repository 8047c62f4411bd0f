/**
 * Bulk import and export of tenants, devices and credentials (Hono's file-based registry data,
 * docs/amqp-api.md §7.2). Every record passes the same validation and shaping as the management
 * API; devices travel to the store in batches of one tenant with many batches in flight. Import is
 * idempotent: records equal to the stored ones are left alone, differing ones are conflicts unless
 * `replace`. Nothing is ever deleted by an import.
 */
import { RegistryError, badRequest, conflict } from '../errors.js';
import type { CredentialsRecord } from '../model/credentials.js';
import type { ImportDevice, Store } from '../store/store.js';
import { asObject } from './body.js';
import { hashSecrets, withHonoBcrypt } from './credentials.js';
import type { PasswordHasher } from './password-hasher.js';
import { BatchWriter, DuplicateCheck } from './transfer-batches.js';
import { checkRecord, checkRegistration, hasPlainPassword, inCredentials, shapeRecord, type DeviceEntry, type PreparedCredentials } from './transfer-prepare.js';
import { PreparePool, type WorkerResult } from './transfer-prepare-pool.js';
import { createExportService } from './transfer-export.js';
import { checkTenant } from './tenants.js';

/** A tenant to import; `at` says where it came from (file and position) for messages. */
export interface TenantEntry {
  readonly at: string;
  readonly body: unknown;
}

export type { DeviceEntry } from './transfer-prepare.js';

export interface ImportFailure {
  readonly at: string;
  readonly reason: string;
}

export type Outcome = 'created' | 'updated' | 'replaced' | 'unchanged';

export interface ImportCounts {
  created: number;
  updated: number;
  replaced: number;
  unchanged: number;
  failed: number;
  /** Credentials records in the entries that were applied. */
  credentials: number;
  /** Plain passwords hashed with bcrypt (the slow part). */
  hashed: number;
}

export interface ImportOptions {
  /** Overwrite records that differ from the stored ones (never denied devices or reserved identities). */
  readonly replace: boolean;
  /** Validate only; write nothing. */
  readonly dryRun?: boolean;
  /** Devices per script call (default 200). */
  readonly batchSize?: number;
  /** Script calls in flight (default 8). */
  readonly inFlight?: number;
  readonly onFailure: (failure: ImportFailure) => void;
  /** Called as devices are done (counted in `counts`). */
  readonly onProgress?: (counts: Readonly<ImportCounts>) => void;
  /** Large imports prepare entries in a worker thread (default true; false: all in this thread). */
  readonly prepareInWorker?: boolean;
}

export interface TransferOptions {
  readonly maxBcryptCost: number;
  readonly hasher: PasswordHasher;
}

export const emptyCounts = (): ImportCounts => ({ created: 0, updated: 0, replaced: 0, unchanged: 0, failed: 0, credentials: 0, hashed: 0 });

/** Entries validated concurrently before batching (lets bcrypt use the whole thread pool). */
const PREPARE_CHUNK = 1000;

export function createTransferService(store: Store, options: TransferOptions) {
  /** Stored hashes that match the plain passwords of an existing record, so a re-run stores the same JSON. */
  async function knownHashes(tenantId: string, record: CredentialsRecord): Promise<(string | undefined)[]> {
    const stored = await store.lookupCredentials(tenantId, record.type, record['auth-id']);
    const previous = stored === null ? undefined : (JSON.parse(stored) as CredentialsRecord);
    return Promise.all(
      record.secrets.map(async (secret, i) => {
        const plain = secret['pwd-plain'];
        const hash = previous?.['device-id'] === record['device-id'] ? previous.secrets[i]?.['pwd-hash'] : undefined;
        return plain !== undefined && hash !== undefined && hash.startsWith('$2') && (await options.hasher.verify(plain, hash)) ? hash : undefined;
      }),
    );
  }

  /** Validated and shaped; a promise only when plain passwords need bcrypt (the rest stays synchronous, for speed). */
  function prepareCredentials(entry: DeviceEntry, body: unknown, counts: ImportCounts): PreparedCredentials | Promise<PreparedCredentials> {
    const record = checkRecord(entry, body, options.maxBcryptCost);
    if (!hasPlainPassword(record)) return shapeRecord(withHonoBcrypt(record));
    const plain = record.secrets.filter((s) => s['pwd-plain'] !== undefined).length;
    return knownHashes(entry.tenant, record).then(async (known) => {
      counts.hashed += plain - known.filter((k) => k !== undefined).length;
      return shapeRecord(await hashSecrets(record, options.hasher, (i) => known[i]));
    });
  }

  /** Validates and shapes one entry as the management API would. BAD_REQUEST naming the record. */
  function prepare(entry: DeviceEntry, counts: ImportCounts): ImportDevice | Promise<ImportDevice> {
    const json = checkRegistration(entry);
    const credentials = entry.credentials.map((c) => {
      try {
        const result = prepareCredentials(entry, c.record, counts);
        return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(inCredentials(err, c.at))) : result;
      } catch (err) {
        throw inCredentials(err, c.at);
      }
    });
    if (!credentials.some((c) => c instanceof Promise)) return { deviceId: entry.deviceId, json, credentials: credentials as PreparedCredentials[] };
    return Promise.all(credentials).then((list) => ({ deviceId: entry.deviceId, json, credentials: list }));
  }

  /** A worker's answer for an entry as `prepare` gives it: the device, its error, or (plain passwords) `prepare` itself. */
  function fromWorker(entry: DeviceEntry, result: WorkerResult, counts: ImportCounts): ImportDevice | Promise<ImportDevice> {
    if (result === 0) return prepare(entry, counts);
    if ('fatal' in result) throw new Error(`import preparation failed: ${result.fatal}`);
    if ('code' in result) throw new RegistryError(result.code, result.message);
    return result;
  }

  return {
    /** Creates missing tenants; equal ones are unchanged, differing ones conflicts unless `replace`. */
    async importTenants(entries: Iterable<TenantEntry>, opts: Pick<ImportOptions, 'replace' | 'dryRun' | 'onFailure'>): Promise<ImportCounts> {
      const counts = emptyCounts();
      const seen = new Set<string>();
      for (const entry of entries) {
        try {
          const id = asObject(entry.body, 'a tenant')['tenant-id'];
          if (typeof id !== 'string') throw badRequest('missing required property "tenant-id"');
          if (seen.has(id)) throw badRequest(`tenant "${id}" is listed twice`);
          seen.add(id);
          const { tenant, caKeys } = checkTenant(entry.body, id);
          const json = JSON.stringify(tenant);
          const stored = await store.getTenant(id);
          if (stored === json) counts.unchanged++;
          else if (opts.dryRun) counts[stored === null ? 'created' : 'replaced']++;
          else if (stored === null) {
            await store.createTenant(id, json, caKeys);
            counts.created++;
          } else if (opts.replace) {
            await store.updateTenant(id, json, caKeys);
            counts.replaced++;
          } else throw conflict(`tenant "${id}" exists with different content (--replace overwrites it)`);
        } catch (err) {
          if (!(err instanceof RegistryError) || err.status >= 500) throw err;
          counts.failed++;
          opts.onFailure({ at: entry.at, reason: err.publicMessage });
        }
      }
      return counts;
    },

    /**
     * Imports devices with their credentials: validated here, written in batches of one tenant with
     * several batches in flight. Per-record problems go to `onFailure`; a lost Redis stops the
     * import (UNAVAILABLE) after the calls in flight have settled — re-running it is safe.
     */
    async importDevices(entries: AsyncIterable<DeviceEntry> | Iterable<DeviceEntry>, opts: ImportOptions): Promise<ImportCounts> {
      const counts = emptyCounts();
      const fail = (at: string, reason: string) => {
        counts.failed++;
        opts.onFailure({ at, reason });
      };
      const writer = new BatchWriter(store, opts, counts, fail);
      const duplicates = new DuplicateCheck();
      /** Each entry prepared (here, or from the worker's answers), or its error. */
      const prepareChunk = async (chunk: DeviceEntry[], answers?: WorkerResult[]): Promise<unknown[]> => {
        const results = chunk.map((e, i): unknown => {
          try {
            const result = answers === undefined ? prepare(e, counts) : fromWorker(e, answers[i] as WorkerResult, counts);
            return result instanceof Promise ? result.catch((err: unknown) => err) : result;
          } catch (err) {
            return err;
          }
        });
        return results.some((r) => r instanceof Promise) ? await Promise.all(results) : results;
      };
      /** Checks for duplicates and hands the prepared devices to the writer, in entry order. */
      const commitChunk = async (chunk: DeviceEntry[], prepared: unknown[]) => {
        for (const [i, result] of prepared.entries()) {
          const entry = chunk[i] as DeviceEntry;
          if (result instanceof RegistryError) fail(entry.at, result.publicMessage);
          else if (result instanceof Error) throw result;
          else {
            const dup = duplicates.check(entry, result as ImportDevice);
            if (dup !== undefined) fail(entry.at, dup);
            else {
              const sending = writer.add(entry, result as ImportDevice);
              if (sending !== undefined) await sending;
            }
          }
          if (writer.stopped) return;
        }
      };

      // From the second full chunk on (a large import), a worker thread validates and shapes the
      // entries while this thread writes the previous chunk: the two cores share the work. Entries
      // with plain passwords come back unprepared and are hashed here, as before.
      let pool: PreparePool | undefined;
      const queued: { chunk: DeviceEntry[]; answers: Promise<WorkerResult[]> }[] = [];
      const commitOldest = async () => {
        const { chunk, answers } = queued.shift() as (typeof queued)[number];
        await commitChunk(chunk, await prepareChunk(chunk, await answers));
      };
      let chunk: DeviceEntry[] = [];
      let full = 0;
      const flushFull = async (): Promise<boolean> => {
        full++;
        if (full > 1 && opts.prepareInWorker !== false) pool ??= new PreparePool(options.maxBcryptCost);
        if (pool === undefined) await commitChunk(chunk, await prepareChunk(chunk));
        else {
          queued.push({ chunk, answers: pool.prepare(chunk) });
          if (queued.length > 1) await commitOldest();
        }
        chunk = [];
        return !writer.stopped;
      };
      try {
        // A synchronous source is read without an await per entry.
        if (Symbol.iterator in entries) {
          for (const entry of entries) {
            chunk.push(entry);
            if (chunk.length >= PREPARE_CHUNK && !(await flushFull())) break;
          }
        } else {
          for await (const entry of entries) {
            chunk.push(entry);
            if (chunk.length >= PREPARE_CHUNK && !(await flushFull())) break;
          }
        }
        if (!writer.stopped && chunk.length > 0) {
          if (pool === undefined) await commitChunk(chunk, await prepareChunk(chunk));
          else queued.push({ chunk, answers: pool.prepare(chunk) });
        }
        while (queued.length > 0 && !writer.stopped) await commitOldest();
      } finally {
        await pool?.close();
      }
      await writer.finish();
      opts.onProgress?.(counts);
      return counts;
    },
    ...createExportService(store),
  };
}

export type TransferService = ReturnType<typeof createTransferService>;
