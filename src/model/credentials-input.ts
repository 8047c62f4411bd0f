/**
 * The type rules of a /v1 credentials PUT (Hono 2.7, docs/management-v1.md "Credentials") that
 * the JSON Schema cannot state: the auth-id rule of `hashed-password`, the subject DN (and the
 * issuing CA's `auth-id-template`) of an `x509-cert` `cert`, the public key of an `rpk` `cert`
 * or `key`, and, once merged with the stored secrets, what each secret must hold.
 *
 * Pure module: no I/O.
 */
import { lookupAuthId, secretProblems, type CredentialsRecord, type JsonObject, type Secret } from './credentials.js';
import { publicKeyAlgorithm, readCertificate, type CertificateFacts } from './credentials-certs.js';
import { isKnownType, type CredentialsInput } from './credentials-set.js';
import { dnEquals } from './dn.js';
import { applyIdentityTemplate } from './tenant-ca.js';

/** Hono 1.10+'s default rule for the auth-ids of `hashed-password` credentials (`DEFAULT_REGEX_USERNAME`). */
export const PASSWORD_AUTH_ID = /^[a-zA-Z0-9_=.-]+$/;
/** Plain passwords one request may carry: each costs a bcrypt hash (tens of milliseconds of CPU). */
export const MAX_PLAIN_PASSWORDS = 32;

/** What preparing credentials needs to know about the tenant. */
export interface InputContext {
  /** The tenant's trusted CAs: a `cert`'s issuer may give the auth-id its `auth-id-template`. */
  readonly trustedCas: readonly JsonObject[];
  /** Now, in ms: only a CA valid now applies its template. */
  readonly now: number;
  /** Whether a text obeys the rules of an auth-id sent in a body (common.json AuthId): those a certificate gives must too. */
  readonly isAuthId: (text: string) => boolean;
}

/** Whether the CA is within its validity period (bounds absent: open). */
function validNow(ca: JsonObject, now: number): boolean {
  const from = typeof ca['not-before'] === 'string' ? Date.parse(ca['not-before']) : -Infinity;
  const until = typeof ca['not-after'] === 'string' ? Date.parse(ca['not-after']) : Infinity;
  return from <= now && now <= until;
}

/**
 * The auth-id of a certificate: its subject DN, through the issuing CA's `auth-id-template` when it
 * has one; undefined when the template needs an attribute the subject lacks.
 */
function certificateAuthId(facts: CertificateFacts, context: InputContext): { authId?: string; template?: string } {
  const issuer = context.trustedCas.find((ca) => typeof ca['subject-dn'] === 'string' && dnEquals(ca['subject-dn'], facts.issuerDn) && validNow(ca, context.now));
  const template = issuer?.['auth-id-template'];
  if (typeof template !== 'string') return { authId: facts.subjectDn };
  return { authId: applyIdentityTemplate(template, facts.subjectDn), template };
}

/** x509-cert: `cert` gives the auth-id and the validity of the one secret; without it, the auth-id is normalised. */
function prepareX509(body: JsonObject, where: string, context: InputContext, problems: string[]): JsonObject {
  const { cert, ...rest } = body;
  const given = typeof rest['auth-id'] === 'string' ? lookupAuthId('x509-cert', rest['auth-id']) : undefined;
  if (cert === undefined) {
    if (given === undefined || rest.secrets === undefined) problems.push(`${where}: x509-cert credentials need "auth-id" and "secrets", or "cert"`);
    return given === undefined ? rest : { ...rest, 'auth-id': given };
  }
  const facts = readCertificate(String(cert));
  if (facts === undefined) {
    problems.push(`${where}/cert is not a Base64 DER X.509 certificate`);
    return rest;
  }
  const { authId, template } = certificateAuthId(facts, context);
  if (authId === undefined) {
    problems.push(`${where}/cert: the auth-id-template "${String(template)}" of its CA needs an attribute its subject "${facts.subjectDn}" lacks`);
    return rest;
  }
  if (!context.isAuthId(authId)) problems.push(`${where}/cert gives an auth-id with control characters or over 1024 characters`);
  else if (given !== undefined && given !== authId) problems.push(`${where}/auth-id differs from the one the certificate gives ("${authId}")`);
  const [first = {}] = (rest.secrets ?? []) as Secret[];
  const { 'not-before': _from, 'not-after': _until, ...kept } = first;
  return { ...rest, 'auth-id': authId, secrets: [{ ...kept, 'not-before': facts.notBefore, 'not-after': facts.notAfter }] };
}

/** rpk: a `cert` gives the key, its algorithm and validity; a `key` must be an RSA or EC public key of the given algorithm. */
function prepareRpkSecret(secret: Secret, where: string, problems: string[]): Secret {
  const { cert, ...rest } = secret;
  if (cert !== undefined) {
    const facts = readCertificate(String(cert));
    if (facts?.algorithm === undefined) {
      problems.push(`${where}/cert is not a Base64 DER X.509 certificate of an RSA or EC key`);
      return rest;
    }
    return { ...rest, key: facts.publicKey, algorithm: facts.algorithm, 'not-before': rest['not-before'] ?? facts.notBefore, 'not-after': rest['not-after'] ?? facts.notAfter };
  }
  if (rest.key === undefined) return rest; // only an id: the stored key stays (checked after merging)
  const algorithm = publicKeyAlgorithm(rest.key);
  if (algorithm === undefined) {
    problems.push(`${where}/key is not a Base64 DER SubjectPublicKeyInfo of an RSA or EC key`);
  } else if (rest.algorithm !== undefined && rest.algorithm !== algorithm) {
    problems.push(`${where}/algorithm is ${String(rest.algorithm)}, but the key is an ${algorithm} key`);
  }
  return { ...rest, algorithm: rest.algorithm ?? algorithm };
}

/** A secret with a plain password: the hash members sent along are ignored (Hono 2.7 PasswordSecret). */
function withoutIgnoredHash(secret: Secret): Secret {
  if (secret['pwd-plain'] === undefined) return secret;
  const { 'hash-function': _function, 'pwd-hash': _hash, salt: _salt, ...plain } = secret;
  return plain;
}

/**
 * Prepares one schema-valid credentials object of a PUT body (at `where`, e.g. `3`): derives what
 * `cert` members give and checks the rules of its type. Problems are added to `problems`.
 */
export function prepareCredentials(body: JsonObject, where: string, context: InputContext, problems: string[]): CredentialsInput {
  const type = String(body.type);
  let prepared = body;
  if (type === 'x509-cert') prepared = prepareX509(body, where, context, problems);
  if (type === 'hashed-password') {
    if (!PASSWORD_AUTH_ID.test(String(body['auth-id']))) problems.push(`${where}/auth-id of hashed-password credentials must match ${PASSWORD_AUTH_ID.source}`);
    prepared = { ...body, secrets: (body.secrets as Secret[]).map(withoutIgnoredHash) };
  }
  if (type === 'rpk') {
    prepared = { ...body, secrets: (body.secrets as Secret[]).map((s, i) => prepareRpkSecret(s, `${where}/secrets/${i}`, problems)) };
  }
  return prepared as CredentialsInput;
}

/** BAD_REQUEST-worthy problems of a PUT body beyond single objects: more plain passwords than one request may hash. */
export function plainPasswordProblems(inputs: readonly CredentialsInput[]): string[] {
  const count = inputs.reduce((n, c) => n + c.secrets.filter((s) => s['pwd-plain'] !== undefined).length, 0);
  return count > MAX_PLAIN_PASSWORDS ? [`the body carries ${count} "pwd-plain" secrets; one request may carry at most ${MAX_PLAIN_PASSWORDS}`] : [];
}

/** What the records to store must hold once merged with the stored secrets (types the registry knows). */
export function recordProblems(records: readonly CredentialsRecord[], maxBcryptCost: number): string[] {
  return records.flatMap((record, r) =>
    record.secrets.flatMap((secret, s) => {
      const where = `${r}/secrets/${s}`;
      // Of other types only the validity period is known; their members are kept as they are.
      const known = isKnownType(record.type);
      const checked = known ? secret : { 'not-before': secret['not-before'], 'not-after': secret['not-after'] };
      const problems = secretProblems(record.type, checked, where, maxBcryptCost);
      if (record.type === 'rpk' && secret.key === undefined) problems.push(`${where}: an rpk secret needs "key" or "cert"`);
      return problems;
    }),
  );
}
