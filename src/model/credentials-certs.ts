/**
 * Certificates and public keys in credentials (Hono 2.7 `x509-cert` and `rpk` types): reading a
 * Base64 DER certificate or SubjectPublicKeyInfo, and filling an identity template such as a
 * trusted CA's `auth-id-template` with attributes of a subject DN.
 *
 * Pure module: no I/O.
 */
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { parseDn, toRfc2253 } from './dn.js';
import { x509SubjectToDn } from './trusted-ca.js';

/** What a client certificate contributes to credentials. */
export interface CertificateFacts {
  /** Subject and issuer DNs in RFC 2253 form. */
  readonly subjectDn: string;
  readonly issuerDn: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** The Base64 DER SubjectPublicKeyInfo of its key. */
  readonly publicKey: string;
  /** `RSA` or `EC` (Java's names, which Hono's JWT validation passes to KeyFactory); undefined for other keys. */
  readonly algorithm: string | undefined;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function strictBase64(text: string): Buffer | undefined {
  return text.length > 0 && BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
}

/** Java's algorithm name of a key, for the key types Hono's adapters verify JWTs with. */
function javaAlgorithm(key: KeyObject): string | undefined {
  return key.asymmetricKeyType === 'rsa' ? 'RSA' : key.asymmetricKeyType === 'ec' ? 'EC' : undefined;
}

/** A Base64 DER X.509 certificate's facts, or undefined when it is not one (or its DNs are unreadable). */
export function readCertificate(base64: string): CertificateFacts | undefined {
  const der = strictBase64(base64);
  // X509Certificate also takes PEM: only a DER SEQUENCE is a certificate here.
  if (der === undefined || der[0] !== 0x30) return undefined;
  try {
    const cert = new X509Certificate(der);
    const publicKey = cert.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    return {
      subjectDn: toRfc2253(x509SubjectToDn(cert.subject)),
      issuerDn: toRfc2253(x509SubjectToDn(cert.issuer)),
      notBefore: new Date(cert.validFrom).toISOString(),
      notAfter: new Date(cert.validTo).toISOString(),
      publicKey,
      algorithm: javaAlgorithm(cert.publicKey),
    };
  } catch {
    return undefined;
  }
}

/** The algorithm (`RSA`, `EC`) of a Base64 DER SubjectPublicKeyInfo; undefined when it is none of those. */
export function publicKeyAlgorithm(base64: string): string | undefined {
  const der = strictBase64(base64);
  if (der === undefined) return undefined;
  try {
    return javaAlgorithm(createPublicKey({ key: der, format: 'der', type: 'spki' }));
  } catch {
    return undefined;
  }
}

/** Placeholders of an identity template and the subject attribute each stands for. */
const ATTRIBUTES: Readonly<Record<string, string>> = { '{{subject-cn}}': 'CN', '{{subject-ou}}': 'OU', '{{subject-o}}': 'O' };

/** Thrown when a template needs an attribute the subject DN lacks. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/**
 * Fills an identity template (Hono 1.11+: `{{subject-dn}}`, `{{subject-cn}}`, `{{subject-ou}}`,
 * `{{subject-o}}`) with the subject DN in RFC 2253 form and the unescaped values of its
 * attributes. As Hono's, an attribute present several times gives the value of its last
 * occurrence in the string (the least specific one).
 * Throws TemplateError when the DN lacks an attribute the template names, DnSyntaxError when
 * `subjectDn` is not a DN.
 */
export function applyIdentityTemplate(template: string, subjectDn: string): string {
  const rdns = [...parseDn(subjectDn).rdns].reverse();
  let result = template.replaceAll('{{subject-dn}}', toRfc2253(subjectDn));
  for (const [placeholder, type] of Object.entries(ATTRIBUTES)) {
    if (!result.includes(placeholder)) continue;
    const value = rdns.flat().find((a) => a.type === type && !a.hex)?.value;
    if (value === undefined || value === '') throw new TemplateError(`the template "${template}" needs the ${type} of the subject DN, which "${subjectDn}" lacks`);
    result = result.replaceAll(placeholder, value);
  }
  return result;
}
