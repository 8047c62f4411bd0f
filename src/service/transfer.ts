/**
 * Bulk import and export of tenants, devices and credentials (Hono's file-based registry data,
 * hono-amqp-apis.md §7.2). Every record passes the same validation and shaping as the management
 * API; devices travel to the store in batches of one tenant with many batches in flight. Import is
 * idempotent: records equal to the stored ones are left alone, differing ones are conflicts unless
 * `replace`. Nothing is ever deleted by an import.
 */
import { RegistryError, badRequest, conflict } from '../errors.js';
import type { CredentialsRecord } from '../model/credentials.js';
import type { ImportDevice, Store } from '../store/store.js';
import { validate } from '../validation.js';
import { asObject } from './body.js';
import { checkCredentials, hashSecrets, withHonoBcrypt } from './credentials.js';
import { toStoredData } from './devices.js';
import type { PasswordHasher } from './password-hasher.js';
import { BatchWriter, DuplicateCheck } from './transfer-batches.js';
import { createExportService } from './transfer-export.js';
import { checkTenant } from './tenants.js';

/** A tenant to import; `at` says where it came from (file and position) for messages. */
export interface TenantEntry {
  readonly at: string;
  readonly body: unknown;
}

/** A device to import with its credentials records. `data` undefined: only the credentials. */
export interface DeviceEntry {
  readonly at: string;
  readonly tenant: string;
  readonly deviceId: string;
  readonly data: unknown;
  readonly credentials: readonly { readonly at: string; readonly record: unknown }[];
}

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

  type Prepared = { type: string; authId: string; json: string };
  const shaped = (record: CredentialsRecord): Prepared => ({ type: record.type, authId: record['auth-id'], json: JSON.stringify(record) });

  /** Validated and shaped; a promise only when plain passwords need bcrypt (the rest stays synchronous, for speed). */
  function prepareCredentials(entry: DeviceEntry, body: unknown, counts: ImportCounts): Prepared | Promise<Prepared> {
    const input = asObject(body, 'a credentials record');
    const named = input['device-id'];
    if (named !== undefined && named !== entry.deviceId) throw badRequest(`"device-id" ${JSON.stringify(named)} differs from the device ${JSON.stringify(entry.deviceId)} it is listed with`);
    const record = checkCredentials(named === undefined ? { ...input, 'device-id': entry.deviceId } : input, options.maxBcryptCost);
    const plain = record.secrets.filter((s) => s['pwd-plain'] !== undefined).length;
    if (plain === 0) return shaped(withHonoBcrypt(record));
    return knownHashes(entry.tenant, record).then(async (known) => {
      counts.hashed += plain - known.filter((k) => k !== undefined).length;
      return shaped(await hashSecrets(record, options.hasher, (i) => known[i]));
    });
  }

  /** Validates and shapes one entry as the management API would. BAD_REQUEST naming the record. */
  function prepare(entry: DeviceEntry, counts: ImportCounts): ImportDevice | Promise<ImportDevice> {
    if (typeof entry.deviceId !== 'string') throw badRequest('missing required property "device-id"');
    const data = entry.data === undefined ? {} : asObject(entry.data, `the registration data of device ${JSON.stringify(entry.deviceId)}`);
    const registration = { ...data, 'device-id': entry.deviceId };
    validate('registration', registration);
    const json = entry.data === undefined ? undefined : toStoredData(registration);
    const named = (err: unknown, at: string) => (err instanceof RegistryError ? new RegistryError(err.code, `credentials ${at}: ${err.publicMessage}`) : err);
    const credentials = entry.credentials.map((c) => {
      try {
        const result = prepareCredentials(entry, c.record, counts);
        return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(named(err, c.at))) : result;
      } catch (err) {
        throw named(err, c.at);
      }
    });
    if (!credentials.some((c) => c instanceof Promise)) return { deviceId: entry.deviceId, json, credentials: credentials as Prepared[] };
    return Promise.all(credentials).then((list) => ({ deviceId: entry.deviceId, json, credentials: list }));
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
      const flushChunk = async (chunk: DeviceEntry[]) => {
        const results = chunk.map((e): unknown => {
          try {
            const result = prepare(e, counts);
            return result instanceof Promise ? result.catch((err: unknown) => err) : result;
          } catch (err) {
            return err;
          }
        });
        const prepared = results.some((r) => r instanceof Promise) ? await Promise.all(results) : results;
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

      let chunk: DeviceEntry[] = [];
      // A synchronous source is read without an await per entry.
      const flushFull = async (): Promise<boolean> => {
        await flushChunk(chunk);
        chunk = [];
        return !writer.stopped;
      };
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
      if (!writer.stopped) await flushChunk(chunk);
      await writer.finish();
      opts.onProgress?.(counts);
      return counts;
    },
    ...createExportService(store),
  };
}

export type TransferService = ReturnType<typeof createTransferService>;
