/**
 * A device's credentials as one set: the /v1 management API's getAllCredentials and
 * setAllCredentials of Hono 2.7 (docs/management-v1.md "Credentials"), over the same records the
 * legacy face and the AMQP lookups read.
 */
import { RegistryError, conflict } from '../errors.js';
import type { CredentialsRecord, JsonObject } from '../model/credentials.js';
import { plainPasswordProblems, prepareCredentials, recordProblems, type InputContext } from '../model/credentials-input.js';
import { applyCredentialsSet, credentialsView, type CredentialsInput } from '../model/credentials-set.js';
import { generateId } from '../model/ids.js';
import { registrationLimits, trustedCas } from '../model/tenant.js';
import { credentialsVersion, type IfMatch } from '../model/version.js';
import type { CredentialsSetStore, TenantStore } from '../store/store.js';
import { isValidId, validate } from '../validation.js';
import { rejectProblems } from './body.js';
import { hashSecrets } from './credentials.js';
import type { PasswordHasher } from './password-hasher.js';

export interface CredentialsSetService {
  /** The /v1 view of the device's credentials (a JSON array) and the set's version. NOT_FOUND naming the tenant or device. */
  getSet(tenantId: string, deviceId: string): Promise<{ json: string; version: string }>;
  /**
   * Replaces the device's credentials by the body (Hono 2.7 patch mode) when `ifMatch` accepts the
   * set's version; answers the new version. BAD_REQUEST, NOT_FOUND (tenant, device), CONFLICT (an
   * identity of another device, or reserved), FORBIDDEN (registration-limits), PRECONDITION_FAILED.
   */
  putSet(tenantId: string, deviceId: string, body: unknown, ifMatch: IfMatch | undefined): Promise<string>;
}

export interface CredentialsSetOptions {
  readonly maxBcryptCost: number;
  readonly hasher: PasswordHasher;
  /** A fresh secret id. */
  readonly newId?: () => string;
}

/** How often a PUT without If-Match reads, merges and writes again when another write got in between. */
const ATTEMPTS = 5;

/** Whether the condition of an `If-Match` header accepts a set of this version. */
function accepts(ifMatch: IfMatch | undefined, version: string): boolean {
  return ifMatch === undefined || 'any' in ifMatch || ifMatch.versions.includes(version);
}

export function createCredentialsSetService(store: CredentialsSetStore & Pick<TenantStore, 'getTenant'>, options: CredentialsSetOptions): CredentialsSetService {
  const newId = options.newId ?? generateId;

  /** Checks the body and the tenant's rules; answers the prepared inputs (plain passwords not hashed yet). */
  async function prepare(tenantId: string, body: unknown): Promise<CredentialsInput[]> {
    validate('credentials-set', body);
    const items = body as JsonObject[];
    const json = await store.getTenant(tenantId);
    if (json === null) throw new RegistryError('NOT_FOUND', `tenant "${tenantId}" not found`);
    const tenant = JSON.parse(json) as JsonObject;
    const limit = registrationLimits(tenant)['max-credentials-per-device'];
    if (limit >= 0 && items.length > limit) {
      throw new RegistryError('FORBIDDEN', `tenant "${tenantId}" allows at most ${limit} credentials per device (registration-limits/max-credentials-per-device)`);
    }
    const context: InputContext = { trustedCas: trustedCas(tenant), now: Date.now(), isAuthId: (text) => isValidId('AuthId', text) };
    const problems: string[] = [];
    const inputs = items.map((item, i) => prepareCredentials(item, String(i), context, problems));
    rejectProblems([...problems, ...plainPasswordProblems(inputs)]);
    return inputs;
  }

  /** The records the inputs make of the stored set; BAD_REQUEST when the result breaks a rule. PRECONDITION_FAILED. */
  function merge(deviceId: string, stored: readonly string[], inputs: readonly CredentialsInput[], ifMatch: IfMatch | undefined): CredentialsRecord[] {
    if (!accepts(ifMatch, credentialsVersion(stored))) throw new RegistryError('PRECONDITION_FAILED', 'resource version mismatch');
    const records = applyCredentialsSet(deviceId, stored.map((r) => JSON.parse(r) as CredentialsRecord), inputs, newId);
    rejectProblems(recordProblems(records, options.maxBcryptCost));
    return records;
  }

  return {
    async getSet(tenantId, deviceId) {
      const stored = await store.getCredentialsSet(tenantId, deviceId);
      const view = stored.map((json) => credentialsView(JSON.parse(json) as CredentialsRecord));
      return { json: JSON.stringify(view), version: credentialsVersion(stored) };
    },
    async putSet(tenantId, deviceId, body, ifMatch) {
      const inputs = await prepare(tenantId, body);
      let hashed: CredentialsInput[] | undefined;
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const stored = await store.getCredentialsSet(tenantId, deviceId);
        // The plain passwords are hashed once, after the cheap checks of the first attempt.
        if (hashed === undefined) {
          merge(deviceId, stored, inputs, ifMatch);
          hashed = await Promise.all(inputs.map((input) => (input.type === 'hashed-password' ? hashSecrets(input, options.hasher) : input)));
        }
        const records = merge(deviceId, stored, hashed, ifMatch).map((r) => ({ type: r.type, authId: r['auth-id'], json: JSON.stringify(r) }));
        if (await store.replaceCredentialsSet(tenantId, deviceId, credentialsVersion(stored), records)) return credentialsVersion(records.map((r) => r.json));
      }
      throw conflict('the credentials of the device kept changing while they were being replaced; retry');
    },
  };
}
