/**
 * Certificates and public keys in credentials (Hono 2.7 `x509-cert` and `rpk` types): reading a
 * Base64 DER certificate or SubjectPublicKeyInfo.
 *
 * Pure module: no I/O.
 */
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { toRfc2253 } from './dn.js';
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
