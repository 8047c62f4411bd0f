/**
 * Validation and decoding of a tenant's `trusted-ca` objects (Hono tenant API): subject DN,
 * Base64 DER public key or certificate, algorithm and validity period.
 *
 * Pure module: no I/O.
 */
import { Buffer } from 'node:buffer';
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { DnSyntaxError, dnEquals, parseDn, toRfc2253 } from './dn.js';

/** Public key algorithms a trusted CA may use. */
export type CaAlgorithm = 'RSA' | 'EC';

/** What a valid trusted-ca object amounts to. */
export interface DecodedCa {
  /** The effective subject DN (given, or taken from the certificate) in RFC 2253 form. */
  subjectDn: string;
  algorithm: CaAlgorithm;
  notBefore?: Date;
  notAfter?: Date;
  /** The public key as Base64 DER SubjectPublicKeyInfo (given, or taken from the certificate). */
  publicKey: string;
  /** Only for `cert`: the DER encoding of the certificate's subject name. */
  subjectDer?: Buffer;
}

/** Result of {@link checkTrustedCa}: `decoded` is present iff `problems` is empty. */
export interface TrustedCaCheck {
  problems: string[];
  decoded?: DecodedCa;
}

/** The decoded `public-key` or `cert`. */
interface KeyMaterial {
  key: KeyObject;
  /** Only for `cert`: the certificate's subject as an RFC 4514 string and as DER, and its validity. */
  cert?: { subject: string; subjectDer?: Buffer; notBefore?: Date; notAfter?: Date };
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/i;

/** Decodes strict Base64 (standard alphabet, correct padding, no whitespace); undefined if not. */
export function decodeBase64(text: unknown): Buffer | undefined {
  if (typeof text !== 'string' || text.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/**
 * Converts Node's `X509Certificate.subject` (one RDN per line, RFC 2253-escaped, in
 * encoding order) into an RFC 4514 string (reverse order, comma-separated).
 */
export function x509SubjectToDn(subject: string): string {
  return subject.split('\n').reverse().join(',');
}

/** One DER element: where its contents start and end, and where the next element starts. */
export interface DerElement {
  readonly tag: number;
  /** Where its tag byte is. */
  readonly offset: number;
  /** Where its contents start. */
  readonly start: number;
  readonly end: number;
}

/** Reads the DER element at `offset` (low tag numbers, definite lengths up to 4 bytes); undefined if malformed. */
export function readDer(bytes: Buffer, offset: number): DerElement | undefined {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined) return undefined;
  let start = offset + 2;
  let length = first;
  if (first >= 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4 || start + count > bytes.length) return undefined;
    length = bytes.readUIntBE(start, count);
    start += count;
  }
  const end = start + length;
  return end > bytes.length ? undefined : { tag, offset, start, end };
}

/**
 * The DER bytes of a certificate's subject name (Hono's `subject-dn-bytes`): the sixth element of
 * the TBSCertificate, counting the optional explicit version. Node's X509Certificate has no getter.
 */
function certificateSubjectDer(der: Buffer): Buffer | undefined {
  const certificate = readDer(der, 0);
  const tbs = certificate === undefined ? undefined : readDer(der, certificate.start);
  if (tbs === undefined) return undefined;
  let element = readDer(der, tbs.start);
  // [0] version, serialNumber, signature, issuer, validity, subject.
  const skip = element?.tag === 0xa0 ? 5 : 4;
  for (let i = 0; i < skip && element !== undefined; i += 1) element = readDer(der, element.end);
  return element?.tag === 0x30 ? der.subarray(element.offset, element.end) : undefined;
}

function decodePublicKey(value: unknown, path: string, problems: string[]): KeyMaterial | undefined {
  const der = decodeBase64(value);
  try {
    if (der !== undefined) return { key: createPublicKey({ key: der, format: 'der', type: 'spki' }) };
  } catch {
    // reported below
  }
  problems.push(`${path}/public-key is not a Base64 DER SubjectPublicKeyInfo`);
  return undefined;
}

function decodeCert(value: unknown, path: string, problems: string[]): KeyMaterial | undefined {
  const der = decodeBase64(value);
  try {
    // X509Certificate also accepts PEM: insist on a DER SEQUENCE.
    if (der !== undefined && der[0] === 0x30) {
      const cert = new X509Certificate(der);
      const validity = { notBefore: toDate(cert.validFrom), notAfter: toDate(cert.validTo) };
      return { key: cert.publicKey, cert: { subject: x509SubjectToDn(cert.subject), subjectDer: certificateSubjectDer(der), ...validity } };
    }
  } catch {
    // reported below
  }
  problems.push(`${path}/cert is not a Base64 DER X.509 certificate`);
  return undefined;
}

function toDate(text: string): Date | undefined {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function decodeKeyMaterial(ca: Record<string, unknown>, path: string, problems: string[]): KeyMaterial | undefined {
  const hasCert = ca['cert'] !== undefined;
  if (hasCert === (ca['public-key'] !== undefined)) {
    problems.push(`${path} must contain exactly one of "cert" and "public-key"`);
    return undefined;
  }
  return hasCert ? decodeCert(ca['cert'], path, problems) : decodePublicKey(ca['public-key'], path, problems);
}

/** Checks `subject-dn` (required unless a certificate supplies it); returns it when valid. */
function checkSubjectDn(ca: Record<string, unknown>, path: string, problems: string[]): string | undefined {
  const dn = ca['subject-dn'];
  if (dn === undefined) {
    if (ca['cert'] === undefined) problems.push(`${path}/subject-dn is required`);
    return undefined;
  }
  if (typeof dn !== 'string') {
    problems.push(`${path}/subject-dn must be a string`);
    return undefined;
  }
  try {
    parseDn(dn);
    return dn;
  } catch (err) {
    const reason = err instanceof DnSyntaxError ? err.message : String(err);
    problems.push(`${path}/subject-dn is not a valid distinguished name: ${reason}`);
    return undefined;
  }
}

/** The effective subject DN in RFC 2253 form, checking it against the certificate's subject. */
function effectiveSubject(given: string | undefined, material: KeyMaterial | undefined, path: string, problems: string[]): string | undefined {
  const certSubject = material?.cert?.subject;
  if (certSubject === undefined) return given === undefined ? undefined : toRfc2253(given);
  if (given !== undefined) {
    if (dnEquals(given, certSubject)) return toRfc2253(given);
    problems.push(`${path}/subject-dn does not match the subject of the certificate (${certSubject})`);
    return undefined;
  }
  try {
    return toRfc2253(certSubject);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    problems.push(`${path}/cert has a subject that is not a valid distinguished name: ${reason}`);
    return undefined;
  }
}

/** Reads `algorithm` / `type`; `ok` is false (and a problem recorded) if they are invalid. */
function declaredAlgorithm(ca: Record<string, unknown>, path: string, problems: string[]): { ok: boolean; algorithm?: CaAlgorithm } {
  const values: CaAlgorithm[] = [];
  let ok = true;
  for (const field of ['algorithm', 'type']) {
    const value = ca[field];
    if (value === undefined) continue;
    if (value === 'RSA' || value === 'EC') {
      values.push(value);
    } else {
      problems.push(`${path}/${field} must be "RSA" or "EC"`);
      ok = false;
    }
  }
  if (values.length === 2 && values[0] !== values[1]) {
    problems.push(`${path}: "algorithm" (${values[0]}) and "type" (${values[1]}) differ`);
    ok = false;
  }
  return { ok, algorithm: values[0] };
}

/**
 * Determines the algorithm: the declared one (default RSA for a bare public key, the
 * certificate's key algorithm for a certificate), which must match the decoded key.
 */
function checkAlgorithm(ca: Record<string, unknown>, path: string, material: KeyMaterial | undefined, problems: string[]): CaAlgorithm | undefined {
  const declared = declaredAlgorithm(ca, path, problems);
  if (material === undefined) return undefined;
  const keyType = material.key.asymmetricKeyType;
  const actual = keyType === 'rsa' ? 'RSA' : keyType === 'ec' ? 'EC' : undefined;
  if (actual === undefined) {
    problems.push(`${path}: the key is of unsupported type ${keyType ?? 'unknown'} (only RSA and EC are supported)`);
    return undefined;
  }
  if (!declared.ok) return undefined;
  const expected = declared.algorithm ?? (material.cert === undefined ? 'RSA' : actual);
  if (expected !== actual) {
    problems.push(`${path}: the key is an ${actual} key but the algorithm is ${expected}`);
    return undefined;
  }
  return actual;
}

/** Whether the date-time fields exist in the calendar (Date would roll 2021-02-30 over). */
function inCalendar(m: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second, offHour, offMinute] = m.slice(1).map((part) => Number(part ?? 0));
  const daysInMonth = new Date(Date.UTC(year ?? 0, month ?? 0, 0)).getUTCDate();
  const inRange = (n: number | undefined, min: number, max: number): boolean => n !== undefined && n >= min && n <= max;
  return inRange(month, 1, 12) && inRange(day, 1, daysInMonth) && inRange(hour, 0, 23) && inRange(minute, 0, 59)
    && inRange(second, 0, 59) && inRange(offHour, 0, 23) && inRange(offMinute, 0, 59);
}

/** Reads an ISO-8601 date-time with offset; `ok` is false (and a problem recorded) if invalid. */
function readDate(ca: Record<string, unknown>, field: string, path: string, problems: string[]): { ok: boolean; date?: Date } {
  const value = ca[field];
  if (value === undefined) return { ok: true };
  const match = typeof value === 'string' ? ISO_DATE_TIME.exec(value) : null;
  const date = match !== null && inCalendar(match) ? new Date(value as string) : undefined;
  if (date === undefined || Number.isNaN(date.getTime())) {
    problems.push(`${path}/${field} is not an ISO-8601 date-time with offset (e.g. 2024-01-31T12:00:00Z)`);
    return { ok: false };
  }
  return { ok: true, date };
}

/** The effective validity period: the given dates, else the certificate's. */
function checkValidity(ca: Record<string, unknown>, path: string, material: KeyMaterial | undefined, problems: string[]): { notBefore?: Date; notAfter?: Date } {
  const from = readDate(ca, 'not-before', path, problems);
  const to = readDate(ca, 'not-after', path, problems);
  const notBefore = from.date ?? material?.cert?.notBefore;
  const notAfter = to.date ?? material?.cert?.notAfter;
  if (from.ok && to.ok && notBefore !== undefined && notAfter !== undefined && notBefore >= notAfter) {
    problems.push(`${path}: not-before must be before not-after`);
  }
  return { notBefore, notAfter };
}

/**
 * Validates one `trusted-ca` object of a tenant.
 *
 * @param ca the object (already known to be a JSON object)
 * @param path prefix for the messages, e.g. `trusted-ca/0`
 * @returns human-readable problems (empty if valid) and, if valid, the decoded CA
 */
export function checkTrustedCa(ca: Record<string, unknown>, path: string): TrustedCaCheck {
  const problems: string[] = [];
  const givenDn = checkSubjectDn(ca, path, problems);
  const material = decodeKeyMaterial(ca, path, problems);
  const algorithm = checkAlgorithm(ca, path, material, problems);
  const validity = checkValidity(ca, path, material, problems);
  const subjectDn = effectiveSubject(givenDn, material, path, problems);
  const autoProvisioning = ca['auto-provisioning-enabled'];
  if (autoProvisioning !== undefined && typeof autoProvisioning !== 'boolean') {
    problems.push(`${path}/auto-provisioning-enabled must be a boolean`);
  }
  if (problems.length > 0 || subjectDn === undefined || algorithm === undefined || material === undefined) return { problems };
  const publicKey = material.key.export({ type: 'spki', format: 'der' }).toString('base64');
  const decoded: DecodedCa = { subjectDn, algorithm, publicKey };
  if (material.cert?.subjectDer !== undefined) decoded.subjectDer = material.cert.subjectDer;
  if (validity.notBefore !== undefined) decoded.notBefore = validity.notBefore;
  if (validity.notAfter !== undefined) decoded.notAfter = validity.notAfter;
  return { problems, decoded };
}
