import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTrustedCa, x509SubjectToDn } from '../../../src/model/trusted-ca.js';

const PATH = 'trusted-ca/0';

function spkiBase64(type: 'rsa' | 'ec'): string {
  const pair = type === 'rsa'
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** Creates a self-signed certificate with openssl; returns it as Base64 DER. */
function selfSignedCert(dir: string, name: string, subject: string, newkey: string[]): string {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.der`);
  execFileSync('openssl', ['req', '-x509', ...newkey, '-nodes', '-subj', subject, '-days', '1',
    '-keyout', keyFile, '-out', certFile, '-outform', 'DER'], { stdio: 'pipe' });
  return readFileSync(certFile).toString('base64');
}

describe('model/trusted-ca', () => {
  let rsaKey: string;
  let ecKey: string;
  let tmp: string;
  let rsaCert: string;
  let ecCert: string;

  before(function () {
    this.timeout(30000);
    rsaKey = spkiBase64('rsa');
    ecKey = spkiBase64('ec');
    tmp = mkdtempSync(join(tmpdir(), 'trusted-ca-test-'));
    rsaCert = selfSignedCert(tmp, 'rsa', '/CN=ca/OU=Hono/O=Eclipse', ['-newkey', 'rsa:2048']);
    ecCert = selfSignedCert(tmp, 'ec', '/CN=ec-ca/O=Eclipse',
      ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  });

  after(() => {
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  describe('with a public key', () => {
    it('accepts an RSA key and defaults the algorithm to RSA', () => {
      const result = checkTrustedCa({ 'subject-dn': 'CN=ca, OU=Hono, O=Eclipse', 'public-key': rsaKey }, PATH);
      expect(result.problems).to.deep.equal([]);
      expect(result.decoded).to.deep.equal({ subjectDn: 'CN=ca,OU=Hono,O=Eclipse', algorithm: 'RSA', publicKey: rsaKey });
    });

    it('accepts an EC key labelled EC via "algorithm" or the legacy "type"', () => {
      for (const field of ['algorithm', 'type']) {
        const result = checkTrustedCa({ 'subject-dn': 'CN=ca', 'public-key': ecKey, [field]: 'EC' }, PATH);
        expect(result.problems).to.deep.equal([]);
        expect(result.decoded?.algorithm).to.equal('EC');
      }
    });

    it('rejects an EC key labelled RSA, explicitly or by default', () => {
      for (const extra of [{ algorithm: 'RSA' }, {}]) {
        const result = checkTrustedCa({ 'subject-dn': 'CN=ca', 'public-key': ecKey, ...extra }, PATH);
        expect(result.problems).to.deep.equal([`${PATH}: the key is an EC key but the algorithm is RSA`]);
        expect(result.decoded).to.equal(undefined);
      }
    });

    it('rejects an RSA key labelled EC', () => {
      const result = checkTrustedCa({ 'subject-dn': 'CN=ca', 'public-key': rsaKey, type: 'EC' }, PATH);
      expect(result.problems).to.deep.equal([`${PATH}: the key is an RSA key but the algorithm is EC`]);
    });

    it('rejects unknown or conflicting algorithm names', () => {
      expect(checkTrustedCa({ 'subject-dn': 'CN=ca', 'public-key': rsaKey, algorithm: 'rsa' }, PATH).problems)
        .to.deep.equal([`${PATH}/algorithm must be "RSA" or "EC"`]);
      expect(checkTrustedCa({ 'subject-dn': 'CN=ca', 'public-key': ecKey, algorithm: 'EC', type: 'RSA' }, PATH).problems)
        .to.have.lengthOf(1).and.to.match(/differ/);
    });

    it('rejects values that are not strict Base64 or not a DER SubjectPublicKeyInfo', () => {
      const garbage = Buffer.from('hello').toString('base64');
      const wrapped = `${rsaKey.slice(0, 64)}\n${rsaKey.slice(64)}`;
      const unpadded = ecKey.replace(/=+$/, '');
      expect(unpadded).to.not.equal(ecKey);
      for (const value of ['NotBase64Encoded', 'notBase64', '', garbage, wrapped, unpadded, `${ecKey}=`, 42]) {
        const result = checkTrustedCa({ 'subject-dn': 'CN=ca', 'public-key': value }, PATH);
        expect(result.problems, String(value)).to.deep.equal([`${PATH}/public-key is not a Base64 DER SubjectPublicKeyInfo`]);
      }
    });

    it('requires a subject DN', () => {
      expect(checkTrustedCa({ 'public-key': rsaKey }, PATH).problems).to.deep.equal([`${PATH}/subject-dn is required`]);
    });
  });

  describe('key material', () => {
    it('rejects an object with both "cert" and "public-key"', () => {
      const result = checkTrustedCa({ 'subject-dn': 'CN=ca', 'public-key': rsaKey, cert: rsaCert }, PATH);
      expect(result.problems).to.deep.equal([`${PATH} must contain exactly one of "cert" and "public-key"`]);
    });

    it('rejects an object with neither "cert" nor "public-key"', () => {
      const result = checkTrustedCa({ 'subject-dn': 'CN=ca' }, PATH);
      expect(result.problems).to.deep.equal([`${PATH} must contain exactly one of "cert" and "public-key"`]);
    });
  });

  describe('with a certificate', () => {
    it('accepts a certificate whose subject matches subject-dn (RFC 2253 order: last RDN first)', () => {
      const result = checkTrustedCa({ 'subject-dn': 'o=eclipse, ou=HONO, 2.5.4.3=ca', cert: rsaCert }, PATH);
      expect(result.problems).to.deep.equal([]);
      expect(result.decoded?.subjectDn).to.equal('O=eclipse,OU=HONO,CN=ca');
      expect(result.decoded?.algorithm).to.equal('RSA');
    });

    it('takes the subject and the validity period from the certificate', () => {
      const x509 = new X509Certificate(Buffer.from(rsaCert, 'base64'));
      const result = checkTrustedCa({ cert: rsaCert }, PATH);
      expect(result.problems).to.deep.equal([]);
      const { subjectDer, ...rest } = result.decoded ?? {};
      expect(rest).to.deep.equal({
        subjectDn: 'O=Eclipse,OU=Hono,CN=ca',
        algorithm: 'RSA',
        notBefore: new Date(x509.validFrom),
        notAfter: new Date(x509.validTo),
        publicKey: x509.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      });
      // openssl's parse of the TBSCertificate: its sixth element (after the version) is the subject.
      const der = Buffer.from(rsaCert, 'base64');
      const listing = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: der }).toString();
      const [, offset, header, length] = [...listing.matchAll(/^\s*(\d+):d=2\s+hl=\s*(\d+)\s+l=\s*(\d+)/gm)][5] ?? [];
      const start = Number(offset);
      expect(subjectDer?.equals(der.subarray(start, start + Number(header) + Number(length)))).to.equal(true);
    });

    it('prefers explicit validity dates over those of the certificate', () => {
      const result = checkTrustedCa({ cert: rsaCert, 'not-before': '2020-01-01T00:00:00Z', 'not-after': '2040-01-01T00:00:00+02:00' }, PATH);
      expect(result.decoded?.notBefore?.toISOString()).to.equal('2020-01-01T00:00:00.000Z');
      expect(result.decoded?.notAfter?.toISOString()).to.equal('2039-12-31T22:00:00.000Z');
    });

    it('rejects a subject-dn that differs from the certificate subject', () => {
      for (const dn of ['CN=other,OU=Hono,O=Eclipse', 'CN=ca,OU=Hono,O=Eclipse']) {
        const result = checkTrustedCa({ 'subject-dn': dn, cert: rsaCert }, PATH);
        expect(result.problems).to.have.lengthOf(1);
        expect(result.problems[0]).to.match(/^trusted-ca\/0\/subject-dn does not match the subject of the certificate/);
      }
    });

    it('derives the algorithm from an EC certificate and checks a declared one', () => {
      expect(checkTrustedCa({ cert: ecCert }, PATH).decoded?.algorithm).to.equal('EC');
      expect(checkTrustedCa({ cert: ecCert, algorithm: 'RSA' }, PATH).problems)
        .to.deep.equal([`${PATH}: the key is an EC key but the algorithm is RSA`]);
    });

    it('rejects values that are not a Base64 DER certificate', () => {
      const pem = Buffer.from(new X509Certificate(Buffer.from(rsaCert, 'base64')).toString()).toString('base64');
      for (const value of ['NotBase64Encoded', rsaKey, pem]) {
        expect(checkTrustedCa({ cert: value }, PATH).problems).to.deep.equal([`${PATH}/cert is not a Base64 DER X.509 certificate`]);
      }
    });
  });

  describe('subject DN and dates', () => {
    it('rejects a subject-dn that is not a distinguished name', () => {
      const result = checkTrustedCa({ 'subject-dn': 'not a DN', 'public-key': rsaKey }, PATH);
      expect(result.problems).to.have.lengthOf(1);
      expect(result.problems[0]).to.match(/^trusted-ca\/0\/subject-dn is not a valid distinguished name: .+/);
      expect(checkTrustedCa({ 'subject-dn': 7, 'public-key': rsaKey }, PATH).problems).to.have.lengthOf(1);
    });

    it('accepts ISO-8601 date-times with offset and returns them', () => {
      const result = checkTrustedCa({ 'subject-dn': 'CN=ca', 'public-key': rsaKey,
        'not-before': '2024-02-29T10:00:00.5+01:00', 'not-after': '2025-01-01T00:00Z' }, PATH);
      expect(result.problems).to.deep.equal([]);
      expect(result.decoded?.notBefore?.toISOString()).to.equal('2024-02-29T09:00:00.500Z');
      expect(result.decoded?.notAfter?.toISOString()).to.equal('2025-01-01T00:00:00.000Z');
    });

    it('rejects dates without offset, impossible dates and non-strings', () => {
      for (const value of ['2024-01-01T00:00:00', '2024-01-01', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z',
        '2024-01-01T24:00:00Z', 'yesterday', 1700000000000]) {
        const result = checkTrustedCa({ 'subject-dn': 'CN=ca', 'public-key': rsaKey, 'not-after': value }, PATH);
        expect(result.problems, String(value)).to.have.lengthOf(1);
        expect(result.problems[0]).to.match(/^trusted-ca\/0\/not-after is not an ISO-8601 date-time with offset/);
      }
    });

    it('rejects not-before at or after not-after', () => {
      for (const notAfter of ['2024-01-01T00:00:00Z', '2023-01-01T00:00:00Z']) {
        const result = checkTrustedCa({ 'subject-dn': 'CN=ca', 'public-key': rsaKey,
          'not-before': '2024-01-01T01:00:00+01:00', 'not-after': notAfter }, PATH);
        expect(result.problems).to.deep.equal([`${PATH}: not-before must be before not-after`]);
      }
    });

    it('rejects a non-boolean auto-provisioning-enabled', () => {
      const result = checkTrustedCa({ 'subject-dn': 'CN=ca', 'public-key': rsaKey, 'auto-provisioning-enabled': 'yes' }, PATH);
      expect(result.problems).to.deep.equal([`${PATH}/auto-provisioning-enabled must be a boolean`]);
    });

    it('reports all problems at once', () => {
      const result = checkTrustedCa({ 'subject-dn': '', 'public-key': 'notBase64', 'not-before': 'x' }, PATH);
      expect(result.problems).to.have.lengthOf(3);
    });
  });

  describe('x509SubjectToDn', () => {
    it('turns Node\'s multi-line subject into an RFC 4514 string', () => {
      expect(x509SubjectToDn('CN=a\\,b + UID=x\nOU=Hono\nO=Eclipse')).to.equal('O=Eclipse,OU=Hono,CN=a\\,b + UID=x');
    });
  });
});
