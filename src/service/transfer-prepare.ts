/**
 * The checks and shaping of an import entry that need nothing but the entry: shared by the import
 * (src/service/transfer.ts) and its preparation worker (transfer-prepare-worker.ts). Plain passwords
 * (bcrypt, and the stored hashes a re-run keeps) are left to the importing thread.
 */
import { RegistryError, badRequest } from '../errors.js';
import type { CredentialsRecord } from '../model/credentials.js';
import type { ImportDevice } from '../store/store.js';
import { validate } from '../validation.js';
import { asObject } from './body.js';
import { checkCredentials, withHonoBcrypt } from './credentials.js';
import { storedFromLegacy } from '../model/device.js';

/** A device to import with its credentials records. `data` undefined: only the credentials. */
export interface DeviceEntry {
  readonly at: string;
  readonly tenant: string;
  readonly deviceId: string;
  readonly data: unknown;
  readonly credentials: readonly { readonly at: string; readonly record: unknown }[];
}

export type PreparedCredentials = ImportDevice['credentials'][number];

/** The registration data as stored (undefined: the entry has none). BAD_REQUEST. */
export function checkRegistration(entry: DeviceEntry): string | undefined {
  if (typeof entry.deviceId !== 'string') throw badRequest('missing required property "device-id"');
  const data = entry.data === undefined ? {} : asObject(entry.data, `the registration data of device ${JSON.stringify(entry.deviceId)}`);
  const registration = { ...data, 'device-id': entry.deviceId };
  validate('registration', registration);
  return entry.data === undefined ? undefined : storedFromLegacy(registration);
}

/** A credentials record of the entry's device, validated as the API does. BAD_REQUEST. */
export function checkRecord(entry: DeviceEntry, body: unknown, maxBcryptCost: number): CredentialsRecord {
  const input = asObject(body, 'a credentials record');
  const named = input['device-id'];
  if (named !== undefined && named !== entry.deviceId) throw badRequest(`"device-id" ${JSON.stringify(named)} differs from the device ${JSON.stringify(entry.deviceId)} it is listed with`);
  return checkCredentials(named === undefined ? { ...input, 'device-id': entry.deviceId } : input, maxBcryptCost);
}

/** An error of a credentials record, its message prefixed with where the record is (`credentials <at>: …`). */
export function inCredentials(err: unknown, at: string): unknown {
  return err instanceof RegistryError ? new RegistryError(err.code, `credentials ${at}: ${err.publicMessage}`) : err;
}

export const hasPlainPassword = (record: CredentialsRecord): boolean => record.secrets.some((s) => s['pwd-plain'] !== undefined);

export const shapeRecord = (record: CredentialsRecord): PreparedCredentials => ({ type: record.type, authId: record['auth-id'], json: JSON.stringify(record) });

/**
 * The entry validated and shaped as the import stores it, when none of its credentials carries a
 * plain password; undefined when one does. BAD_REQUEST naming the credentials record at fault.
 */
export function prepareWithoutHashing(entry: DeviceEntry, maxBcryptCost: number): ImportDevice | undefined {
  const json = checkRegistration(entry);
  const credentials: PreparedCredentials[] = [];
  for (const c of entry.credentials) {
    let record: CredentialsRecord;
    try {
      record = checkRecord(entry, c.record, maxBcryptCost);
    } catch (err) {
      throw inCredentials(err, c.at);
    }
    if (hasPlainPassword(record)) return undefined;
    credentials.push(shapeRecord(withHonoBcrypt(record)));
  }
  return { deviceId: entry.deviceId, json, credentials };
}
