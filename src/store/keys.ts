/**
 * Every Redis key the registry uses is built here, and nowhere else.
 *
 * Layout (Redis Cluster ready):
 * - registry-wide records live under the hash tag `{~registry}`: the tenants, the CA subject-DN
 *   indexes, the tenant aliases and the tenants being deleted. Tenant operations that must check CA uniqueness are
 *   therefore single-slot scripts, and `get tenant by CA` is one round trip.
 * - everything of one tenant shares the hash tag `{<escaped tenant id>}`: devices, credentials,
 *   the device → credentials index and the tenant's liveness marker.
 * - every slot that holds records Hono announces has a notification outbox (`outbox:{…}`, a
 *   stream): the write scripts of that slot append to it in the same step (lua/outbox.ts), so a
 *   change and its notification are one atomic write on a server or a cluster. Tenant changes run
 *   in `{~registry}` and go to its outbox; device and credentials changes go to their tenant's.
 *   A new write script gets its outbox key from `outboxFor` (the runner appends it), never by hand.
 * Ids are percent-escaped so that `{`, `}`, `:` or `%` in an id can never move a key into another
 * tenant's slot or make two keys collide. `~` is always escaped, so no tenant tag equals `~registry`.
 */

const SAFE = /^[A-Za-z0-9._-]$/;
const ALL_SAFE = /^[A-Za-z0-9._-]*$/;

/** Escapes an id for use inside a key: anything but [A-Za-z0-9._-] becomes %XX (UTF-8 bytes). */
export function escapeId(id: string): string {
  // Nearly every id needs no escaping: one match of the whole id (every lookup builds a key), no work per character.
  if (ALL_SAFE.test(id)) return id;
  let out = '';
  for (const ch of id) {
    if (SAFE.test(ch)) {
      out += ch;
    } else {
      for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

const REGISTRY_TAG = '{~registry}';
/** Tokens, console sessions, the bad-authentication limiter and the audit trail share one slot. */
const AUTH_TAG = '{~auth}';

function tenantTag(tenantId: string): string {
  return `{${escapeId(tenantId)}}`;
}

export const keys = Object.freeze({
  /** Hash: tenant id → stored tenant JSON. */
  tenants: (): string => `tenants:${REGISTRY_TAG}`,
  /** Hash: tenant id → JSON array of the DN keys of its trusted CAs. */
  tenantCas: (): string => `tenant-cas:${REGISTRY_TAG}`,
  /** Hash: CA subject DN key (see model/dn) → id of the one tenant that has it. */
  caIndex: (): string => `ca-index:${REGISTRY_TAG}`,
  /** Hash: CA subject DN key → JSON array of the ids of the tenants of one trust-anchor group that share it (two or more). */
  caShared: (): string => `ca-shared:${REGISTRY_TAG}`,
  /** Hash: tenant alias → tenant id. */
  tenantAliases: (): string => `tenant-aliases:${REGISTRY_TAG}`,
  /** Hash: tenant id → tenant JSON, for tenants whose data is still being removed. */
  tenantsDeleting: (): string => `tenants-deleting:${REGISTRY_TAG}`,
  /** Hash: tenant id → creation start (ms, Redis clock) while its marker is being written. */
  tenantsCreating: (): string => `tenants-creating:${REGISTRY_TAG}`,
  /** String: set once when the store was first initialised (seeds DEFAULT_TENANT). */
  initialised: (): string => `initialised:${REGISTRY_TAG}`,

  /** String (expires with the token): HMAC of the token value → token record JSON. */
  token: (hashHex: string): string => `token:${AUTH_TAG}:${hashHex}`,
  /** Hash: token id → HMAC hex of its value (listing and revocation by id). */
  tokenIds: (): string => `token-ids:${AUTH_TAG}`,
  /** Hash: token id → ISO time it was last used. */
  tokenLastUsed: (): string => `token-last-used:${AUTH_TAG}`,
  /** Hash: token id → id of the token that minted it (for tokens minted by tokens): revocation takes the descendants too. */
  tokenParents: (): string => `token-parents:${AUTH_TAG}`,
  /** Counter (expires): failed authentications of one client address. */
  authFailures: (client: string): string => `auth-failures:${AUTH_TAG}:${escapeId(client)}`,
  /** String (expires): the client address is blocked after too many failures. */
  authBlocked: (client: string): string => `auth-blocked:${AUTH_TAG}:${escapeId(client)}`,
  /**
   * String (expires when idle, and with its token at the latest): HMAC of a console session id →
   * the session JSON (its token's id and stored hash, scopes, tenants, end; never a token value).
   */
  session: (hashHex: string): string => `session:${AUTH_TAG}:${hashHex}`,
  /** Stream (bounded): the audit trail of management changes. */
  audit: (): string => `audit:${AUTH_TAG}`,

  /** String: exists while the tenant accepts device and credential writes. */
  tenantMarker: (tenantId: string): string => `tenant:${tenantTag(tenantId)}`,
  /** Hash: device id → registration data JSON. */
  devices: (tenantId: string): string => `devices:${tenantTag(tenantId)}`,
  /** Hash: credentialField(type, auth-id) → credentials JSON. */
  credentials: (tenantId: string): string => `credentials:${tenantTag(tenantId)}`,
  /** Hash: device id → JSON array of the credential fields that name the device. */
  deviceCredentials: (tenantId: string): string => `device-credentials:${tenantTag(tenantId)}`,
  /** Sorted set (all scores 0): the two credentialSearchMembers of every credentials record, for search by auth-id and by type. */
  credentialsSearch: (tenantId: string): string => `credentials-search:${tenantTag(tenantId)}`,
  /** Hash: denied device id → `{"data", "denied-at", "denied-by", "identities"}` JSON. */
  deniedDevices: (tenantId: string): string => `denied-devices:${tenantTag(tenantId)}`,
  /** Sorted set (all scores 0): the denied device ids, for paging in id order. */
  deniedIndex: (tenantId: string): string => `denied-index:${tenantTag(tenantId)}`,
  /** Hash: credential field (type + auth-id) → denied device id that keeps it reserved. */
  deniedIdentities: (tenantId: string): string => `denied-identities:${tenantTag(tenantId)}`,
  /** Hash: device id → `{"gateway-id", "last-updated"}` JSON (Device Connection API). */
  lastGateways: (tenantId: string): string => `last-gateways:${tenantTag(tenantId)}`,

  /** Stream: the tenant's pending device and credentials notifications, oldest first. Outlives the tenant until delivered. */
  outbox: (tenantId: string): string => `outbox:${tenantTag(tenantId)}`,
  /** String (expires): the registry instance delivering the tenant's outbox. */
  outboxLease: (tenantId: string): string => `outbox-lease:${tenantTag(tenantId)}`,
  /** Stream: the pending tenant notifications (tenant scripts run in this slot). */
  registryOutbox: (): string => `outbox:${REGISTRY_TAG}`,
  /** String (expires): the registry instance delivering the registry outbox. */
  registryOutboxLease: (): string => `outbox-lease:${REGISTRY_TAG}`,
  /** Set: outbox keys that may hold pending entries (a doorbell rung after writes; a sweep finds the rest). */
  pendingOutboxes: (): string => `pending-outboxes:${REGISTRY_TAG}`,
  // The search indexes of the tenant's live devices (docs/storage.md, model/device-index.ts),
  // maintained by the scripts that write the devices.
  /** Sorted set (all scores 0): the live device ids, for paging in id order and the count. */
  deviceIds: (tenantId: string): string => `device-ids:${tenantTag(tenantId)}`,
  /** Sorted set (all scores 0): `<json pointer>\0<typed value>\0<device id>` per indexed leaf. */
  deviceFields: (tenantId: string): string => `device-fields:${tenantTag(tenantId)}`,
  /** Sorted set (all scores 0): ids of devices whose leaves are not all indexed (searches check them one by one). */
  deviceUnindexed: (tenantId: string): string => `device-unindexed:${tenantTag(tenantId)}`,
  /** Hash: gateway id → how many live devices name it in `via` (the gateways of isGateway). */
  viaRefs: (tenantId: string): string => `via-refs:${tenantTag(tenantId)}`,
});

/** The outbox of the slot a key lives in: where a write script touching that key appends its notifications. */
export function outboxFor(slotKey: string): string {
  const tag = /\{[^{}]+\}/.exec(slotKey)?.[0];
  if (tag === undefined) throw new Error('a key without a hash tag has no outbox');
  return `outbox:${tag}`;
}

/** The lease key of an outbox: held by the one registry instance that delivers it. */
export function leaseOf(outboxKey: string): string {
  return `outbox-lease:${outboxKey.slice('outbox:'.length)}`;
}

/** The tenant whose devices an outbox announces, or undefined for the registry outbox (tenant changes). */
export function outboxTenant(outboxKey: string): string | undefined {
  return outboxKey === keys.registryOutbox() ? undefined : parseKey(outboxKey)?.tenant;
}

/** The hash field of a credentials record: the type escaped (so it holds no `:`), then the auth-id. */
export function credentialField(type: string, authId: string): string {
  return `${escapeId(type)}:${authId}`;
}

/**
 * The members of a credentials record in the tenant's credentialsSearch set: `a\0<auth-id>\0<type>`
 * and `t\0<type>\0<auth-id>` (type escaped as in credentialField; ids hold no control characters),
 * so that one lexicographic range holds an auth-id (or its prefix) and one a type. The Lua scripts
 * derive the same members from the field (SEARCH_HELPERS in lua/scripts.ts; a test compares them).
 */
export function credentialSearchMembers(type: string, authId: string): [byAuthId: string, byType: string] {
  return credentialSearchMembersOf(credentialField(type, authId));
}

/** credentialSearchMembers of a record by its credentialField. */
export function credentialSearchMembersOf(field: string): [byAuthId: string, byType: string] {
  const sep = field.indexOf(':');
  const escapedType = field.slice(0, sep);
  const authId = field.slice(sep + 1);
  return [`a\0${authId}\0${escapedType}`, `t\0${escapedType}\0${authId}`];
}

/**
 * The search-member prefix (see credentialSearchMembers) of the records whose auth-id is `authId`
 * (`whole`) or starts with it; of the records of `type` whose auth-id starts with `authIdPrefix`;
 * or of the records whose type starts with `typePrefix`.
 */
export function credentialSearchPrefix(query: { authId: string; whole: boolean } | { type: string; authIdPrefix: string } | { typePrefix: string }): string {
  if ('typePrefix' in query) return `t\0${escapeId(query.typePrefix)}`;
  if ('type' in query) return `t\0${escapeId(query.type)}\0${query.authIdPrefix}`;
  return `a\0${query.authId}${query.whole ? '\0' : ''}`;
}

/**
 * The least string greater than every string that starts with `prefix` (its last code point
 * incremented): with `prefix` itself, the bounds of a lexicographic range in Redis (UTF-8 byte
 * order is code point order). `prefix` must not be empty.
 */
export function lexSuccessor(prefix: string): string {
  const chars = [...prefix];
  const last = (chars.pop() as string).codePointAt(0) as number;
  // U+10FFFF has no successor: the shorter prefix's successor bounds the range too.
  if (last === 0x10ffff) return lexSuccessor(chars.join(''));
  return chars.join('') + String.fromCodePoint(last === 0xd7ff ? 0xe000 : last + 1);
}

/** Every hash that holds data of one tenant, in the order a tenant purge empties them. */
export function tenantDataKeys(tenantId: string): string[] {
  return [
    keys.credentials(tenantId), keys.deviceCredentials(tenantId), keys.devices(tenantId), keys.lastGateways(tenantId),
    keys.deniedDevices(tenantId), keys.deniedIdentities(tenantId), keys.viaRefs(tenantId),
  ];
}

/** Every sorted set of one tenant (members only, no values): a purge unlinks them whole. */
export function tenantSortedSets(tenantId: string): string[] {
  return [keys.deniedIndex(tenantId), keys.deviceIds(tenantId), keys.deviceFields(tenantId), keys.deviceUnindexed(tenantId), keys.credentialsSearch(tenantId)];
}

/** The keys of a tenant's device search indexes, in the order the device scripts take them. */
export function deviceIndexKeys(tenantId: string): string[] {
  return [keys.deviceIds(tenantId), keys.deviceFields(tenantId), keys.deviceUnindexed(tenantId), keys.viaRefs(tenantId)];
}

/** Reverses escapeId; undefined when the text is not an escaped id escapeId would produce. */
export function unescapeId(escaped: string): string | undefined {
  try {
    const id = decodeURIComponent(escaped);
    return escapeId(id) === escaped ? id : undefined;
  } catch {
    return undefined;
  }
}

/** What a key of the layout above is: its builder's name, and the tenant it belongs to, if any. */
export interface KeyInfo {
  readonly kind: string;
  readonly tenant?: string;
}

const TENANT_KEY_KINDS = [
  'tenantMarker', 'devices', 'credentials', 'deviceCredentials', 'credentialsSearch', 'deniedDevices', 'deniedIndex', 'deniedIdentities', 'lastGateways', 'outbox', 'outboxLease',
  'deviceIds', 'deviceFields', 'deviceUnindexed', 'viaRefs',
] as const;
const GLOBAL_KEY_KINDS = [
  'tenants', 'tenantCas', 'caIndex', 'caShared', 'tenantAliases', 'tenantsDeleting', 'tenantsCreating', 'initialised', 'tokenIds', 'tokenLastUsed', 'tokenParents', 'audit',
  'registryOutbox', 'registryOutboxLease', 'pendingOutboxes',
] as const;
/** Key kinds of a tenant that stay after the tenant is deleted: its notifications are still to be delivered. */
export const OUTLIVE_TENANT: ReadonlySet<string> = new Set(['outbox', 'outboxLease']);
const CLIENT_KEY_KINDS = ['authFailures', 'authBlocked'] as const;
const HASH_KEY_KINDS = ['token', 'session'] as const;
const KEY_SHAPE = /^[a-z-]+:\{([^{}]+)\}(?::(.*))?$/s;

/**
 * Classifies a Redis key: undefined when no builder of `keys` produces it (a key outside the
 * layout). Each candidate is rebuilt with the builder and compared, so the layout is stated once.
 */
export function parseKey(key: string): KeyInfo | undefined {
  const match = KEY_SHAPE.exec(key);
  if (match === null) return undefined;
  const [, tag = '', suffix] = match;
  for (const kind of GLOBAL_KEY_KINDS) if (keys[kind]() === key) return { kind };
  if (suffix !== undefined) {
    if (/^[0-9a-f]{64}$/.test(suffix)) for (const kind of HASH_KEY_KINDS) if (keys[kind](suffix) === key) return { kind };
    const client = unescapeId(suffix);
    for (const kind of CLIENT_KEY_KINDS) if (client !== undefined && keys[kind](client) === key) return { kind };
    return undefined;
  }
  const tenant = unescapeId(tag);
  if (tenant === undefined) return undefined;
  for (const kind of TENANT_KEY_KINDS) if (keys[kind](tenant) === key) return { kind, tenant };
  return undefined;
}
