/**
 * A device's credentials as the /v1 management API sees them (docs/management-v1.md,
 * "Credentials"): the view a GET answers (no confidential secret members, every secret with an
 * `id`) and the update a PUT makes (the set is replaced; a secret sent with the `id` of a stored
 * one keeps the stored confidential members the client left out). The stored records keep the
 * legacy shape (model/credentials.ts), so both faces and the AMQP lookups read the same records.
 *
 * Pure module: no I/O.
 */
import { badRequest } from '../errors.js';
import type { CredentialsRecord, JsonObject, Secret } from './credentials.js';

/** The members of a /v1 credentials object, in the order they are written. */
const CREDENTIALS_MEMBERS = ['type', 'auth-id', 'enabled', 'ext', 'comment', 'secrets'] as const;
/** Secret members every type shows. */
const SECRET_COMMON = ['id', 'enabled', 'not-before', 'not-after', 'comment'] as const;

/**
 * The types whose shape Hono 2.7 defines: the secret members a GET shows, and the confidential
 * ones a secret sent back with its `id` keeps (taken as a group: `all`, or one by one: `each`).
 */
const KNOWN_TYPES: Readonly<Record<string, { shown: readonly string[]; kept: readonly string[]; keep: 'all' | 'each'; sent: readonly string[] }>> = {
  // A new password (plain or hashed) replaces the stored hash, salt and function together.
  'hashed-password': { shown: [], kept: ['hash-function', 'pwd-hash', 'salt'], keep: 'all', sent: ['pwd-plain', 'pwd-hash', 'hash-function'] },
  psk: { shown: [], kept: ['key'], keep: 'each', sent: ['key'] },
  // The public key is not a secret, but GET leaves out `key` for every type (issue 13); its algorithm shows.
  rpk: { shown: ['algorithm'], kept: ['key', 'algorithm'], keep: 'each', sent: ['key', 'algorithm'] },
  'x509-cert': { shown: [], kept: [], keep: 'each', sent: [] },
};

/** Whether the registry knows the type's shape; other types are kept and shown as they are. */
export function isKnownType(type: string): boolean {
  return Object.hasOwn(KNOWN_TYPES, type);
}

/** A credentials object of a /v1 PUT body, after validation and type-specific preparation. */
export interface CredentialsInput extends JsonObject {
  type: string;
  'auth-id': string;
  enabled?: boolean;
  ext?: JsonObject;
  comment?: string;
  secrets: Secret[];
}

/**
 * The `id` of each secret of a stored record: its stored `id` when that is a non-empty string no
 * other secret of the record has; otherwise one derived from its position (records written by
 * the legacy face carry no ids), which stays the same as long as the record does.
 */
export function secretIds(secrets: readonly Secret[]): string[] {
  const stored = secrets.map((s) => (typeof s.id === 'string' && s.id !== '' ? s.id : undefined));
  const usable = stored.map((id) => (id !== undefined && stored.indexOf(id) === stored.lastIndexOf(id) ? id : undefined));
  const taken = new Set(usable.filter((id): id is string => id !== undefined));
  return usable.map((id, i) => {
    if (id !== undefined) return id;
    let derived = `secret-${i}`;
    while (taken.has(derived)) derived = `${derived}-`;
    taken.add(derived);
    return derived;
  });
}

/** The secret as GET shows it: common members and the type's public ones, with its id. */
function secretView(type: string, secret: Secret, id: string): JsonObject {
  const known = KNOWN_TYPES[type];
  if (known === undefined) return { ...secret, id };
  const view: JsonObject = { id };
  for (const name of [...SECRET_COMMON, ...known.shown]) {
    if (name !== 'id' && secret[name] !== undefined) view[name] = secret[name];
  }
  return view;
}

/**
 * The /v1 view of a stored record (Hono 2.7 getAllCredentials): no `device-id`, no confidential
 * secret members, `enabled` filled in. For known types, top-level members the /v1 schema does not
 * know (written by the legacy face, e.g. `client-id`) are shown inside `ext`, whose own members
 * win on a clash; records of other types are shown as they are.
 */
export function credentialsView(record: CredentialsRecord): JsonObject {
  const ids = secretIds(record.secrets);
  const secrets = record.secrets.map((s, i) => secretView(record.type, s, ids[i] as string));
  const { 'device-id': _device, ...rest } = record;
  if (!isKnownType(record.type)) return { ...rest, enabled: record.enabled ?? true, secrets };
  const extras: JsonObject = {};
  for (const [name, value] of Object.entries(rest)) {
    if (!(CREDENTIALS_MEMBERS as readonly string[]).includes(name) || (name === 'ext' && !isObject(value))) extras[name] = value;
  }
  const ext = { ...extras, ...(isObject(record.ext) ? record.ext : {}) };
  const view: JsonObject = { type: record.type, 'auth-id': record['auth-id'], enabled: record.enabled ?? true };
  if (Object.keys(ext).length > 0) view.ext = ext;
  if (record.comment !== undefined) view.comment = record.comment;
  view.secrets = secrets;
  return view;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The identity of a record within a tenant. */
const identity = (type: string, authId: string): string => JSON.stringify([type, authId]);

/**
 * A secret sent with the `id` of a stored one: the stored confidential members are kept where the
 * client sent none (Hono's patch mode); everything else comes from what was sent.
 */
export function mergeSecret(type: string, sent: Secret, stored: Secret): Secret {
  const known = KNOWN_TYPES[type];
  if (known === undefined) {
    // Other types: a secret sent with nothing but common members keeps every stored member.
    const ownMembers = Object.keys(sent).filter((name) => !(SECRET_COMMON as readonly string[]).includes(name));
    if (ownMembers.length > 0) return sent;
    const keptMembers = Object.entries(stored).filter(([name]) => !(SECRET_COMMON as readonly string[]).includes(name));
    return { ...sent, ...Object.fromEntries(keptMembers) };
  }
  const merged: Secret = { ...sent };
  if (known.keep === 'all') {
    if (known.sent.some((name) => sent[name] !== undefined)) return merged;
    for (const name of known.kept) delete merged[name];
  }
  for (const name of known.kept) {
    if (merged[name] === undefined && stored[name] !== undefined) merged[name] = stored[name];
  }
  return merged;
}

/** The secrets of one credentials object, with ids: new ones get `newId()`, the others are merged. */
function resolveSecrets(input: CredentialsInput, existing: CredentialsRecord | undefined, newId: () => string): Secret[] {
  const where = `${input.type} credentials "${input['auth-id']}"`;
  const storedIds = existing === undefined ? [] : secretIds(existing.secrets);
  const seen = new Set<string>();
  return input.secrets.map((secret) => {
    const id = secret.id;
    if (id === undefined) return { id: newId(), ...secret };
    if (typeof id !== 'string' || seen.has(id)) throw badRequest(`secret ids must be unique within each credentials object (${where})`);
    seen.add(id);
    const index = storedIds.indexOf(id);
    const stored = existing?.secrets[index];
    if (stored === undefined) {
      throw badRequest(`secret id "${id}" matches no stored secret of the ${where}; leave "id" out to add a new secret`);
    }
    return mergeSecret(input.type, secret, stored);
  });
}

/**
 * The records a PUT of `inputs` stores for the device (Hono 2.7 setAllCredentials in patch mode):
 * one per input in request order; stored records not named by (type, auth-id) are dropped.
 * Throws BAD_REQUEST for a repeated (type, auth-id), a repeated secret id, or a secret id that
 * matches no stored secret of the same (type, auth-id).
 */
export function applyCredentialsSet(deviceId: string, stored: readonly CredentialsRecord[], inputs: readonly CredentialsInput[], newId: () => string): CredentialsRecord[] {
  const byIdentity = new Map(stored.map((r) => [identity(r.type, r['auth-id']), r]));
  const named = new Set<string>();
  return inputs.map((input) => {
    const key = identity(input.type, input['auth-id']);
    if (named.has(key)) throw badRequest(`credentials must have unique (type, auth-id); ${input.type} "${input['auth-id']}" is given twice`);
    named.add(key);
    const secrets = resolveSecrets(input, byIdentity.get(key), newId);
    const { type, 'auth-id': authId, enabled, secrets: _secrets, ...rest } = input;
    return { 'device-id': deviceId, type, 'auth-id': authId, enabled: enabled ?? true, ...rest, secrets };
  });
}
