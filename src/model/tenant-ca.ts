/**
 * The trusted CAs of a tenant written through /v1 (Hono 2.7's TrustedCA, docs/management-v1.md):
 * ids unique within the tenant and generated when missing, a `cert` turned into the fields it
 * stands for, the identity templates and the OCSP fields checked. Pure module: no I/O.
 */
import type { JsonObject } from './credentials.js';
import { parseDn, toRfc2253 } from './dn.js';
import { generateId } from './ids.js';
import { checkTrustedCa, decodeBase64, readDer, type DecodedCa } from './trusted-ca.js';

/** The placeholders of `auth-id-template` and `auto-provisioning-device-id-template` (Hono 1.11). */
export const IDENTITY_PLACEHOLDERS = ['{{subject-dn}}', '{{subject-cn}}', '{{subject-ou}}', '{{subject-o}}'] as const;

/** What is wrong with an identity template (undefined: nothing): at least one placeholder, only known ones. */
export function identityTemplateProblem(template: string): string | undefined {
  const used = [...template.matchAll(/\{\{(.*?)\}\}/g)].map((match) => match[0]);
  if (used.length === 0) return `must contain at least one of ${IDENTITY_PLACEHOLDERS.join(', ')}`;
  const unknown = used.filter((p) => !(IDENTITY_PLACEHOLDERS as readonly string[]).includes(p));
  return unknown.length === 0 ? undefined : `contains unsupported placeholders ${[...new Set(unknown)].join(', ')}`;
}

/**
 * Fills an identity template from a subject DN: `{{subject-dn}}` with the DN in RFC 2253 form,
 * `{{subject-cn}}`, `{{subject-ou}}`, `{{subject-o}}` with such an attribute's value (unescaped);
 * of an attribute given twice, its last occurrence in the string, the least specific one (Hono's
 * IdentityTemplate reads the RDNs of a javax LdapName, which lists them from the right).
 * Undefined when the template names an attribute the DN lacks (Hono refuses to fill it then).
 * Throws DnSyntaxError for a DN that does not parse.
 */
export function applyIdentityTemplate(template: string, subjectDn: string): string | undefined {
  const attributes = [...parseDn(subjectDn).rdns].reverse().flat();
  let result = template.replaceAll('{{subject-dn}}', toRfc2253(subjectDn));
  for (const type of ['CN', 'OU', 'O']) {
    const placeholder = `{{subject-${type.toLowerCase()}}}`;
    if (!result.includes(placeholder)) continue;
    const value = attributes.find((a) => a.type === type)?.value;
    if (value === undefined || value === '') return undefined;
    result = result.replaceAll(placeholder, value);
  }
  return result;
}

const TEMPLATES = ['auth-id-template', 'auto-provisioning-device-id-template'] as const;

function checkTemplates(ca: JsonObject, path: string, problems: string[]): void {
  for (const field of TEMPLATES) {
    const template = ca[field];
    const problem = typeof template === 'string' ? identityTemplateProblem(template) : undefined;
    if (problem !== undefined) problems.push(`${path}/${field} ${problem}`);
  }
}

/** OCSP (Hono 2.6): the responder certificate must decode, and checking needs it or the CA's `cert`. */
function checkOcsp(ca: JsonObject, path: string, problems: string[]): void {
  const responder = ca['ocsp-responder-cert'];
  if (responder !== undefined && decodeBase64(responder)?.[0] !== 0x30) problems.push(`${path}/ocsp-responder-cert is not a Base64 DER X.509 certificate`);
  if (ca['ocsp-revocation-enabled'] === true && ca.cert === undefined && responder === undefined) {
    problems.push(`${path}: ocsp-revocation-enabled needs cert or ocsp-responder-cert`);
  }
}

/** `subject-dn-bytes`: one DER SEQUENCE (an X.501 Name) and nothing after it. */
function checkSubjectBytes(ca: JsonObject, path: string, problems: string[]): void {
  const value = ca['subject-dn-bytes'];
  if (value === undefined) return;
  const bytes = decodeBase64(value);
  const name = bytes === undefined ? undefined : readDer(bytes, 0);
  if (bytes === undefined || name?.tag !== 0x30 || name.end !== bytes.length) problems.push(`${path}/subject-dn-bytes is not a Base64 DER distinguished name`);
}

const seconds = (date: Date): string => date.toISOString().replace(/\.000Z$/, 'Z');

/**
 * The CA to store: with `cert`, the subject DN (RFC 2253), its DER bytes, the public key, the
 * algorithm and the validity taken from it (given `not-before` / `not-after` win), and no `cert`,
 * as Hono's registries store it (both faces); with `public-key`, the DN in RFC 2253 form.
 */
export function storedCa(ca: JsonObject, decoded: DecodedCa): JsonObject {
  const { cert, ...rest } = ca;
  if (cert === undefined) return { ...rest, 'subject-dn': decoded.subjectDn };
  const taken: JsonObject = { 'subject-dn': decoded.subjectDn, 'public-key': decoded.publicKey, algorithm: decoded.algorithm };
  if (decoded.subjectDer !== undefined) taken['subject-dn-bytes'] = decoded.subjectDer.toString('base64');
  if (decoded.notBefore !== undefined) taken['not-before'] = seconds(decoded.notBefore);
  if (decoded.notAfter !== undefined) taken['not-after'] = seconds(decoded.notAfter);
  return { ...rest, ...taken };
}

/** Checks one /v1 CA (the schema has passed) and answers the CA to store, undefined when it has problems. */
function prepareCa(ca: JsonObject, path: string, problems: string[]): JsonObject | undefined {
  const before = problems.length;
  const check = checkTrustedCa(ca, path);
  problems.push(...check.problems);
  checkTemplates(ca, path, problems);
  checkOcsp(ca, path, problems);
  checkSubjectBytes(ca, path, problems);
  return problems.length > before || check.decoded === undefined ? undefined : storedCa(ca, check.decoded);
}

/**
 * The trusted CAs of a /v1 tenant as they are stored (Hono 2.7 TMIT: ids unique within the tenant,
 * missing ids generated). Problems are added to `problems`.
 */
export function prepareTrustedCas(cas: readonly JsonObject[], problems: string[]): JsonObject[] {
  const ids = cas.map((ca) => ca.id).filter((id): id is string => typeof id === 'string');
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate !== undefined) problems.push(`trusted-ca: the id ${JSON.stringify(duplicate)} is used twice`);
  const prepared = cas.map((ca, i) => prepareCa(ca, `trusted-ca/${i}`, problems));
  return prepared.map((ca, i) => {
    const stored = ca ?? (cas[i] as JsonObject);
    return stored.id === undefined ? { id: freshId(ids), ...stored } : stored;
  });
}

function freshId(taken: string[]): string {
  let id = generateId();
  while (taken.includes(id)) id = generateId();
  taken.push(id);
  return id;
}
