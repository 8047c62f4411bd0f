/**
 * `/tenant` resources of the HTTP management API: Hono's TenantHttpIT (docs/amqp-api.md §9.3)
 * and the validation rules of §3.3, §3.4 and §7.4, against a real registry and a real Redis.
 */
import { X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { http } from '../../helpers/registry.js';
import { containsShown } from '../../helpers/seed-examples.js';
import {
  createTenant, expectCreated, expectError, expectNoContent, expectOk, publicKey, selfSignedCert, useRegistry, type Json,
} from './support.js';

describe('HTTP /tenant', function () {
  this.timeout(20_000);
  const suite = useRegistry();
  let rsaKey: string;
  let ecKey: string;

  before(function () {
    rsaKey = publicKey('rsa');
    ecKey = publicKey('ec');
  });

  const get = (id: string) => http(suite.base, 'GET', `/tenant/${encodeURIComponent(id)}`);
  const post = (body: unknown) => http(suite.base, 'POST', '/tenant', body);
  const put = (id: string, body: unknown) => http(suite.base, 'PUT', `/tenant/${encodeURIComponent(id)}`, body);
  const withCa = (id: string, ca: Json): Json => ({ 'tenant-id': id, 'trusted-ca': ca });

  describe('TenantHttpIT behaviours', function () {
    it('answers 201 with the Location of the new tenant', async function () {
      expectCreated(await post({ 'tenant-id': 'tenant-a' }), '/tenant/tenant-a');
      expect(expectOk(await get('tenant-a'))['tenant-id']).to.equal('tenant-a');
    });

    it('answers 409 when the tenant id exists', async function () {
      await createTenant(suite.base, 'tenant-a');
      expectError(await post({ 'tenant-id': 'tenant-a', plan: 'other' }), 409);
      expect(expectOk(await get('tenant-a'))).to.not.have.property('plan');
    });

    it('answers 400 when the Content-Type is not application/json', async function () {
      expectError(await http(suite.base, 'POST', '/tenant', JSON.stringify({ 'tenant-id': 'tenant-a' }), { 'Content-Type': 'text/plain' }), 400);
      expectError(await get('tenant-a'), 404);
    });

    it('answers 400 to an empty body', async function () {
      expectError(await http(suite.base, 'POST', '/tenant', ''), 400);
    });

    it('answers 204 to a PUT and a later GET shows the new content (enabled false)', async function () {
      await createTenant(suite.base, 'tenant-a', { plan: 'gold' });
      expectNoContent(await put('tenant-a', { 'tenant-id': 'tenant-a', enabled: false, plan: 'silver' }));
      const tenant = expectOk(await get('tenant-a'));
      expect(tenant).to.deep.include({ 'tenant-id': 'tenant-a', enabled: false, plan: 'silver' });
    });

    it('answers 204 to a PUT whose body has no tenant-id (the path names it)', async function () {
      await createTenant(suite.base, 'tenant-a');
      expectNoContent(await put('tenant-a', { enabled: false }));
      expect(expectOk(await get('tenant-a'))).to.deep.include({ 'tenant-id': 'tenant-a', enabled: false });
    });

    it('answers 404 to a PUT of an unknown tenant', async function () {
      expectError(await put('no-such-tenant', { 'tenant-id': 'no-such-tenant', enabled: false }), 404);
      expectError(await get('no-such-tenant'), 404);
    });

    it('answers 204 to a DELETE and the tenant is gone afterwards', async function () {
      await createTenant(suite.base, 'tenant-a');
      expectNoContent(await http(suite.base, 'DELETE', '/tenant/tenant-a'));
      expectError(await get('tenant-a'), 404);
    });

    it('answers 404 to a DELETE of an unknown tenant', async function () {
      expectError(await http(suite.base, 'DELETE', '/tenant/no-such-tenant'), 404);
    });

    it('answers 404 to a GET of an unknown tenant', async function () {
      expectError(await get('no-such-tenant'), 404);
    });

    it('returns a superset of what was added, with enabled and adapter flags defaulted to true', async function () {
      const added = {
        'tenant-id': 'tenant-a',
        plan: 'gold',
        adapters: [
          { type: 'hono-http', custom: { options: { maxInstances: 4, label: 'x' } } },
          { type: 'hono-mqtt', enabled: false, 'device-authentication-required': false, 'max-ttd': 30 },
        ],
      };
      await createTenant(suite.base, 'tenant-a', added);
      const tenant = expectOk(await get('tenant-a'));
      expect(containsShown(tenant, added), JSON.stringify(tenant)).to.equal(true);
      expect(tenant.enabled).to.equal(true);
      expect(tenant.adapters).to.deep.equal([
        { type: 'hono-http', custom: { options: { maxInstances: 4, label: 'x' } }, enabled: true, 'device-authentication-required': true },
        { type: 'hono-mqtt', enabled: false, 'device-authentication-required': false, 'max-ttd': 30 },
      ]);
    });

    it('answers 400 to a trusted-ca with a malformed cert', async function () {
      expectError(await post(withCa('tenant-a', { 'subject-dn': 'CN=ca,OU=Hono,O=Eclipse', cert: 'NotBase64Encoded' })), 400);
      expectError(await post(withCa('tenant-a', { 'subject-dn': 'CN=ca,OU=Hono,O=Eclipse', cert: Buffer.from('not a certificate').toString('base64') })), 400);
      expectError(await get('tenant-a'), 404);
    });
  });

  describe('tenant ids and bodies', function () {
    it('answers 400 to a POST without tenant-id', async function () {
      expectError(await post({ plan: 'gold' }), 400);
    });

    it('answers 400 to a PUT whose body tenant-id differs from the path', async function () {
      await createTenant(suite.base, 'tenant-a');
      await createTenant(suite.base, 'tenant-b');
      expectError(await put('tenant-a', { 'tenant-id': 'tenant-b', enabled: false }), 400);
      expect(expectOk(await get('tenant-a')).enabled).to.equal(true);
      expect(expectOk(await get('tenant-b')).enabled).to.equal(true);
    });

    it('round-trips a tenant id with URL-reserved and non-ASCII characters through Location', async function () {
      const id = 'acme/ü x';
      const res = await post({ 'tenant-id': id });
      expectCreated(res, `/tenant/${encodeURIComponent(id)}`);
      expect(expectOk(await http(suite.base, 'GET', res.headers.get('location') as string))['tenant-id']).to.equal(id);
    });
  });

  describe('adapters', function () {
    it('answers 400 to an empty adapters array', async function () {
      expectError(await post({ 'tenant-id': 'tenant-a', adapters: [] }), 400);
      expectError(await get('tenant-a'), 404);
    });

    it('answers 400 to an adapter entry without type', async function () {
      expectError(await post({ 'tenant-id': 'tenant-a', adapters: [{ enabled: true }] }), 400);
    });

    it('answers 400 when an adapter type is listed twice', async function () {
      expectError(await post({ 'tenant-id': 'tenant-a', adapters: [{ type: 'hono-http' }, { type: 'hono-http', enabled: false }] }), 400);
      expectError(await get('tenant-a'), 404);
    });

    it('answers 400 to a PUT with an adapter type listed twice', async function () {
      await createTenant(suite.base, 'tenant-a');
      expectError(await put('tenant-a', { adapters: [{ type: 'hono-mqtt' }, { type: 'hono-mqtt' }] }), 400);
      expect(expectOk(await get('tenant-a'))).to.not.have.property('adapters');
    });
  });

  describe('trusted-ca', function () {
    it('accepts an RSA public key and returns the CA as given', async function () {
      const ca = { 'subject-dn': 'CN=ca,OU=Hono,O=Eclipse', 'public-key': rsaKey };
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': ca });
      expect(expectOk(await get('tenant-a'))['trusted-ca']).to.deep.include(ca);
    });

    it('accepts an EC public key declared as EC', async function () {
      const ca = { 'subject-dn': 'CN=ec-ca,O=Eclipse', 'public-key': ecKey, type: 'EC', algorithm: 'EC' };
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': ca });
      expect(expectOk(await get('tenant-a'))['trusted-ca']).to.deep.include(ca);
    });

    it('answers 400 to an EC public key without algorithm (RSA is the default)', async function () {
      expectError(await post(withCa('tenant-a', { 'subject-dn': 'CN=ec-ca,O=Eclipse', 'public-key': ecKey })), 400);
    });

    /** The Base64 DER SubjectPublicKeyInfo of a Base64 DER certificate. */
    const keyOf = (cert: string) => new X509Certificate(Buffer.from(cert, 'base64')).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

    it('accepts a DER certificate made by openssl whose subject matches subject-dn, and stores what it holds instead, as Hono does', async function () {
      const cert = await selfSignedCert('/O=Eclipse/OU=Hono/CN=cert-ca');
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': { 'subject-dn': 'cn=cert-ca, ou=Hono, o=Eclipse', cert } });
      const ca = expectOk(await get('tenant-a'))['trusted-ca'] as Json;
      expect(ca).to.include({ 'subject-dn': 'CN=cert-ca,OU=Hono,O=Eclipse', 'public-key': keyOf(cert), algorithm: 'RSA' });
      expect(ca).to.include.all.keys('not-before', 'not-after', 'subject-dn-bytes');
      expect(ca).to.not.have.property('cert');
    });

    it('accepts an EC DER certificate made by openssl', async function () {
      const cert = await selfSignedCert('/O=Eclipse/CN=ec-cert-ca', 'ec');
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': { 'subject-dn': 'CN=ec-cert-ca,O=Eclipse', cert } });
      expect(expectOk(await get('tenant-a'))['trusted-ca']).to.include({ 'public-key': keyOf(cert), algorithm: 'EC' });
    });

    it('accepts the 1.x array form with several CAs', async function () {
      const cas = [
        { 'subject-dn': 'CN=ca-1,O=Eclipse', 'public-key': rsaKey },
        { 'subject-dn': 'CN=ca-2,O=Eclipse', 'public-key': ecKey, algorithm: 'EC' },
      ];
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': cas });
      expect(expectOk(await get('tenant-a'))['trusted-ca']).to.deep.equal(cas);
    });

    it('answers 400 to a trusted-ca without subject-dn', async function () {
      expectError(await post(withCa('tenant-a', { 'public-key': rsaKey })), 400);
      expectError(await get('tenant-a'), 404);
    });

    it('answers 400 to a trusted-ca with both cert and public-key', async function () {
      const cert = await selfSignedCert('/O=Eclipse/CN=both');
      expectError(await post(withCa('tenant-a', { 'subject-dn': 'CN=both,O=Eclipse', cert, 'public-key': rsaKey })), 400);
    });

    it('answers 400 to a trusted-ca with neither cert nor public-key', async function () {
      expectError(await post(withCa('tenant-a', { 'subject-dn': 'CN=ca,OU=Hono,O=Eclipse' })), 400);
    });

    it('answers 400 to a public key that cannot be decoded (NotBase64Encoded)', async function () {
      expectError(await post(withCa('tenant-a', { 'subject-dn': 'CN=ca,OU=Hono,O=Eclipse', 'public-key': 'NotBase64Encoded' })), 400);
      expectError(await post(withCa('tenant-a', { 'subject-dn': 'CN=ca,OU=Hono,O=Eclipse', 'public-key': 'not base64 at all!' })), 400);
    });

    it('answers 400 to a subject DN that cannot be parsed', async function () {
      expectError(await post(withCa('tenant-a', { 'subject-dn': 'not a DN', 'public-key': rsaKey })), 400);
      expectError(await post(withCa('tenant-a', { 'subject-dn': 'CN=ca,', 'public-key': rsaKey })), 400);
      expectError(await get('tenant-a'), 404);
    });

    it('answers 400 to a PUT with an invalid trusted-ca and keeps the stored tenant', async function () {
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': { 'subject-dn': 'CN=ca,OU=Hono,O=Eclipse', 'public-key': rsaKey } });
      expectError(await put('tenant-a', withCa('tenant-a', { 'subject-dn': 'CN=ca,OU=Hono,O=Eclipse', 'public-key': 'NotBase64Encoded' })), 400);
      expect(expectOk(await get('tenant-a'))['trusted-ca']).to.deep.include({ 'public-key': rsaKey });
    });
  });

  describe('CA subject DN uniqueness', function () {
    const DN = 'CN=ca,OU=Hono,O=Eclipse';

    it('answers 409 to a POST whose CA subject DN is used by another tenant', async function () {
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': { 'subject-dn': DN, 'public-key': rsaKey } });
      expectError(await post(withCa('tenant-b', { 'subject-dn': DN, 'public-key': ecKey, algorithm: 'EC' })), 409);
      expectError(await get('tenant-b'), 404);
    });

    it('answers 409 to a POST whose CA subject DN is written with spaces after the commas', async function () {
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': { 'subject-dn': DN, 'public-key': rsaKey } });
      expectError(await post(withCa('tenant-b', { 'subject-dn': 'CN=ca, OU=Hono, O=Eclipse', 'public-key': rsaKey })), 409);
    });

    it('answers 409 to a POST whose CA subject DN differs only in the case of the attribute keywords', async function () {
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': { 'subject-dn': 'CN=ca, OU=Hono, O=Eclipse', 'public-key': rsaKey } });
      expectError(await post(withCa('tenant-b', { 'subject-dn': 'cn=ca,ou=Hono,o=Eclipse', 'public-key': rsaKey })), 409);
    });

    it('answers 409 to a POST whose CA array contains a DN used by another tenant', async function () {
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': { 'subject-dn': DN, 'public-key': rsaKey } });
      const cas = [
        { 'subject-dn': 'CN=other,O=Eclipse', 'public-key': rsaKey },
        { 'subject-dn': DN, 'public-key': rsaKey },
      ];
      expectError(await post({ 'tenant-id': 'tenant-b', 'trusted-ca': cas }), 409);
    });

    it('answers 409 to a PUT whose CA subject DN is used by another tenant', async function () {
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': { 'subject-dn': DN, 'public-key': rsaKey } });
      await createTenant(suite.base, 'tenant-b');
      expectError(await put('tenant-b', withCa('tenant-b', { 'subject-dn': DN, 'public-key': rsaKey })), 409);
      expectError(await put('tenant-b', withCa('tenant-b', { 'subject-dn': 'Cn=ca ,  Ou=Hono,  o=Eclipse', 'public-key': rsaKey })), 409);
      expect(expectOk(await get('tenant-b'))).to.not.have.property('trusted-ca');
    });

    it('lets the owning tenant keep its CA subject DN on PUT', async function () {
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': { 'subject-dn': DN, 'public-key': rsaKey } });
      expectNoContent(await put('tenant-a', withCa('tenant-a', { 'subject-dn': 'CN=ca, OU=Hono, O=Eclipse', 'public-key': ecKey, algorithm: 'EC' })));
      expect(expectOk(await get('tenant-a'))['trusted-ca']).to.deep.include({ 'public-key': ecKey });
    });

    it('frees the CA subject DN when the owning tenant is deleted', async function () {
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': { 'subject-dn': DN, 'public-key': rsaKey } });
      expectNoContent(await http(suite.base, 'DELETE', '/tenant/tenant-a'));
      await createTenant(suite.base, 'tenant-b', { 'trusted-ca': { 'subject-dn': 'CN=ca, OU=Hono, O=Eclipse', 'public-key': rsaKey } });
    });

    it('frees the old CA subject DN when the owning tenant replaces its CA', async function () {
      await createTenant(suite.base, 'tenant-a', { 'trusted-ca': { 'subject-dn': DN, 'public-key': rsaKey } });
      expectNoContent(await put('tenant-a', withCa('tenant-a', { 'subject-dn': 'CN=new-ca,O=Eclipse', 'public-key': rsaKey })));
      await createTenant(suite.base, 'tenant-b', { 'trusted-ca': { 'subject-dn': DN, 'public-key': rsaKey } });
      expectError(await post(withCa('tenant-c', { 'subject-dn': 'CN=new-ca,O=Eclipse', 'public-key': rsaKey })), 409);
    });
  });
});
