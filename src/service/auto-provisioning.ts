/**
 * Auto-provisioning (Hono 1.1, docs/amqp-api.md §5.6, docs/security.md): a Credentials `get`
 * of type x509-cert that carries the device's certificate, issued by a trusted CA of the tenant
 * with `auto-provisioning-enabled`, creates the device and its credentials. Devices on the denied
 * list, identities they keep reserved, and devices beyond the tenant's max-devices are never
 * provisioned.
 */
import { X509Certificate, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { RegistryError, badRequest } from '../errors.js';
import { lookupAuthId, type CredentialsRecord, type JsonObject } from '../model/credentials.js';
import { dnEquals, toRfc2253 } from '../model/dn.js';
import { applyIdentityTemplate } from '../model/tenant-ca.js';
import { registrationLimits, trustedCas } from '../model/tenant.js';
import { x509SubjectToDn } from '../model/trusted-ca.js';
import type { CredentialsStore, TenantStore } from '../store/store.js';

export interface AutoProvisioning {
  /**
   * The credentials record as JSON text (`created`: false when a parallel request created it
   * first), or undefined when the certificate does not qualify (no enabled CA issued it, it is not
   * valid now, the device is denied or its identity reserved).
   * BAD_REQUEST when the certificate is unreadable or its subject differs from the auth-id.
   */
  provision(tenantId: string, authId: string, certificateBase64: string): Promise<{ json: string; deviceId: string; created: boolean } | undefined>;
}

function caKey(ca: JsonObject): KeyObject | undefined {
  try {
    if (typeof ca['public-key'] === 'string') return createPublicKey({ key: Buffer.from(ca['public-key'], 'base64'), format: 'der', type: 'spki' });
    if (typeof ca.cert === 'string') return new X509Certificate(Buffer.from(ca.cert, 'base64')).publicKey;
  } catch {
    return undefined;
  }
  return undefined;
}

function readCertificate(base64: string): X509Certificate {
  try {
    return new X509Certificate(Buffer.from(base64, 'base64'));
  } catch {
    throw badRequest('client-certificate is not a Base64 DER X.509 certificate');
  }
}

/** The device id: the CA's template filled from the subject (undefined: it lacks an attribute the template names), else a random one. */
function deviceIdFor(ca: JsonObject, subjectDn: string): string | undefined {
  const template = ca['auto-provisioning-device-id-template'];
  return typeof template === 'string' ? applyIdentityTemplate(template, subjectDn) : randomUUID();
}

export function createAutoProvisioning(store: CredentialsStore & TenantStore): AutoProvisioning {
  return {
    async provision(tenantId, authId, certificateBase64) {
      const cert = readCertificate(certificateBase64);
      const subject = toRfc2253(x509SubjectToDn(cert.subject));
      if (subject !== lookupAuthId('x509-cert', authId)) throw badRequest('the subject DN of client-certificate differs from auth-id');
      const stored = await store.getTenant(tenantId);
      if (stored === null) return undefined;
      const tenant = JSON.parse(stored) as JsonObject;
      const issuer = x509SubjectToDn(cert.issuer);
      const ca = trustedCas(tenant).find((c) => c['auto-provisioning-enabled'] === true && dnEquals(String(c['subject-dn']), issuer));
      const key = ca === undefined ? undefined : caKey(ca);
      const now = Date.now();
      if (ca === undefined || key === undefined || !cert.verify(key) || now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) return undefined;
      const deviceId = deviceIdFor(ca, subject);
      if (deviceId === undefined) return undefined;
      const record = {
        'device-id': deviceId, type: 'x509-cert', 'auth-id': subject, enabled: true,
        secrets: [{ 'not-before': new Date(cert.validFrom).toISOString(), 'not-after': new Date(cert.validTo).toISOString() }],
      };
      const json = JSON.stringify(record);
      try {
        await store.provisionDevice(tenantId, deviceId, JSON.stringify({ enabled: true }), 'x509-cert', subject, json, registrationLimits(tenant)['max-devices']);
        return { json, deviceId, created: true };
      } catch (err) {
        // The tenant's device limit is reached: nothing is provisioned, as for a certificate that does not qualify.
        if (err instanceof RegistryError && err.code === 'FORBIDDEN') return undefined;
        if (!(err instanceof RegistryError && err.code === 'CONFLICT')) throw err;
        // Created meanwhile by a parallel request: answer with that record. Denied or reserved: refused.
        const existing = await store.lookupCredentials(tenantId, 'x509-cert', subject);
        return existing === null ? undefined : { json: existing, deviceId: (JSON.parse(existing) as CredentialsRecord)['device-id'], created: false };
      }
    },
  };
}
