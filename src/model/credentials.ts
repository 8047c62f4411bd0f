/**
 * Pure rules for credentials records (docs/amqp-api.md §5.2, §5.4, §5.5).
 */
import { isDeepStrictEqual } from 'node:util';
import { DnSyntaxError, toRfc2253 } from './dn.js';

export type JsonObject = Record<string, unknown>;

export interface Secret extends JsonObject {
  'not-before'?: string;
  'not-after'?: string;
  'hash-function'?: string;
  'pwd-hash'?: string;
  'pwd-plain'?: string;
  salt?: string;
  key?: string;
}

export interface CredentialsRecord extends JsonObject {
  'device-id': string;
  type: string;
  'auth-id': string;
  enabled: boolean;
  secrets: Secret[];
}

const BCRYPT_HASH = /^\$2[abxy]?\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const SHA_BYTES: Readonly<Record<string, number>> = { 'sha-256': 32, 'sha-512': 64 };
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** bcrypt reads at most 72 bytes of a password; longer ones would be silently truncated. */
export const BCRYPT_MAX_PASSWORD_BYTES = 72;

/** The auth-id as it is stored and looked up: x509-cert subject DNs in Java's RFC 2253 form (§14.9). Throws DnSyntaxError. */
export function normaliseAuthId(type: string, authId: string): string {
  return type === 'x509-cert' ? toRfc2253(authId) : authId;
}

/** Like normaliseAuthId, but an unparsable x509 DN is returned unchanged (a lookup then simply finds nothing). */
export function lookupAuthId(type: string, authId: string): string {
  try {
    return normaliseAuthId(type, authId);
  } catch (err) {
    if (err instanceof DnSyntaxError) return authId;
    throw err;
  }
}

/** The cost factor of a bcrypt hash, or undefined when the string is not a bcrypt hash. */
export function bcryptCost(hash: string): number | undefined {
  const match = BCRYPT_HASH.exec(hash);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** Problems with one secret of a record of `type`, after schema validation. */
export function secretProblems(type: string, secret: Secret, where: string, maxBcryptCost: number): string[] {
  const problems: string[] = [];
  const { 'not-before': from, 'not-after': until } = secret;
  if (from !== undefined && until !== undefined && Date.parse(from) >= Date.parse(until)) {
    problems.push(`${where}: not-before must be earlier than not-after`);
  }
  if (type === 'hashed-password') problems.push(...passwordProblems(secret, where, maxBcryptCost));
  if (type === 'psk' && secret.key === undefined) problems.push(`${where}: a psk secret needs a "key"`);
  if (secret.key !== undefined && !BASE64.test(secret.key)) problems.push(`${where}/key must be Base64`);
  return problems;
}

function passwordProblems(secret: Secret, where: string, maxBcryptCost: number): string[] {
  const plain = secret['pwd-plain'];
  if (plain !== undefined) {
    if (secret['pwd-hash'] !== undefined || secret['hash-function'] !== undefined || secret.salt !== undefined) {
      return [`${where}: pwd-plain cannot be combined with pwd-hash, hash-function or salt`];
    }
    return Buffer.byteLength(plain, 'utf8') > BCRYPT_MAX_PASSWORD_BYTES
      ? [`${where}/pwd-plain is longer than ${BCRYPT_MAX_PASSWORD_BYTES} bytes, which bcrypt cannot hash without truncating`]
      : [];
  }
  const hash = secret['pwd-hash'];
  const fn = secret['hash-function'];
  if (hash === undefined || fn === undefined) return [`${where}: a hashed-password secret needs "pwd-hash" and "hash-function" (or "pwd-plain")`];
  if (fn === 'bcrypt') {
    const cost = bcryptCost(hash);
    if (cost === undefined) return [`${where}/pwd-hash is not a bcrypt hash ($2a$<cost>$<53 characters>)`];
    if (cost > maxBcryptCost) return [`${where}/pwd-hash has bcrypt cost ${cost}; the maximum is ${maxBcryptCost}`];
    if (secret.salt !== undefined) return [`${where}: bcrypt hashes carry their own salt; remove "salt"`];
    return [];
  }
  const bytes = SHA_BYTES[fn];
  if (bytes !== undefined && (!BASE64.test(hash) || Buffer.from(hash, 'base64').length !== bytes)) {
    return [`${where}/pwd-hash must be the Base64 of a ${bytes}-byte ${fn} digest`];
  }
  if (secret.salt !== undefined && !BASE64.test(secret.salt)) return [`${where}/salt must be Base64`];
  return [];
}

/**
 * Hono's Spring encoder verifies only `$2a$` hashes; `$2b$`/`$2y$` hashes of passwords shorter than
 * 255 bytes are identical apart from the prefix, so they are stored as `$2a$`.
 */
export function toHonoBcrypt(hash: string): string {
  return hash.replace(/^\$2[bxy]\$/, '$2a$');
}

const NO_MEMBERS: ReadonlySet<string> = new Set();

/**
 * Client-context matching of Hono 1.4 and later (§5.2 step 2, lenient), which Hono's 1.x and 2.x
 * adapters rely on (their MQTT adapter sends the MQTT client id as `client-id`): only members that
 * the record's `ext` object also has are compared, and they must be equal; members absent from
 * `ext`, null members and a record without `ext` do not prevent a match. As in
 * matchesClientContext, the context is `query` without the members named in `ignored`.
 */
export function matchesExtension(record: JsonObject, query: JsonObject, ignored: ReadonlySet<string> = NO_MEMBERS): boolean {
  const ext = record.ext;
  if (ext === null || typeof ext !== 'object' || Array.isArray(ext)) return true;
  const extension = ext as JsonObject;
  for (const name in query) {
    const value = query[name];
    if (ignored.has(name) || value === null || !Object.hasOwn(extension, name)) continue;
    if (!isDeepStrictEqual(extension[name], value)) return false;
  }
  return true;
}

/**
 * Strict client-context matching of Hono 0.9 – 1.0.0 (§5.2 step 2): every context member must be a
 * top-level member of the record with an equal string value. The context is `query` without the
 * members named in `ignored` (the query's own), read in place rather than copied out: this runs
 * on every credentials lookup.
 */
export function matchesClientContext(record: JsonObject, query: JsonObject, ignored: ReadonlySet<string> = NO_MEMBERS): boolean {
  for (const name in query) {
    if (ignored.has(name)) continue;
    const stored = record[name];
    const value = query[name];
    if (typeof stored !== 'string' || typeof value !== 'string' || stored !== value) return false;
  }
  return true;
}
