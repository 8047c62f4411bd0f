/**
 * Bulk import and export of tenants, devices and credentials (Hono's file-based registry data,
 * hono-amqp-apis.md §7.2). Every record passes the same validation and shaping as the management
 * API; devices travel to the store in batches of one tenant with many batches in flight. Import is
 * idempotent: records equal to the stored ones are left alone, differing ones are conflicts unless
 * `replace`. Nothing is ever deleted by an import.
 */
import { RegistryError, badRequest, conflict } from '../errors.js';
import type { CredentialsRecord } from '../model/credentials.js';
import type { ImportDevice, ImportVerdict, Store } from '../store/store.js';
import { validate } from '../validation.js';
import { asObject } from './body.js';
import { checkCredentials, hashSecrets, withHonoBcrypt } from './credentials.js';
import { toStoredData } from './devices.js';
import type { PasswordHasher } from './password-hasher.js';
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

const emptyCounts = (): ImportCounts => ({ created: 0, updated: 0, replaced: 0, unchanged: 0, failed: 0, credentials: 0, hashed: 0 });

/** Entries validated concurrently before batching (lets bcrypt use the whole thread pool). */
const PREPARE_CHUNK = 1000;

function describe(v: Exclude<ImportVerdict, { outcome: Outcome }>, entry: DeviceEntry, types: readonly string[]): string {
  const cred = v.index === undefined ? '' : `credentials ${entry.credentials[v.index]?.at ?? ''} (${types[v.index] ?? ''})`;
  switch (v.conflict) {
    case 'DENIED':
      return `conflict: device "${entry.deviceId}" is on the denied list of tenant "${entry.tenant}" (see /denied-devices/${entry.tenant})`;
    case 'DEVICE_DIFFERS':
      return `conflict: device "${entry.deviceId}" exists with different registration data (--replace overwrites it)`;
    case 'RESERVED':
      return `conflict: ${cred} is reserved by a device on the denied list; purge that device to free it`;
    case 'CREDENTIALS_DIFFER':
      return `conflict: ${cred} exists with different content (--replace overwrites it)`;
    case 'OWNED':
      return `conflict: ${cred} belongs to device "${v.owner ?? '?'}" (--replace moves it)`;
  }
}

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
    validate('registration', { ...data, 'device-id': entry.deviceId });
    const json = entry.data === undefined ? undefined : toStoredData({ ...data, 'device-id': entry.deviceId });
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
      const batchSize = opts.batchSize ?? 200;
      const maxInFlight = opts.inFlight ?? 8;
      const seenDevices = new Set<string>();
      const seenCredentials = new Set<string>();
      const open = new Map<string, { devices: ImportDevice[]; entries: DeviceEntry[] }>();
      const inFlight = new Set<Promise<void>>();
      let stopped: unknown;

      const fail = (at: string, reason: string) => {
        counts.failed++;
        opts.onFailure({ at, reason });
      };
      const settle = (batch: { devices: ImportDevice[]; entries: DeviceEntry[] }, verdicts: ImportVerdict[]) => {
        verdicts.forEach((v, i) => {
          const entry = batch.entries[i] as DeviceEntry;
          if ('outcome' in v) {
            counts[v.outcome]++;
            counts.credentials += entry.credentials.length;
          } else fail(entry.at, describe(v, entry, (batch.devices[i] as ImportDevice).credentials.map((c) => `${c.type} "${c.authId}"`)));
        });
      };
      const send = async (tenant: string) => {
        const batch = open.get(tenant);
        open.delete(tenant);
        if (batch === undefined || batch.devices.length === 0) return;
        while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
        if (opts.dryRun) {
          counts.created += batch.devices.length;
          opts.onProgress?.(counts);
          return;
        }
        const call = store.importDevices(tenant, batch.devices, opts.replace).then(
          (verdicts) => settle(batch, verdicts),
          (err: unknown) => {
            if (err instanceof RegistryError && err.code === 'NOT_FOUND') batch.entries.forEach((e) => fail(e.at, err.publicMessage));
            else stopped ??= err;
          },
        ).finally(() => {
          inFlight.delete(call);
          opts.onProgress?.(counts);
        });
        inFlight.add(call);
      };
      const add = async (entry: DeviceEntry, device: ImportDevice) => {
        let batch = open.get(entry.tenant);
        if (batch === undefined) open.set(entry.tenant, (batch = { devices: [], entries: [] }));
        batch.devices.push(device);
        batch.entries.push(entry);
        if (batch.devices.length >= batchSize) await send(entry.tenant);
      };
      /** Duplicates within the import are refused: the second listing of a device or credential. */
      const duplicate = (entry: DeviceEntry, device: ImportDevice): string | undefined => {
        const key = `${entry.tenant}\u0000${entry.deviceId}`;
        if (seenDevices.has(key)) return `device "${entry.deviceId}" of tenant "${entry.tenant}" is listed more than once`;
        for (const c of device.credentials) {
          if (seenCredentials.has(`${entry.tenant}\u0000${c.type}\u0000${c.authId}`)) return `credentials ${c.type} "${c.authId}" of tenant "${entry.tenant}" are listed more than once`;
        }
        seenDevices.add(key);
        for (const c of device.credentials) seenCredentials.add(`${entry.tenant}\u0000${c.type}\u0000${c.authId}`);
        return undefined;
      };
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
            const dup = duplicate(entry, result as ImportDevice);
            if (dup !== undefined) fail(entry.at, dup);
            else await add(entry, result as ImportDevice);
          }
          if (stopped !== undefined) return;
        }
      };

      let chunk: DeviceEntry[] = [];
      for await (const entry of entries) {
        chunk.push(entry);
        if (chunk.length >= PREPARE_CHUNK) {
          await flushChunk(chunk);
          chunk = [];
          if (stopped !== undefined) break;
        }
      }
      if (stopped === undefined) await flushChunk(chunk);
      for (const tenant of [...open.keys()]) if (stopped === undefined) await send(tenant);
      await Promise.all(inFlight);
      if (stopped !== undefined) throw stopped;
      opts.onProgress?.(counts);
      return counts;
    },

    /** Every stored tenant as JSON text (with its `tenant-id`). */
    async *tenants(): AsyncGenerator<string> {
      let cursor = '0';
      do {
        const page = await store.scanTenants(cursor, 500);
        for (const [, json] of page.entries) yield json;
        cursor = page.cursor;
      } while (cursor !== '0');
    },

    /** The tenant's devices as `{"device-id", "data"}` JSON text (each once, even when the hash was resized during the scan). */
    async *devices(tenantId: string): AsyncGenerator<string> {
      for await (const [id, json] of scanOnce((c) => store.scanDevices(tenantId, c, 1000))) yield `{"device-id":${JSON.stringify(id)},"data":${json}}`;
    },

    /** The tenant's credentials records as JSON text. */
    async *credentials(tenantId: string): AsyncGenerator<string> {
      for await (const [, json] of scanOnce((c) => store.scanCredentials(tenantId, c, 1000))) yield json;
    },

    /**
     * Devices with their credentials records; then, with `data` undefined, the credentials of
     * devices that have no registration.
     */
    async *devicesWithCredentials(tenantId: string): AsyncGenerator<{ deviceId: string; data: string | undefined; credentials: string[] }> {
      const page: (readonly [string, string])[] = [];
      const flush = async function* () {
        const lists = await store.credentialsOfDevices(tenantId, page.map(([id]) => id));
        for (const [i, [deviceId, data]] of page.entries()) yield { deviceId, data, credentials: lists[i] ?? [] };
        page.length = 0;
      };
      for await (const entry of scanOnce((c) => store.scanDevices(tenantId, c, 1000))) {
        page.push(entry);
        if (page.length >= 500) yield* flush();
      }
      if (page.length > 0) yield* flush();
      const orphans: string[] = [];
      const flushOrphans = async function* () {
        const registered = await store.lookupDevices(tenantId, orphans);
        const missing = orphans.filter((_, i) => registered[i] === null || registered[i] === undefined);
        const lists = await store.credentialsOfDevices(tenantId, missing);
        for (const [i, deviceId] of missing.entries()) if ((lists[i] ?? []).length > 0) yield { deviceId, data: undefined, credentials: lists[i] ?? [] };
        orphans.length = 0;
      };
      for await (const [deviceId] of scanOnce((c) => store.scanCredentialIndex(tenantId, c, 1000))) {
        orphans.push(deviceId);
        if (orphans.length >= 500) yield* flushOrphans();
      }
      if (orphans.length > 0) yield* flushOrphans();
    },
  };
}

export type TransferService = ReturnType<typeof createTransferService>;

/** A full hash scan, each field once (HSCAN may repeat fields when the hash is resized meanwhile). */
async function* scanOnce(page: (cursor: string) => Promise<{ cursor: string; entries: readonly (readonly [string, string])[] }>): AsyncGenerator<readonly [string, string]> {
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const result = await page(cursor);
    for (const entry of result.entries) {
      if (seen.has(entry[0])) continue;
      seen.add(entry[0]);
      yield entry;
    }
    cursor = result.cursor;
  } while (cursor !== '0');
}
