/**
 * The Credentials API's `get` for protocol adapters (docs/amqp-api.md §5.2, §5.6): by type and
 * auth-id with client-context matching (strict in the legacy profile, against `ext` in 1.x) in one
 * Redis round trip, the legacy listing of a
 * device's credentials (`{"type": "*", "device-id"}`), and auto-provisioning of x509-cert devices.
 */
import { RegistryError, badRequest } from '../errors.js';
import { lookupAuthId, matchesClientContext, matchesExtension, type CredentialsRecord, type JsonObject } from '../model/credentials.js';
import type { CredentialsStore } from '../store/store.js';
import type { AutoProvisioning } from './auto-provisioning.js';
import type { CredentialsService } from './credentials.js';
import { sharedOutcome, type AdapterProfile, type Lookup } from './lookup.js';

export interface CredentialsLookup {
  /**
   * Credentials by the query of a `get` body: `{"type", "auth-id", …client context}` (an x509-cert
   * query may carry `client-certificate` to be provisioned, §5.6), or `{"type": "*", "device-id"}`.
   * Outcome NOT_FOUND: none, the context does not match, or the profile hides them (#57).
   * Throws BAD_REQUEST for a malformed query, NOT_FOUND when a listed device has no credentials.
   */
  find(tenantId: string, query: JsonObject, profile: AdapterProfile): Promise<Lookup>;
}

const NO_MATCH = sharedOutcome(new RegistryError('NOT_FOUND', 'no matching credentials'));
/** Types whose answers Hono 1.x lets adapters cache (§2.6). */
const CACHEABLE_TYPES = new Set(['hashed-password', 'x509-cert']);
/** Members of a query that are not client context. */
const QUERY_MEMBERS = new Set(['type', 'auth-id', 'device-id', 'client-certificate']);

/** The record as the profile sends it: 1.x hides disabled records and secrets (#57); unchanged, the stored text itself. */
function forProfile(record: CredentialsRecord, json: string, profile: AdapterProfile): string | undefined {
  if (profile.api === 'legacy') return json;
  if (record.enabled === false) return undefined;
  const secrets = record.secrets.filter((s) => s.enabled !== false);
  if (secrets.length === 0) return undefined;
  return secrets.length === record.secrets.length ? json : JSON.stringify({ ...record, secrets });
}

export function createCredentialsLookup(store: CredentialsStore, credentials: Pick<CredentialsService, 'getByDevice'>, provisioning: AutoProvisioning): CredentialsLookup {
  /** No credentials for an auth-id: an x509-cert query carrying the certificate may create the device (201). */
  async function provision(tenantId: string, type: string, authId: string, certificate: unknown): Promise<Lookup> {
    if (type !== 'x509-cert' || certificate === undefined) return NO_MATCH;
    if (typeof certificate !== 'string') throw badRequest('"client-certificate" must be a Base64 string');
    const outcome = await provisioning.provision(tenantId, authId, certificate);
    return outcome === undefined ? NO_MATCH : { ...outcome, cacheMaxAge: 0 };
  }

  async function byAuthId(tenantId: string, type: string, authId: string, query: JsonObject, profile: AdapterProfile): Promise<Lookup> {
    const json = await store.lookupCredentials(tenantId, type, lookupAuthId(type, authId));
    if (json === null) return provision(tenantId, type, authId, query['client-certificate']);
    const record = JSON.parse(json) as CredentialsRecord;
    // Strict in the legacy profile (Hono 0.9 – 1.0); against the record's ext in 1.x (Hono 1.4+).
    const matches = profile.api === 'legacy' ? matchesClientContext : matchesExtension;
    if (!matches(record, query, QUERY_MEMBERS)) return NO_MATCH;
    const answer = forProfile(record, json, profile);
    if (answer === undefined) return NO_MATCH;
    const cacheable = profile.api === '1.x' && CACHEABLE_TYPES.has(type);
    return { json: answer, deviceId: record['device-id'], cacheMaxAge: cacheable ? profile.cacheMaxAge : 0 };
  }

  return {
    async find(tenantId, query, profile) {
      const { type, 'auth-id': authId, 'device-id': deviceId } = query;
      if (typeof type !== 'string') throw badRequest('the body needs a string "type"');
      if (authId !== undefined && deviceId !== undefined) throw badRequest('give either "auth-id" or "device-id", not both');
      if (authId === undefined) {
        if (type !== '*' || typeof deviceId !== 'string') throw badRequest('the body needs a string "auth-id"');
        return { json: await credentials.getByDevice(tenantId, deviceId), deviceId, cacheMaxAge: 0 };
      }
      if (typeof authId !== 'string') throw badRequest('"auth-id" must be a string');
      return byAuthId(tenantId, type, authId, query, profile);
    },
  };
}
