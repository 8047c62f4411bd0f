/**
 * The write side of an import: devices collected into batches of one tenant, several script calls
 * in flight, verdicts counted; and the check that refuses a device or credential listed twice.
 */
import { RegistryError } from '../errors.js';
import type { ImportDevice, ImportVerdict, Store } from '../store/store.js';
import type { DeviceEntry, ImportCounts, ImportOptions, Outcome } from './transfer.js';

interface Batch {
  readonly devices: ImportDevice[];
  readonly entries: DeviceEntry[];
}

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

/** Batches per tenant, sent when full (and at the end) with at most `inFlight` calls waiting. */
export class BatchWriter {
  private readonly open = new Map<string, Batch>();
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  constructor(
    private readonly store: Store,
    private readonly opts: ImportOptions,
    private readonly counts: ImportCounts,
    private readonly fail: (at: string, reason: string) => void,
  ) {}

  /** True once the store failed for another reason than an unknown tenant (the import stops). */
  get stopped(): boolean {
    return this.failure !== undefined;
  }

  /** Adds a device to its tenant's batch; a promise only when that filled the batch and it is being sent. */
  add(entry: DeviceEntry, device: ImportDevice): Promise<void> | undefined {
    let batch = this.open.get(entry.tenant);
    if (batch === undefined) this.open.set(entry.tenant, (batch = { devices: [], entries: [] }));
    batch.devices.push(device);
    batch.entries.push(entry);
    return batch.devices.length >= (this.opts.batchSize ?? 200) ? this.send(entry.tenant) : undefined;
  }

  /** Sends what is left, waits for every call; rethrows the failure that stopped the import. */
  async finish(): Promise<void> {
    for (const tenant of [...this.open.keys()]) if (!this.stopped) await this.send(tenant);
    await Promise.all(this.inFlight);
    if (this.stopped) throw this.failure;
  }

  private async send(tenant: string): Promise<void> {
    const batch = this.open.get(tenant);
    this.open.delete(tenant);
    if (batch === undefined || batch.devices.length === 0) return;
    while (this.inFlight.size >= (this.opts.inFlight ?? 8)) await Promise.race(this.inFlight);
    if (this.opts.dryRun) {
      this.counts.created += batch.devices.length;
      this.opts.onProgress?.(this.counts);
      return;
    }
    const call = this.store
      .importDevices(tenant, batch.devices, this.opts.replace)
      .then(
        (verdicts) => this.settle(batch, verdicts),
        (err: unknown) => {
          if (err instanceof RegistryError && err.code === 'NOT_FOUND') batch.entries.forEach((e) => this.fail(e.at, err.publicMessage));
          else this.failure ??= err;
        },
      )
      .finally(() => {
        this.inFlight.delete(call);
        this.opts.onProgress?.(this.counts);
      });
    this.inFlight.add(call);
  }

  private settle(batch: Batch, verdicts: ImportVerdict[]): void {
    verdicts.forEach((v, i) => {
      const entry = batch.entries[i] as DeviceEntry;
      if ('outcome' in v) {
        this.counts[v.outcome]++;
        this.counts.credentials += entry.credentials.length;
      } else this.fail(entry.at, describe(v, entry, (batch.devices[i] as ImportDevice).credentials.map((c) => `${c.type} "${c.authId}"`)));
    });
  }
}

/** Refuses the second listing of a device or of credentials (type, auth-id) within one import. */
export class DuplicateCheck {
  /** Per tenant: the device ids and the `type NUL auth-id` keys seen so far. */
  private readonly tenants = new Map<string, { devices: Set<string>; credentials: Set<string> }>();

  /** A reason when the device or one of its credentials was listed before; undefined otherwise (and remembered). */
  check(entry: DeviceEntry, device: ImportDevice): string | undefined {
    let seen = this.tenants.get(entry.tenant);
    if (seen === undefined) this.tenants.set(entry.tenant, (seen = { devices: new Set(), credentials: new Set() }));
    if (seen.devices.has(entry.deviceId)) return `device "${entry.deviceId}" of tenant "${entry.tenant}" is listed more than once`;
    const keys = device.credentials.map((c) => `${c.type}\u0000${c.authId}`);
    const twice = keys.findIndex((k, i) => seen.credentials.has(k) || keys.indexOf(k) !== i);
    if (twice >= 0) {
      const c = device.credentials[twice] as ImportDevice['credentials'][number];
      return `credentials ${c.type} "${c.authId}" of tenant "${entry.tenant}" are listed more than once`;
    }
    seen.devices.add(entry.deviceId);
    for (const k of keys) seen.credentials.add(k);
    return undefined;
  }
}
