/**
 * Bulk import and export of tenants, devices and credentials (Hono's file-based registry data,
 * docs/amqp-api.md §7.2). Every record passes the same validation and shaping as the management
 * API; devices travel to the store in batches of one tenant with many batches in flight. Import is
 * idempotent: records equal to the stored ones are left alone, differing ones are conflicts unless
 * `replace`. Nothing is ever deleted by an import.
 */
import { RegistryError, badRequest, conflict } from '../errors.js';
import type { Store } from '../store/store.js';
import { asObject } from './body.js';
import type { PasswordHasher } from './password-hasher.js';
import { DeviceImport, EntryPreparer } from './transfer-devices.js';
import { createExportService } from './transfer-export.js';
import type { DeviceEntry } from './transfer-prepare.js';
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

/** Imports one tenant entry: created when missing, unchanged when equal, replaced or a conflict when it differs. */
async function importTenant(store: Store, entry: TenantEntry, seen: Set<string>, counts: ImportCounts, opts: Pick<ImportOptions, 'replace' | 'dryRun'>): Promise<void> {
  const id = asObject(entry.body, 'a tenant')['tenant-id'];
  if (typeof id !== 'string') throw badRequest('missing required property "tenant-id"');
  if (seen.has(id)) throw badRequest(`tenant "${id}" is listed twice`);
  seen.add(id);
  const { tenant, caKeys, ...indexes } = checkTenant(entry.body, id);
  const json = JSON.stringify(tenant);
  const stored = await store.getTenant(id);
  if (stored === json) counts.unchanged++;
  else if (opts.dryRun) counts[stored === null ? 'created' : 'replaced']++;
  else if (stored === null) {
    await store.createTenant(id, json, caKeys, indexes);
    counts.created++;
  } else if (opts.replace) {
    await store.updateTenant(id, json, caKeys, indexes);
    counts.replaced++;
  } else throw conflict(`tenant "${id}" exists with different content (--replace overwrites it)`);
}

export function createTransferService(store: Store, options: TransferOptions) {
  const preparer = new EntryPreparer(store, options);
  return {
    /** Creates missing tenants; equal ones are unchanged, differing ones conflicts unless `replace`. */
    async importTenants(entries: Iterable<TenantEntry>, opts: Pick<ImportOptions, 'replace' | 'dryRun' | 'onFailure'>): Promise<ImportCounts> {
      const counts = emptyCounts();
      const seen = new Set<string>();
      for (const entry of entries) {
        try {
          await importTenant(store, entry, seen, counts, opts);
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
    importDevices: (entries: AsyncIterable<DeviceEntry> | Iterable<DeviceEntry>, opts: ImportOptions): Promise<ImportCounts> =>
      new DeviceImport(store, preparer, options.maxBcryptCost, opts, emptyCounts()).run(entries),
    ...createExportService(store),
  };
}

export type TransferService = ReturnType<typeof createTransferService>;
