/**
 * Credentials management (docs/amqp-api.md §5.3 – §5.5, §7.5): validation, `pwd-plain` hashing,
 * (tenant, type, auth-id) uniqueness.
 */
import { badRequest, notFound } from '../errors.js';
import {
  lookupAuthId, normaliseAuthId, secretProblems, toHonoBcrypt,
  type CredentialsRecord, type JsonObject, type Secret,
} from '../model/credentials.js';
import type { CredentialsInput } from '../model/credentials-set.js';
import { registrationLimits } from '../model/tenant.js';
import { DnSyntaxError } from '../model/dn.js';
import type { CredentialsStore, TenantStore } from '../store/store.js';
import { validate } from '../validation.js';
import { asObject, rejectProblems } from './body.js';
import type { PasswordHasher } from './password-hasher.js';

export interface CredentialsService {
  /** Adds a record; returns its normalised (type, auth-id). BAD_REQUEST, NOT_FOUND (tenant), CONFLICT, FORBIDDEN (registration-limits). */
  add(tenantId: string, body: unknown): Promise<{ type: string; authId: string }>;
  /** The record as JSON text. NOT_FOUND. */
  get(tenantId: string, authId: string, type: string): Promise<string>;
  /** `{"total": n, "credentials": […]}` as JSON text. NOT_FOUND when the device has none. */
  getByDevice(tenantId: string, deviceId: string): Promise<string>;
  /** Replaces a record; type and auth-id in the body must match the path. BAD_REQUEST, NOT_FOUND. */
  update(tenantId: string, authId: string, type: string, body: unknown): Promise<void>;
  /** NOT_FOUND. */
  remove(tenantId: string, authId: string, type: string): Promise<void>;
  /** Removes every record of the device. NOT_FOUND. */
  removeByDevice(tenantId: string, deviceId: string): Promise<void>;
}

export interface CredentialsOptions {
  readonly maxBcryptCost: number;
  readonly hasher: PasswordHasher;
}

/** Validates a credentials body and shapes the record to store (not hashed yet). BAD_REQUEST. */
export function checkCredentials(body: unknown, maxBcryptCost: number): CredentialsRecord {
  const input = asObject(body, 'the credentials');
  validate('credentials', input);
  const record = input as CredentialsRecord;
  let authId: string;
  try {
    authId = normaliseAuthId(record.type, record['auth-id']);
  } catch (err) {
    if (err instanceof DnSyntaxError) throw badRequest(`auth-id of x509-cert credentials must be a subject DN: ${err.message}`);
    throw err;
  }
  rejectProblems(record.secrets.flatMap((s, i) => secretProblems(record.type, s, `secrets/${i}`, maxBcryptCost)));
  const { 'device-id': deviceId, type, 'auth-id': _a, enabled, secrets, ...extra } = record;
  return { 'device-id': deviceId, type, 'auth-id': authId, enabled: enabled ?? true, ...extra, secrets };
}

/** The record with its bcrypt hashes under Hono's `$2a$` prefix. Plain passwords are left to hashSecrets. */
export function withHonoBcrypt<R extends CredentialsRecord | CredentialsInput>(record: R): R {
  if (!record.secrets.some((s) => s['hash-function'] === 'bcrypt' && s['pwd-hash'] !== undefined)) return record;
  const secrets = record.secrets.map((s) => (s['hash-function'] === 'bcrypt' && s['pwd-hash'] !== undefined ? { ...s, 'pwd-hash': toHonoBcrypt(s['pwd-hash']) } : s));
  return { ...record, secrets };
}

/**
 * Replaces `pwd-plain` by a bcrypt hash and normalises bcrypt prefixes. The plain text is dropped.
 * `known(i)` may supply the stored hash of secret i when it is known to match the plain text.
 */
export async function hashSecrets<R extends CredentialsRecord | CredentialsInput>(record: R, hasher: PasswordHasher, known: (i: number) => string | undefined = () => undefined): Promise<R> {
  const secrets = await Promise.all(
    record.secrets.map(async (secret, i): Promise<Secret> => {
      const { 'pwd-plain': plain, ...rest } = secret;
      return plain === undefined ? rest : { ...rest, 'pwd-hash': known(i) ?? (await hasher.hash(plain)), 'hash-function': 'bcrypt' };
    }),
  );
  return withHonoBcrypt({ ...record, secrets });
}

export function createCredentialsService(store: CredentialsStore & Pick<TenantStore, 'getTenant'>, options: CredentialsOptions): CredentialsService {
  const check = (body: unknown) => checkCredentials(body, options.maxBcryptCost);

  const joinList = (records: readonly string[]) => `{"total":${records.length},"credentials":[${records.join(',')}]}`;

  return {
    async add(tenantId, body) {
      const record = await hashSecrets(check(body), options.hasher);
      const tenant = await store.getTenant(tenantId);
      const limit = tenant === null ? -1 : registrationLimits(JSON.parse(tenant) as JsonObject)['max-credentials-per-device'];
      await store.addCredentials(tenantId, record.type, record['auth-id'], record['device-id'], JSON.stringify(record), limit);
      return { type: record.type, authId: record['auth-id'] };
    },
    get: (tenantId, authId, type) => store.getCredentials(tenantId, type, lookupAuthId(type, authId)),
    async getByDevice(tenantId, deviceId) {
      const records = await store.getDeviceCredentials(tenantId, deviceId);
      if (records.length === 0) throw notFound(`no credentials found for device "${deviceId}"`);
      return joinList(records);
    },
    async update(tenantId, authId, type, body) {
      const record = check(body);
      if (record.type !== type || record['auth-id'] !== lookupAuthId(type, authId)) {
        throw badRequest('"type" and "auth-id" in the body must match the path; they cannot be changed');
      }
      const hashed = await hashSecrets(record, options.hasher);
      await store.updateCredentials(tenantId, hashed.type, hashed['auth-id'], hashed['device-id'], JSON.stringify(hashed));
    },
    remove: (tenantId, authId, type) => store.deleteCredentials(tenantId, type, lookupAuthId(type, authId)),
    removeByDevice: (tenantId, deviceId) => store.deleteDeviceCredentials(tenantId, deviceId),
  };
}
