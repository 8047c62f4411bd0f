/**
 * The storage contract the services use. Records travel as the JSON strings they are stored as,
 * so the hot path can forward them without re-serialising.
 *
 * Error contract: every method throws only RegistryError —
 * NOT_FOUND (with a message naming what is missing), CONFLICT, and UNAVAILABLE (503) when the
 * backing store cannot be reached or does not answer in time. Any other driver failure is INTERNAL.
 * Every multi-key change is atomic.
 */

/**
 * The condition of a write on the version of the stored record (docs/management-v1.md "Versions": a
 * digest of the stored bytes), checked in the same atomic step as the write: PRECONDITION_FAILED on a mismatch.
 */
export interface WritePrecondition {
  /** The If-Match script argument (model/version.ts `ifMatchArg`): '*', or versions joined by commas; '' or absent: unconditional. */
  readonly ifMatch?: string;
}

/** What a tenant write indexes besides its CA DN keys. */
export interface TenantWriteOptions {
  /** Unique among tenants; the Tenant API finds the tenant by it. Absent: none (a previous one is released). */
  readonly alias?: string;
  /** Tenants of one trust-anchor group may share CA DN keys. */
  readonly group?: string;
}

export interface TenantStore {
  /**
   * Adds a tenant and claims its CA DN keys and alias. CONFLICT: id exists, is being deleted, a DN
   * belongs to a tenant not of this trust-anchor group, or the alias belongs to another tenant.
   */
  createTenant(tenantId: string, json: string, caKeys: readonly string[], options?: TenantWriteOptions): Promise<void>;
  /** Replaces a tenant, its CA DN keys and alias. NOT_FOUND; PRECONDITION_FAILED; CONFLICT as createTenant. */
  updateTenant(tenantId: string, json: string, caKeys: readonly string[], options?: TenantWriteOptions & WritePrecondition): Promise<void>;
  /** The stored tenant JSON, or null. One round trip. */
  getTenant(tenantId: string): Promise<string | null>;
  /** The stored JSON of the one tenant owning the CA with this DN key, or null (none, or shared within a group). One round trip. */
  getTenantByCa(caKey: string): Promise<string | null>;
  /** The stored JSON of the tenant with this alias, or null. One round trip. */
  getTenantByAlias(alias: string): Promise<string | null>;
  /** Removes a tenant with all its devices and credentials, in bounded batches. NOT_FOUND; PRECONDITION_FAILED. */
  deleteTenant(tenantId: string, options?: WritePrecondition): Promise<void>;
}

/** Who creates a device, and the tenant's limit on devices. */
export interface DeviceCreation {
  /** `status.last-user`: the token id, `amqp:<principal>`, `auto-provisioning` … */
  readonly user: string;
  /** The tenant's `registration-limits.max-devices`; -1: no limit. */
  readonly maxDevices: number;
  /** Created by a gateway's auto-provisioning: `status.auto-provisioned`. */
  readonly provisioned?: boolean;
}

/** Who changes a device, and on which condition. */
export interface DeviceChange {
  readonly user: string;
  /** The If-Match argument of model/version.ts (`ifMatchArg`): '' for an unconditional write. */
  readonly ifMatch: string;
}

export interface DeviceStore {
  /**
   * Stores a new device (its body: a JSON object without `status`) with its status and search
   * index entries; answers its version. TENANT NOT_FOUND; CONFLICT when the device exists or is
   * denied; FORBIDDEN when the tenant has `maxDevices` devices already.
   */
  createDevice(tenantId: string, deviceId: string, body: string, creation: DeviceCreation): Promise<string>;
  /** The stored record (the registration data with the registry's `status`). NOT_FOUND for an unknown tenant or device. */
  getDevice(tenantId: string, deviceId: string): Promise<string>;
  /**
   * Replaces a device's data (its status keeps `created` and the auto-provisioning flags); answers
   * the new version. NOT_FOUND for an unknown tenant or device; PRECONDITION_FAILED when the
   * condition does not hold (nothing changes).
   */
  updateDevice(tenantId: string, deviceId: string, body: string, change: DeviceChange): Promise<string>;
  /**
   * Deletes a device onto the tenant's denied list: the registration is kept on the denied entry,
   * its credentials are destroyed and their identities stay reserved. NOT_FOUND;
   * PRECONDITION_FAILED when `ifMatch` (as in DeviceChange) does not hold.
   */
  denyDevice(tenantId: string, deviceId: string, deniedBy: string, deniedAt: string, ifMatch?: string): Promise<void>;
  /** Denies several devices as denyDevice does, in one atomic step; ids that are not live are skipped. Answers how many it denied. NOT_FOUND (tenant). */
  denyDevices(tenantId: string, deviceIds: readonly string[], deniedBy: string, deniedAt: string): Promise<number>;
  /**
   * Up to `count` denied device ids after `cursor` (exclusive; '' = from the start) in id order,
   * and the cursor of the next page ('' = none). NOT_FOUND for an unknown tenant.
   */
  listDeniedDevices(tenantId: string, cursor: string, count: number): Promise<{ ids: string[]; cursor: string }>;
  /** Takes a device off the denied list: `restore` brings its registration back, `purge` forgets it. NOT_FOUND. */
  releaseDeniedDevice(tenantId: string, deviceId: string, mode: 'restore' | 'purge'): Promise<void>;
  /** Hot path: registration data of several devices of one tenant (null where unknown), one round trip. */
  lookupDevices(tenantId: string, deviceIds: readonly string[]): Promise<(string | null)[]>;
}

/** A lexicographic range of a tenant's field index (model/device-index.ts FieldRange). */
export interface IndexRange {
  readonly min: Buffer;
  readonly max: Buffer;
}

/**
 * The search indexes of a tenant's live devices (docs/storage.md): reads only, each one round trip
 * (pipelined where several). An unknown tenant has empty indexes.
 */
export interface DeviceIndexStore {
  /** How many live devices the tenant has (its id index). */
  countDevices(tenantId: string): Promise<number>;
  /** Device ids in id order (`reverse`: descending), after `after` (exclusive) or from the start, skipping `offset`. */
  deviceIds(tenantId: string, page: { after?: string; offset: number; count: number; reverse: boolean }): Promise<string[]>;
  /** The rank (position in id order, from 0) of each device id; null for one that is not a live device. */
  deviceRanks(tenantId: string, deviceIds: readonly string[]): Promise<(number | null)[]>;
  /** Device ids whose id starts with `prefix`, in id order, up to `count`. */
  deviceIdsWithPrefix(tenantId: string, prefix: string, count: number): Promise<string[]>;
  /** The number of field index entries in each range. */
  countEntries(tenantId: string, ranges: readonly IndexRange[]): Promise<number[]>;
  /** Field index entries of a range in order (`reverse`: descending), skipping `offset`, up to `count`. */
  entries(tenantId: string, range: IndexRange, offset: number, count: number, reverse?: boolean): Promise<string[]>;
  /** Up to `count` ids of devices the field index does not cover (they are checked one by one). */
  unindexedDevices(tenantId: string, count: number): Promise<string[]>;
  /** Up to `count` ids that a live device names in `via`, with the count (not necessarily devices themselves). */
  viaTargets(tenantId: string, count: number): Promise<string[]>;
  /** The members of gateway groups: the live devices whose `memberOf` holds one of the groups. One round trip. */
  groupMembers(tenantId: string, groups: readonly string[]): Promise<string[]>;
  /** Indexes the tenant's devices that are not indexed yet (records from before the indexes); answers how many. */
  indexDevices(tenantId: string): Promise<number>;
}

export interface CredentialsStore {
  /**
   * TENANT NOT_FOUND; CONFLICT when (type, auth-id) exists in the tenant; FORBIDDEN when the device
   * has `limit` records already (-1, the default: no limit).
   */
  addCredentials(tenantId: string, type: string, authId: string, deviceId: string, json: string, limit?: number): Promise<void>;
  /** NOT_FOUND for an unknown tenant or record. */
  getCredentials(tenantId: string, type: string, authId: string): Promise<string>;
  /** Records naming the device, in the order they were added. NOT_FOUND for an unknown tenant; [] when none. */
  getDeviceCredentials(tenantId: string, deviceId: string): Promise<string[]>;
  /** Replaces a record; the device it names may change. NOT_FOUND for an unknown tenant or record. */
  updateCredentials(tenantId: string, type: string, authId: string, deviceId: string, json: string): Promise<void>;
  /** NOT_FOUND for an unknown tenant or record. */
  deleteCredentials(tenantId: string, type: string, authId: string): Promise<void>;
  /** Deletes every record naming the device. NOT_FOUND for an unknown tenant or when there is none. */
  deleteDeviceCredentials(tenantId: string, deviceId: string): Promise<void>;
  /** Hot path: one record by (type, auth-id), or null. One round trip. */
  lookupCredentials(tenantId: string, type: string, authId: string): Promise<string | null>;
  /**
   * Auto-provisioning: creates the device (kept when it exists; with its status and index entries)
   * and its credentials atomically. CONFLICT when the credentials exist, the device is denied or
   * the identity is reserved; FORBIDDEN when a new device would exceed `maxDevices` (-1: no limit).
   */
  provisionDevice(tenantId: string, deviceId: string, deviceBody: string, type: string, authId: string, credentialsJson: string, maxDevices: number): Promise<void>;
}

/** One record of a credentials set to store. */
export interface CredentialsSetRecord {
  readonly type: string;
  readonly authId: string;
  readonly json: string;
}

/** A page of credentials search results: how many the range holds, and the entries of the page. */
export interface CredentialsPage {
  readonly total: number;
  /** In index order: each search member with its record (null when it was deleted while the page was read). */
  readonly entries: readonly { readonly member: string; readonly json: string | null }[];
}

/** A device's credentials as one set (the /v1 face). */
export interface CredentialsSetStore {
  /** The device's records in index order; [] when it has none. NOT_FOUND naming the tenant or the device. One round trip. */
  getCredentialsSet(tenantId: string, deviceId: string): Promise<string[]>;
  /**
   * Replaces every record of the device by `records`, in one atomic step, if its set still has the
   * version `expected` (credentialsVersion of what getCredentialsSet answered); false, writing
   * nothing, when it changed meanwhile. NOT_FOUND naming the tenant or the device; CONFLICT when
   * an identity belongs to another device of the tenant or is reserved by a denied one.
   */
  replaceCredentialsSet(tenantId: string, deviceId: string, expected: string, records: readonly CredentialsSetRecord[]): Promise<boolean>;
  /**
   * A page (`offset`, `count`) of the tenant's credentials whose search member (keys.credentialSearchMembers)
   * starts with `prefix`, in the order of the members; with `after`, only members after that one.
   * `total` counts the whole range. NOT_FOUND naming an unknown tenant.
   */
  searchCredentials(tenantId: string, prefix: string, offset: number, count: number, after?: string): Promise<CredentialsPage>;
}

export interface DeviceConnectionStore {
  /** Records the gateway a device last connected through (JSON). One round trip. */
  setLastGateway(tenantId: string, deviceId: string, json: string): Promise<void>;
  /** The stored JSON, or null. One round trip. */
  getLastGateway(tenantId: string, deviceId: string): Promise<string | null>;
}

/** One device of a bulk import: its registration JSON (undefined: leave it alone) and credentials JSON. */
export interface ImportDevice {
  readonly deviceId: string;
  readonly json: string | undefined;
  readonly credentials: readonly { readonly type: string; readonly authId: string; readonly json: string }[];
}

/**
 * What a bulk import did with one device. Conflicts write nothing of the device:
 * DENIED, DEVICE_DIFFERS, RESERVED / CREDENTIALS_DIFFER / OWNED (for credential `index`, owned by `owner`).
 */
export type ImportVerdict =
  | { readonly outcome: 'created' | 'updated' | 'replaced' | 'unchanged' }
  | { readonly conflict: 'DENIED' | 'DEVICE_DIFFERS' | 'RESERVED' | 'CREDENTIALS_DIFFER' | 'OWNED'; readonly index?: number; readonly owner?: string };

/** A page of a hash scan: the next cursor ('0' at the end) and [field, value] pairs. */
export interface ScanPage {
  readonly cursor: string;
  readonly entries: readonly (readonly [string, string])[];
}

export interface TransferStore {
  /**
   * Writes many devices of one tenant with their credentials, each device all-or-nothing; records
   * equal to the stored ones are left alone, differing ones are conflicts unless `replace`.
   * One script call; callers keep many in flight. NOT_FOUND for an unknown tenant.
   */
  importDevices(tenantId: string, devices: readonly ImportDevice[], replace: boolean): Promise<ImportVerdict[]>;
  /** A page of the stored tenants (tenant id → JSON). */
  scanTenants(cursor: string, count: number): Promise<ScanPage>;
  /** A page of a tenant's registrations (device id → JSON). */
  scanDevices(tenantId: string, cursor: string, count: number): Promise<ScanPage>;
  /** A page of a tenant's credentials records (field → JSON). */
  scanCredentials(tenantId: string, cursor: string, count: number): Promise<ScanPage>;
  /** A page of the tenant's device → credential fields index (device id → JSON array of fields). */
  scanCredentialIndex(tenantId: string, cursor: string, count: number): Promise<ScanPage>;
  /** The credentials records of several devices, in two round trips; [] where a device has none. */
  credentialsOfDevices(tenantId: string, deviceIds: readonly string[]): Promise<string[][]>;
}

export interface LimiterPolicy {
  /** Failures counted within this window… */
  readonly windowMs: number;
  /** …block the client address once they reach this number… */
  readonly limit: number;
  /** …for this long. */
  readonly blockMs: number;
}

/** One audit record (all values are strings on the wire). */
export interface AuditEntry {
  readonly id?: string;
  readonly time: string;
  readonly token: string;
  readonly tenant?: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: string;
}

export interface AuditQuery {
  /** Only entries of these tenants (undefined: all). */
  readonly tenants?: readonly string[];
  readonly limit: number;
  /** Stream id: only entries older than this one (paging). */
  readonly before?: string;
}

export interface SecurityStore {
  /** One round trip: how long the client address is still blocked (0: not), and the token record (looked up while blocked too). */
  authenticate(hashHex: string, clientKey: string): Promise<{ blockedMs: number; json: string | null }>;
  /** Counts a failed authentication (not while the address is blocked); answers the block this failure started (0: none). */
  recordAuthFailure(clientKey: string, policy: LimiterPolicy): Promise<number>;
  /**
   * Stores a token record under the keyed hash of its value; Redis expires it at `expiresAtMs`.
   * With `parentId` (the token that mints it), only while that token exists: false when it does not.
   */
  saveToken(hashHex: string, id: string, json: string, expiresAtMs: number, parentId?: string): Promise<boolean>;
  /** Every unexpired token record, with when it was last used. */
  listTokens(): Promise<{ json: string; lastUsed: string | undefined }[]>;
  /**
   * Revokes the token and every token it minted, directly or not, in one atomic step; answers
   * their ids (the token first), empty when there is no such token.
   */
  revokeToken(id: string): Promise<string[]>;
  /** Start-up: records which token minted which for tokens saved before that was recorded. */
  indexTokenParents(): Promise<void>;
  touchToken(id: string, at: string): Promise<void>;
  /** Stores a console session under the keyed hash of its id, for `ttlMs` (the idle timeout, or less). */
  saveSession(hashHex: string, json: string, ttlMs: number): Promise<void>;
  /**
   * One round trip: the session's JSON, extended by `idleMs` (never past its end), while its token
   * is valid; null (and the session deleted) once the token was revoked or the session ended.
   */
  resumeSession(hashHex: string, nowMs: number, idleMs: number): Promise<string | null>;
  /** Deletes a session; answers its JSON, null when there was none. */
  deleteSession(hashHex: string): Promise<string | null>;
  /** Appends to the bounded audit stream. */
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  readAudit(query: AuditQuery): Promise<AuditEntry[]>;
}

/** One pending notification: its stream id (time of the write, order) and Hono's field values (lua/outbox.ts). */
export interface OutboxEntry {
  readonly id: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** How much an outbox holds, and the write time (ms) of its oldest entry. */
export interface OutboxBacklog {
  readonly outbox: string;
  readonly pending: number;
  readonly oldestMs: number | undefined;
}

/**
 * The notification outboxes (docs/notifications.md). An outbox is named by its key; the write
 * scripts fill them, these methods deliver them. Entries leave an outbox only through `ackOutbox`.
 */
export interface OutboxStore {
  /** The doorbell: records that the outbox may hold pending entries. */
  ringOutbox(outbox: string): Promise<void>;
  /** Up to `count` outboxes from the doorbell set, in random order (instances spread over them). */
  pendingOutboxes(count: number): Promise<string[]>;
  /** SCANs every node for outboxes holding entries and rings their doorbell; answers them. Reads every key name: not for the hot path. */
  sweepOutboxes(): Promise<string[]>;
  /** Takes or renews the lease of an outbox for `ms`; false when another owner holds it. */
  leaseOutbox(outbox: string, owner: string, ms: number): Promise<boolean>;
  releaseOutbox(outbox: string, owner: string): Promise<void>;
  /** The oldest `count` entries, oldest first. */
  readOutbox(outbox: string, count: number): Promise<OutboxEntry[]>;
  /** Removes delivered entries and renews the lease; the entries left, or undefined when the lease is lost (nothing removed). */
  ackOutbox(outbox: string, owner: string, ids: readonly string[], leaseMs: number): Promise<number | undefined>;
  /** Takes the outbox off the doorbell unless it still holds entries; answers how many it holds. */
  settleOutbox(outbox: string): Promise<number>;
  /** Pending entries and the oldest entry's time of each outbox (two commands per outbox). */
  outboxBacklog(outboxes: readonly string[]): Promise<OutboxBacklog[]>;
}

export interface StoreLifecycle {
  /** True once the store has been initialised (the seed tenant created). */
  isInitialised(): Promise<boolean>;
  markInitialised(): Promise<void>;
  /** Finishes tenant deletions an earlier process did not complete and restores missing tenant markers. */
  recover(): Promise<void>;
  /**
   * Reads every key, index and record and reports what does not fit together (the operator's
   * `device-registry check`). With `fix`, repairs what can be repaired safely while registries
   * keep running, runs `recover`, and reports what remains. Reads everything: not for the hot path.
   */
  checkConsistency(fix: boolean): Promise<ConsistencyReport>;
  /** Resolves when the store answers a PING. UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** What the console's overview shows of Redis (docs/console.md). */
export interface RedisStatus {
  readonly mode: 'standalone' | 'cluster';
  /** The server version (of the first master, on a cluster). */
  readonly version: string;
  /** Masters that answered. */
  readonly masters: number;
  /** Memory in use, all masters added up. */
  readonly usedMemoryBytes: number;
}

/** Figures for the console's overview: cheap reads (one command per master), never on the hot path. */
export interface StoreOverview {
  /** UNAVAILABLE when Redis does not answer. */
  status(): Promise<RedisStatus>;
  countTenants(): Promise<number>;
}

/** What the consistency check can find (docs/reliability.md describes each). */
export type FindingKind =
  | 'unknown-key' | 'corrupt-record'
  | 'tenant-without-marker' | 'tenant-creation-unfinished' | 'tenant-deletion-unfinished' | 'stale-creation-entry'
  | 'marker-without-tenant' | 'data-without-tenant'
  | 'ca-index-dangling' | 'ca-index-missing' | 'tenant-cas-dangling' | 'alias-index-dangling' | 'alias-index-missing'
  | 'credentials-not-indexed' | 'index-entry-dangling' | 'credentials-of-denied-device'
  | 'device-live-and-denied' | 'denied-index-mismatch' | 'denied-identity-dangling' | 'credentials-search-mismatch'
  | 'device-not-indexed' | 'device-index-dangling';

export interface ConsistencyFinding {
  readonly kind: FindingKind;
  readonly detail: string;
  readonly tenant?: string;
  readonly key?: string;
  /** Whether `check --fix` repairs it. */
  readonly repairable: boolean;
}

export interface ConsistencyReport {
  /** Findings in all (after the repairs, with `fix`). */
  readonly total: number;
  readonly counts: Partial<Record<FindingKind, number>>;
  /** Up to 100 findings of each kind. */
  readonly findings: readonly ConsistencyFinding[];
  /** Repairs that changed something (or were left to recovery). */
  readonly fixed: number;
  /** With `fix`: the counts found before repairing. */
  readonly before?: Partial<Record<FindingKind, number>>;
}

export type Store = TenantStore & DeviceStore & DeviceIndexStore & CredentialsStore & CredentialsSetStore & DeviceConnectionStore & SecurityStore & TransferStore & OutboxStore
  & StoreLifecycle & StoreOverview;
