import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryError } from '../../../src/errors.js';
import type { JsonObject } from '../../../src/model/credentials.js';
import { dnKey } from '../../../src/model/dn.js';
import { applyIdentityTemplate, identityTemplateProblem } from '../../../src/model/tenant-ca.js';
import { prepareV1Tenant, tenantV1View } from '../../../src/model/tenant-v1.js';
import { prepareTenant, registrationLimits } from '../../../src/model/tenant.js';
import { validate } from '../../../src/validation.js';

const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const VALIDITY = { 'not-before': '2024-01-01T00:00:00Z', 'not-after': '2034-01-01T00:00:00Z' };
const keyCa = (dn: string, extra: JsonObject = {}): JsonObject => ({ 'subject-dn': dn, 'public-key': ecKey, algorithm: 'EC', ...VALIDITY, ...extra });

function prepared(body: JsonObject) {
  const { problems, prepared: result } = prepareV1Tenant(body, 't1');
  expect(problems).to.deep.equal([]);
  return result;
}

function problemsOf(body: JsonObject): string[] {
  return prepareV1Tenant(body, 't1').problems;
}

function schemaError(body: unknown): string {
  try {
    validate('tenant-v1', body);
  } catch (err) {
    if (err instanceof RegistryError) return err.message;
    throw err;
  }
  return '';
}

describe('model/tenant-v1', function () {
  let tmp: string;
  let cert: string;

  before(function () {
    this.timeout(30_000);
    tmp = mkdtempSync(join(tmpdir(), 'tenant-v1-test-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/O=ACME/OU=iot/CN=devices',
      '-days', '30', '-keyout', join(tmp, 'ca.key'), '-out', join(tmp, 'ca.der'), '-outform', 'DER'], { stdio: 'pipe' });
    cert = readFileSync(join(tmp, 'ca.der')).toString('base64');
  });
  after(function () {
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  describe('the tenant-v1 schema', function () {
    it('takes every Hono 2.7 member', function () {
      const body = {
        enabled: false, alias: 'acme-1', ext: { a: 1 }, adapters: [{ type: 'hono-mqtt' }], defaults: { ttl: 30 }, 'minimum-message-size': 4096,
        'registration-limits': { 'max-devices': 10, 'max-credentials-per-device': -1 },
        'resource-limits': {
          'max-connections': 5, 'max-ttl': 60, 'max-ttl-telemetry-qos0': 10, 'max-ttl-telemetry-qos1': 20, 'max-ttl-command-response': 30, ext: {},
          'data-volume': { 'effective-since': '2024-01-01T00:00:00Z', 'max-bytes': 100, period: { mode: 'days', 'no-of-days': 30 } },
          'connection-duration': { 'effective-since': '2024-01-01T00:00:00Z', 'max-minutes': 100, period: { mode: 'monthly' } },
        },
        tracing: { 'sampling-mode': 'all', 'sampling-mode-per-auth-id': { sensor1: 'none' } },
        'trust-anchor-group': 'group 1',
        'trusted-ca': [keyCa('CN=ca', {
          id: 'ca-1', 'auth-id-template': '{{subject-cn}}', 'auto-provisioning-enabled': true, 'auto-provision-as-gateway': false,
          'auto-provisioning-device-id-template': 'dev-{{subject-cn}}', 'ocsp-revocation-enabled': false, 'ocsp-responder-uri': 'http://ocsp.example.com', 'ocsp-nonce-enabled': true,
        })],
      };
      expect(schemaError(body)).to.equal('');
    });

    it('refuses unknown members, a tenant-id, an alias that is no LDH label and limits below -1', function () {
      expect(schemaError({ unexpected: 'property' })).to.match(/unexpected/);
      expect(schemaError({ 'tenant-id': 't1' })).to.match(/tenant-id/);
      expect(schemaError({ alias: 'The_Alias' })).to.match(/alias must be lower-case letters, digits and hyphens/);
      expect(schemaError({ 'registration-limits': { 'max-devices': -2 } })).to.match(/max-devices/);
      expect(schemaError({ 'resource-limits': { 'max-ttl': 1.5 } })).to.match(/max-ttl/);
      expect(schemaError({ 'trusted-ca': [keyCa('CN=ca', { type: 'EC' })] })).to.match(/type/);
      expect(schemaError({ tracing: { 'sampling-mode': 'sometimes' } })).to.match(/sampling-mode/);
    });
  });

  describe('prepareV1Tenant', function () {
    it('stores the body with tenant-id, enabled true and the adapters as Hono 2.7 defaults them', function () {
      const { tenant, caKeys, alias, group } = prepared({ alias: 'acme', 'trust-anchor-group': 'g', adapters: [{ type: 'hono-mqtt' }, { type: 'hono-http', enabled: true, 'device-authentication-required': false }] });
      expect(tenant).to.deep.equal({
        'tenant-id': 't1', enabled: true, alias: 'acme', 'trust-anchor-group': 'g',
        adapters: [{ type: 'hono-mqtt', enabled: false, 'device-authentication-required': true }, { type: 'hono-http', enabled: true, 'device-authentication-required': false }],
      });
      expect({ caKeys, alias, group }).to.deep.equal({ caKeys: [], alias: 'acme', group: 'g' });
    });

    it('refuses an adapter type listed twice', function () {
      expect(problemsOf({ adapters: [{ type: 'a' }, { type: 'a' }] })).to.deep.equal(['adapters/1: adapter type "a" is listed twice']);
    });

    it('keeps given trust-anchor ids, generates missing ones and refuses one used twice', function () {
      const { tenant, caKeys } = prepared({ 'trusted-ca': [keyCa('CN=ca', { id: 'mine' }), keyCa('CN=ca'), keyCa('cn=other')] });
      const cas = tenant['trusted-ca'] as JsonObject[];
      expect(cas[0]?.id).to.equal('mine');
      expect(cas[1]?.id).to.be.a('string').and.not.equal('mine');
      expect(cas[2]?.id).to.be.a('string').and.not.equal(cas[1]?.id);
      expect(cas[2]?.['subject-dn']).to.equal('CN=other');
      expect(caKeys).to.deep.equal([dnKey('CN=ca'), dnKey('CN=other')]);
      expect(problemsOf({ 'trusted-ca': [keyCa('CN=a', { id: 'x' }), keyCa('CN=b', { id: 'x' })] })).to.deep.equal(['trusted-ca: the id "x" is used twice']);
    });

    it('stores what a cert stands for instead of the cert', function () {
      const x509 = new X509Certificate(Buffer.from(cert, 'base64'));
      const { tenant, caKeys } = prepared({ 'trusted-ca': [{ id: 'c', cert, 'auto-provisioning-enabled': true }] });
      const [ca] = tenant['trusted-ca'] as JsonObject[];
      expect(ca).to.not.have.property('cert');
      expect(ca).to.include({
        id: 'c', 'auto-provisioning-enabled': true, 'subject-dn': 'CN=devices,OU=iot,O=ACME', algorithm: 'EC',
        'public-key': x509.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
        'not-before': new Date(x509.validFrom).toISOString().replace('.000Z', 'Z'),
        'not-after': new Date(x509.validTo).toISOString().replace('.000Z', 'Z'),
      });
      expect(Buffer.from(cert, 'base64').includes(Buffer.from(String(ca?.['subject-dn-bytes']), 'base64'))).to.equal(true);
      expect(caKeys).to.deep.equal([dnKey('CN=devices,OU=iot,O=ACME')]);
      expect(schemaError({ 'trusted-ca': [ca] })).to.equal('');
      expect(problemsOf({ 'trusted-ca': [ca as JsonObject] })).to.deep.equal([]);
    });

    it('takes a public key without validity (valid at any time, as the legacy face), where Hono requires one', function () {
      expect(problemsOf({ 'trusted-ca': [{ 'subject-dn': 'CN=ca', 'public-key': ecKey, algorithm: 'EC' }] })).to.deep.equal([]);
    });

    it('checks the identity templates, the OCSP fields and subject-dn-bytes', function () {
      expect(problemsOf({ 'trusted-ca': [keyCa('CN=ca', { 'auth-id-template': 'fixed' })] })).to.deep.equal(['trusted-ca/0/auth-id-template must contain at least one of {{subject-dn}}, {{subject-cn}}, {{subject-ou}}, {{subject-o}}']);
      expect(problemsOf({ 'trusted-ca': [keyCa('CN=ca', { 'auto-provisioning-device-id-template': '{{subject-cn}}-{{serial}}' })] })).to.deep.equal(['trusted-ca/0/auto-provisioning-device-id-template contains unsupported placeholders {{serial}}']);
      expect(problemsOf({ 'trusted-ca': [keyCa('CN=ca', { 'ocsp-revocation-enabled': true })] })).to.deep.equal(['trusted-ca/0: ocsp-revocation-enabled needs cert or ocsp-responder-cert']);
      expect(problemsOf({ 'trusted-ca': [keyCa('CN=ca', { 'ocsp-revocation-enabled': true, 'ocsp-responder-cert': cert })] })).to.deep.equal([]);
      expect(problemsOf({ 'trusted-ca': [keyCa('CN=ca', { 'ocsp-responder-cert': 'AAAA' })] })).to.deep.equal(['trusted-ca/0/ocsp-responder-cert is not a Base64 DER X.509 certificate']);
      expect(problemsOf({ 'trusted-ca': [keyCa('CN=ca', { 'subject-dn-bytes': 'MAA=' })] })).to.deep.equal([]);
      expect(problemsOf({ 'trusted-ca': [keyCa('CN=ca', { 'subject-dn-bytes': 'MAAA' })] })).to.deep.equal(['trusted-ca/0/subject-dn-bytes is not a Base64 DER distinguished name']);
    });
  });

  describe('tenantV1View', function () {
    it('shows a legacy tenant the /v1 way: no tenant-id, unknown members in ext (ext wins), trusted-ca as an array', function () {
      const stored = {
        'tenant-id': 't1', enabled: true, plan: 'gold', 'max-ttd': 30, ext: { plan: 'silver' },
        'trusted-ca': { 'subject-dn': 'CN=ca', 'public-key': ecKey, type: 'EC', note: 'legacy only' },
      };
      expect(tenantV1View(stored)).to.deep.equal({
        enabled: true, ext: { plan: 'silver', 'max-ttd': 30 },
        'trusted-ca': [{ 'subject-dn': 'CN=ca', 'public-key': ecKey, algorithm: 'EC' }],
      });
    });

    it('shows a /v1 tenant as it was written', function () {
      const body = { enabled: false, alias: 'a', ext: { x: 1 }, 'trusted-ca': [keyCa('CN=ca', { id: 'c' })] };
      const { tenant } = prepared(body);
      expect(tenantV1View(tenant)).to.deep.equal(body);
    });
  });

  describe('identity templates', function () {
    it('fill {{subject-dn}}, -cn, -ou and -o from the DN', function () {
      expect(applyIdentityTemplate('{{subject-cn}}.{{subject-ou}}.{{subject-o}} / {{subject-dn}}', 'cn=dev\\, one, OU=iot, O=ACME')).to.equal('dev, one.iot.ACME / CN=dev\\, one,OU=iot,O=ACME');
    });

    it('cannot be filled from a DN without the attribute', function () {
      expect(applyIdentityTemplate('{{subject-ou}}', 'CN=dev')).to.equal(undefined);
      // An attribute given twice: its last occurrence, as Hono's (LdapName lists the RDNs from the right).
      expect(applyIdentityTemplate('{{subject-ou}}', 'CN=a,OU=Floor 2,OU=Sensors,O=ACME')).to.equal('Sensors');
    });

    it('need a known placeholder', function () {
      expect(identityTemplateProblem('{{subject-dn}}')).to.equal(undefined);
      expect(identityTemplateProblem('plain')).to.match(/at least one/);
    });
  });

  describe('registrationLimits and the legacy indexes', function () {
    it('reads the limits, -1 where none is set', function () {
      expect(registrationLimits({ 'registration-limits': { 'max-devices': 3 } })).to.deep.equal({ 'max-devices': 3, 'max-credentials-per-device': -1 });
      expect(registrationLimits({})).to.deep.equal({ 'max-devices': -1, 'max-credentials-per-device': -1 });
    });

    it('the legacy face indexes alias and trust-anchor group too', function () {
      const { prepared: legacy } = prepareTenant({ alias: 'x', 'trust-anchor-group': 'g' }, 't1');
      expect({ alias: legacy.alias, group: legacy.group }).to.deep.equal({ alias: 'x', group: 'g' });
    });
  });
});
