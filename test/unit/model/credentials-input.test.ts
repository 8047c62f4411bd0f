/**
 * The type rules of a /v1 credentials PUT: hashed-password auth-ids, x509-cert `cert` with the
 * issuing CA's auth-id-template, rpk keys and certificates.
 */
import { generateKeyPairSync } from 'node:crypto';
import { expect } from 'chai';
import { publicKeyAlgorithm, readCertificate } from '../../../src/model/credentials-certs.js';
import { MAX_PLAIN_PASSWORDS, plainPasswordProblems, prepareCredentials, recordProblems, type InputContext } from '../../../src/model/credentials-input.js';
import { createTestCa, type IssuedCertificate, type TestCa } from '../../helpers/certificates.js';

const isAuthId = (text: string) => text.length > 0 && text.length <= 1024 && [...text].every((ch) => ch.charCodeAt(0) >= 0x20);
const NO_CAS: InputContext = { trustedCas: [], now: Date.now(), isAuthId };
const spki = (kind: 'rsa' | 'ec') =>
  (kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 1024 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' })).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

function prepare(body: Record<string, unknown>, context: InputContext = NO_CAS) {
  const problems: string[] = [];
  const input = prepareCredentials(body, '0', context, problems);
  return { input, problems };
}

describe('model/credentials-input', function () {
  this.timeout(20_000);
  let ca: TestCa;
  let device: IssuedCertificate;
  const CA_DN = 'CN=ACME Devices CA,O=ACME';

  before(async function () {
    ca = await createTestCa('/O=ACME/CN=ACME Devices CA');
    device = await ca.issue('/O=ACME/OU=Sensors/OU=Floor 2/CN=sensor-7');
  });
  after(async function () {
    await ca?.dispose();
  });

  describe('certificates and keys', function () {
    it('reads subject, issuer, validity and public key of a DER certificate', function () {
      const facts = readCertificate(device.der);
      expect(facts?.subjectDn).to.equal('CN=sensor-7,OU=Floor 2,OU=Sensors,O=ACME');
      expect(facts?.issuerDn).to.equal(CA_DN);
      expect(facts?.notBefore).to.equal(new Date(device.cert.validFrom).toISOString());
      expect(facts?.notAfter).to.equal(new Date(device.cert.validTo).toISOString());
      expect(facts?.algorithm).to.equal('EC');
      expect(publicKeyAlgorithm(facts?.publicKey ?? '')).to.equal('EC');
    });

    it('answers undefined for what is not a Base64 DER certificate or key', function () {
      expect(readCertificate('AQID')).to.equal(undefined);
      expect(readCertificate('not base64!')).to.equal(undefined);
      expect(readCertificate(Buffer.from(device.cert.toString()).toString('base64'))).to.equal(undefined); // PEM
      expect(publicKeyAlgorithm('AQID')).to.equal(undefined);
      expect(publicKeyAlgorithm(spki('rsa'))).to.equal('RSA');
    });
  });

  describe('prepareCredentials', function () {
    it('checks hashed-password auth-ids against Hono 1.10+ default rule', function () {
      expect(prepare({ type: 'hashed-password', 'auth-id': 'my_sensor.20=ext-1', secrets: [{ 'pwd-plain': 'x' }] }).problems).to.deep.equal([]);
      expect(prepare({ type: 'hashed-password', 'auth-id': '#illegal', secrets: [{ 'pwd-plain': 'x' }] }).problems[0]).to.match(/0\/auth-id of hashed-password credentials must match/);
      expect(prepare({ type: 'psk', 'auth-id': '#any', secrets: [{ key: 'a2V5' }] }).problems).to.deep.equal([]);
    });

    it('normalises an x509-cert subject DN and keeps an auth-id that is no DN as it is', function () {
      expect(prepare({ type: 'x509-cert', 'auth-id': 'cn=a, o=b', secrets: [{}] }).input['auth-id']).to.equal('CN=a,O=b');
      expect(prepare({ type: 'x509-cert', 'auth-id': 'device-a', secrets: [{}] }).input['auth-id']).to.equal('device-a');
      expect(prepare({ type: 'x509-cert', 'auth-id': 'CN=a' }).problems[0]).to.match(/need "auth-id" and "secrets", or "cert"/);
    });

    it('takes auth-id and validity from an x509-cert cert and drops the certificate', function () {
      const { input, problems } = prepare({ type: 'x509-cert', cert: device.der, secrets: [{ id: 'kept', comment: 'c', 'not-after': '2099-01-01T00:00:00Z' }] });
      expect(problems).to.deep.equal([]);
      expect(input).to.deep.equal({
        type: 'x509-cert', 'auth-id': 'CN=sensor-7,OU=Floor 2,OU=Sensors,O=ACME',
        secrets: [{ id: 'kept', comment: 'c', 'not-before': new Date(device.cert.validFrom).toISOString(), 'not-after': new Date(device.cert.validTo).toISOString() }],
      });
    });

    it('applies the auth-id-template of the trusted CA that issued the cert, only while that CA is valid', function () {
      const template = { 'subject-dn': CA_DN, 'public-key': ca.publicKey, 'auth-id-template': '{{subject-o}}-{{subject-cn}}' };
      expect(prepare({ type: 'x509-cert', cert: device.der }, { trustedCas: [template], now: Date.now(), isAuthId }).input['auth-id']).to.equal('ACME-sensor-7');
      const other = { ...template, 'subject-dn': 'CN=Other CA' };
      expect(prepare({ type: 'x509-cert', cert: device.der }, { trustedCas: [other], now: Date.now(), isAuthId }).input['auth-id']).to.equal('CN=sensor-7,OU=Floor 2,OU=Sensors,O=ACME');
      const expired = { ...template, 'not-after': '2001-01-01T00:00:00Z' };
      expect(prepare({ type: 'x509-cert', cert: device.der }, { trustedCas: [expired], now: Date.now(), isAuthId }).input['auth-id']).to.equal('CN=sensor-7,OU=Floor 2,OU=Sensors,O=ACME');
    });

    it('reports a template the subject cannot fill, a cert that is none, and an auth-id the cert contradicts', async function () {
      const template = { 'subject-dn': CA_DN, 'auth-id-template': 'floor-{{subject-ou}}' };
      const plain = await ca.issue('/O=ACME/CN=plain');
      expect(prepare({ type: 'x509-cert', cert: device.der }, { trustedCas: [template], now: Date.now(), isAuthId }).input['auth-id']).to.equal('floor-Sensors');
      expect(prepare({ type: 'x509-cert', cert: plain.der }, { trustedCas: [template], now: Date.now(), isAuthId }).problems[0]).to.match(/^0\/cert: the auth-id-template "floor-\{\{subject-ou\}\}" of its CA needs an attribute its subject "CN=plain,O=ACME" lacks$/);
      expect(prepare({ type: 'x509-cert', cert: 'AQID' }).problems).to.deep.equal(['0/cert is not a Base64 DER X.509 certificate']);
      expect(prepare({ type: 'x509-cert', cert: device.der }, { ...NO_CAS, isAuthId: () => false }).problems).to.deep.equal(['0/cert gives an auth-id with control characters or over 1024 characters']);
      expect(prepare({ type: 'x509-cert', cert: device.der, 'auth-id': 'CN=someone else' }).problems[0]).to.match(/0\/auth-id differs from the one the certificate gives/);
      expect(prepare({ type: 'x509-cert', cert: device.der, 'auth-id': 'cn=sensor-7, ou=Floor 2, ou=Sensors, o=ACME' }).problems).to.deep.equal([]);
    });

    it('takes an rpk key, its algorithm and validity from a cert, and the algorithm of a bare key from the key', function () {
      const fromCert = prepare({ type: 'rpk', 'auth-id': 'bumlux', secrets: [{ cert: device.der }] });
      expect(fromCert.problems).to.deep.equal([]);
      expect(fromCert.input.secrets[0]).to.deep.equal({
        key: readCertificate(device.der)?.publicKey, algorithm: 'EC',
        'not-before': new Date(device.cert.validFrom).toISOString(), 'not-after': new Date(device.cert.validTo).toISOString(),
      });
      const rsa = spki('rsa');
      expect(prepare({ type: 'rpk', 'auth-id': 'a', secrets: [{ key: rsa }] }).input.secrets[0]).to.deep.equal({ key: rsa, algorithm: 'RSA' });
    });

    it('reports an rpk key that is no public key, one of another algorithm, and a cert that is none (CMIT)', function () {
      expect(prepare({ type: 'rpk', 'auth-id': 'a', secrets: [{ key: 'AQID', algorithm: 'EC' }] }).problems).to.deep.equal(['0/secrets/0/key is not a Base64 DER SubjectPublicKeyInfo of an RSA or EC key']);
      expect(prepare({ type: 'rpk', 'auth-id': 'a', secrets: [{ key: spki('rsa'), algorithm: 'EC' }] }).problems).to.deep.equal(['0/secrets/0/algorithm is EC, but the key is an RSA key']);
      expect(prepare({ type: 'rpk', 'auth-id': 'a', secrets: [{ cert: 'AQID' }] }).problems).to.deep.equal(['0/secrets/0/cert is not a Base64 DER X.509 certificate of an RSA or EC key']);
    });
  });

  describe('checks of the records to store', function () {
    it('require a key of every rpk and psk secret once merged, and check other types only for their validity period', function () {
      const rpk = { 'device-id': 'd', type: 'rpk', 'auth-id': 'a', enabled: true, secrets: [{ id: 's' }] };
      expect(recordProblems([rpk], 10)).to.deep.equal(['0/secrets/0: an rpk secret needs "key" or "cert"']);
      const psk = { 'device-id': 'd', type: 'psk', 'auth-id': 'a', enabled: true, secrets: [{ id: 's' }] };
      expect(recordProblems([psk], 10)).to.deep.equal(['0/secrets/0: a psk secret needs a "key"']);
      const other = { 'device-id': 'd', type: 'type-0', 'auth-id': 'a', enabled: true, secrets: [{ key: 'not base64!' }, { 'not-before': '2030-01-01T00:00:00Z', 'not-after': '2020-01-01T00:00:00Z' }] };
      expect(recordProblems([other], 10)).to.deep.equal(['0/secrets/1: not-before must be earlier than not-after']);
    });

    it(`refuse more than ${MAX_PLAIN_PASSWORDS} plain passwords in one request`, function () {
      const secrets = Array.from({ length: MAX_PLAIN_PASSWORDS }, () => ({ 'pwd-plain': 'x' }));
      expect(plainPasswordProblems([{ type: 'hashed-password', 'auth-id': 'a', secrets }])).to.deep.equal([]);
      expect(plainPasswordProblems([{ type: 'hashed-password', 'auth-id': 'a', secrets }, { type: 'hashed-password', 'auth-id': 'b', secrets: [{ 'pwd-plain': 'y' }] }])[0]).to.match(/33 "pwd-plain" secrets; one request may carry at most 32/);
    });
  });
});
