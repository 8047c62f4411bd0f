/**
 * /v1/tenants and /v1/tenants/{tenantId} (docs/management-v1.md "Tenants"), as Hono 2.7's
 * TenantManagementIT exercises them, over a real registry and Redis (standalone and cluster).
 */
import { expect } from 'chai';
import { http } from '../../helpers/registry.js';
import { createTenant, expectError, expectNoContent, expectOk, publicKey, registerDevice, selfSignedCert, useRegistry, type Json } from '../http/support.js';
import { ETAG, MERGE_PATCH, expectV1Created } from './tenants-support.js';

const ca = (dn: string, extra: Json = {}): Json => ({ 'subject-dn': dn, 'public-key': publicKey('ec'), algorithm: 'EC', 'not-before': '2024-01-01T00:00:00Z', 'not-after': '2099-01-01T00:00:00Z', ...extra });

describe('/v1 tenants', function () {
  this.timeout(20_000);
  const suite = useRegistry({ REGISTRY_HTTP_MAX_BODY_BYTES: '2000' });
  const v1 = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => http(suite.base, method, `/v1/tenants${path}`, body, headers);

  describe('create', function () {
    it('creates a tenant with the given id: 201, Location, ETag and {"id"}; GET answers the same ETag and what was posted, without status', async function () {
      const body = { enabled: true, 'minimum-message-size': 2048, 'resource-limits': { 'max-connections': 1000 }, 'registration-limits': { 'max-devices': 100, 'max-credentials-per-device': 5 }, ext: { a: 1 } };
      const res = await v1('POST', '/t1', body);
      expectV1Created(res, 't1');
      const got = await v1('GET', '/t1');
      expect(expectOk(got)).to.deep.equal(body);
      expect(got.headers.get('etag')).to.equal(res.headers.get('etag'));
    });

    it('creates a tenant from an empty body or none at all', async function () {
      expectV1Created(await v1('POST', '/empty'), 'empty');
      expect(expectOk(await v1('GET', '/empty'))).to.deep.equal({ enabled: true });
      expectV1Created(await v1('POST', '/braces', {}), 'braces');
    });

    it('creates a tenant with a generated id', async function () {
      const id = expectV1Created(await v1('POST', '', { ext: { generated: true } }));
      expect(id).to.match(/^[0-9a-f-]{36}$/);
      expect(expectOk(await v1('GET', `/${id}`))).to.deep.equal({ enabled: true, ext: { generated: true } });
    });

    it('keeps given trust-anchor ids and generates missing ones; refuses one used twice with 400', async function () {
      expectV1Created(await v1('POST', '/cas', { 'trusted-ca': [ca('CN=test-dn', { id: 'test-ca' }), ca('CN=test-dn-1')] }));
      const cas = expectOk(await v1('GET', '/cas'))['trusted-ca'] as Json[];
      expect(cas.map((c) => c.id)).to.have.lengthOf(2).and.to.include('test-ca');
      expect(cas[1]?.id).to.be.a('string').and.not.equal('test-ca');
      expectError(await v1('POST', '/dup-ids', { 'trusted-ca': [ca('CN=a', { id: 'x' }), ca('CN=b', { id: 'x' })] }), 400);
    });

    it('stores a CA given as cert as its subject DN, DER subject, key, algorithm and validity', async function () {
      const cert = await selfSignedCert('/O=ACME/CN=devices', 'ec');
      expectV1Created(await v1('POST', '/by-cert', { 'trusted-ca': [{ cert, 'auto-provisioning-enabled': true }] }));
      const [stored] = expectOk(await v1('GET', '/by-cert'))['trusted-ca'] as Json[];
      expect(stored).to.not.have.property('cert');
      expect(stored).to.include({ 'subject-dn': 'CN=devices,O=ACME', algorithm: 'EC', 'auto-provisioning-enabled': true });
      expect(stored).to.have.keys('id', 'subject-dn', 'subject-dn-bytes', 'public-key', 'algorithm', 'not-before', 'not-after', 'auto-provisioning-enabled');
    });

    it('lets tenants of one trust-anchor group share a CA; another tenant gets 409', async function () {
      const anchor = ca('CN=shared-dn', { id: 'test-ca' });
      expectV1Created(await v1('POST', '/g1', { 'trust-anchor-group': 'test-group', 'trusted-ca': [anchor] }));
      expectV1Created(await v1('POST', '/g2', { 'trust-anchor-group': 'test-group', 'trusted-ca': [anchor] }));
      expectError(await v1('POST', '/g3', { 'trusted-ca': [anchor] }), 409);
      expectError(await v1('POST', '/g4', { 'trust-anchor-group': 'other', 'trusted-ca': [anchor] }), 409);
    });

    it('lets several tenants have an empty trusted-ca array', async function () {
      expectV1Created(await v1('POST', '/e1', { 'trusted-ca': [] }));
      expectV1Created(await v1('POST', '/e2', { 'trusted-ca': [] }));
    });

    it('answers 409 for an existing id or alias', async function () {
      expectV1Created(await v1('POST', '/taken', { alias: 'the-alias' }));
      expectError(await v1('POST', '/taken'), 409);
      expectError(await v1('POST', '/other', { alias: 'the-alias' }), 409);
    });

    it('answers 400 to a wrong content type, an id outside Hono\'s pattern, unknown members, a malformed CA or adapters', async function () {
      expectError(await v1('POST', '/ct', '{}', { 'Content-Type': 'text/plain' }), 400);
      expectError(await v1('POST', `/${encodeURIComponent('invalid tenantid$')}`), 400);
      expectError(await v1('POST', '/unknown', { unexpected: 'property' }), 400);
      expectError(await v1('POST', '/status', { status: {} }), 400);
      expectError(await v1('POST', '/bad-ca', { 'trusted-ca': [{ 'subject-dn': 'CN=x', 'public-key': 'NotBase64Encoded' }] }), 400);
      expectError(await v1('POST', '/bad-adapters', { adapters: [{ type: 'hono-http' }, { type: 'hono-http' }] }), 400);
      expectError(await v1('POST', '/no-adapters', { adapters: [] }), 400);
      expectError(await v1('POST', '/bad-alias', { alias: 'Not_An_LDH' }), 400);
    });

    it('answers 413 to a body over the limit', async function () {
      expectError(await v1('POST', '/big', { ext: { data: 'x'.repeat(3000) } }), 413);
    });
  });

  describe('read, replace, delete', function () {
    it('replaces a tenant: 204 with a new ETag; GET shows it', async function () {
      const created = await v1('POST', '/t', { ext: { a: 1 }, adapters: [{ type: 'hono-http', enabled: true }] });
      const res = await v1('PUT', '/t', { enabled: false, adapters: [{ type: 'hono-http', enabled: true }] });
      expectNoContent(res);
      expect(res.headers.get('etag')).to.match(ETAG).and.not.equal(created.headers.get('etag'));
      const got = await v1('GET', '/t');
      expect(expectOk(got)).to.deep.equal({ enabled: false, adapters: [{ type: 'hono-http', enabled: true, 'device-authentication-required': true }] });
      expect(got.headers.get('etag')).to.equal(res.headers.get('etag'));
    });

    it('honours If-Match on PUT and DELETE: a stale version is 412 and changes nothing; the current one, a list or * works', async function () {
      const first = (await v1('POST', '/t', { ext: { v: 1 } })).headers.get('etag') as string;
      const second = (await v1('PUT', '/t', { ext: { v: 2 } }, { 'If-Match': first })).headers.get('etag') as string;
      expectError(await v1('PUT', '/t', { ext: { v: 3 } }, { 'If-Match': first }), 412);
      expectError(await v1('DELETE', '/t', undefined, { 'If-Match': first }), 412);
      expect(expectOk(await v1('GET', '/t')).ext).to.deep.equal({ v: 2 });
      expectNoContent(await v1('PUT', '/t', { ext: { v: 3 } }, { 'If-Match': `"0000000000000000", ${second}` }));
      expectNoContent(await v1('PUT', '/t', { ext: { v: 4 } }, { 'If-Match': '*' }));
      const current = (await v1('GET', '/t')).headers.get('etag') as string;
      expectNoContent(await v1('DELETE', '/t', undefined, { 'If-Match': current.replaceAll('"', '') }));
      expectError(await v1('GET', '/t'), 404);
    });

    it('answers 404 for an unknown tenant (also with If-Match), and 400 to a PUT without body', async function () {
      expectError(await v1('GET', '/nope'), 404);
      expectError(await v1('PUT', '/nope', { enabled: false }), 404);
      expectError(await v1('PUT', '/nope', { enabled: false }, { 'If-Match': '*' }), 404);
      expectError(await v1('DELETE', '/nope'), 404);
      await v1('POST', '/t');
      expectError(await http(suite.base, 'PUT', '/v1/tenants/t'), 400);
    });

    it('answers 409 to a PUT with another tenant\'s alias or CA, and 413 over the limit', async function () {
      await v1('POST', '/a', { alias: 'the-alias', 'trusted-ca': [ca('CN=mine')] });
      await v1('POST', '/b');
      expectError(await v1('PUT', '/b', { alias: 'the-alias' }), 409);
      expectError(await v1('PUT', '/b', { 'trusted-ca': [ca('CN=mine')] }), 409);
      expectError(await v1('PUT', '/b', { ext: { data: 'x'.repeat(3000) } }), 413);
    });

    it('deletes a tenant with its devices and credentials', async function () {
      await v1('POST', '/doomed');
      await registerDevice(suite.base, 'doomed', 'd1');
      expectNoContent(await v1('DELETE', '/doomed'));
      expectError(await http(suite.base, 'GET', '/registration/doomed/d1'), 404);
      expectError(await v1('GET', '/doomed'), 404);
    });

    it('two racing writers with the same If-Match give exactly one 204 and one 412', async function () {
      const etag = (await v1('POST', '/race')).headers.get('etag') as string;
      const answers = await Promise.all(['a', 'b'].map((w) => v1('PUT', '/race', { ext: { w } }, { 'If-Match': etag })));
      expect(answers.map((a) => a.status).sort()).to.deep.equal([204, 412]);
    });
  });

  describe('PATCH (JSON merge patch)', function () {
    it('merges the patch into the tenant as /v1 shows it and answers the new ETag', async function () {
      await v1('POST', '/p', { ext: { keep: 1, drop: 2 }, 'registration-limits': { 'max-devices': 5 } });
      const res = await v1('PATCH', '/p', { enabled: false, ext: { drop: null, added: true } }, MERGE_PATCH);
      expectNoContent(res);
      const got = await v1('GET', '/p');
      expect(expectOk(got)).to.deep.equal({ enabled: false, ext: { keep: 1, added: true }, 'registration-limits': { 'max-devices': 5 } });
      expect(got.headers.get('etag')).to.equal(res.headers.get('etag'));
    });

    it('honours If-Match, checks the result like a PUT, and needs application/merge-patch+json', async function () {
      const etag = (await v1('POST', '/p')).headers.get('etag') as string;
      expectNoContent(await v1('PATCH', '/p', { ext: { a: 1 } }, { ...MERGE_PATCH, 'If-Match': etag }));
      expectError(await v1('PATCH', '/p', { ext: { a: 2 } }, { ...MERGE_PATCH, 'If-Match': etag }), 412);
      expectError(await v1('PATCH', '/p', { unexpected: 1 }, MERGE_PATCH), 400);
      expectError(await v1('PATCH', '/p', { enabled: null, alias: 'UPPER' }, MERGE_PATCH), 400);
      expectError(await v1('PATCH', '/p', { ext: { a: 3 } }), 400);
      expectError(await v1('PATCH', '/nope', { ext: {} }, MERGE_PATCH), 404);
      expect(expectOk(await v1('GET', '/p')).ext).to.deep.equal({ a: 1 });
    });
  });

  describe('PATCH without If-Match racing other patches', function () {
    it('loses no update: every patch answered 204 is in the result (a patch that lost every retry is 409)', async function () {
      await v1('POST', '/busy');
      const names = Array.from({ length: 8 }, (_, i) => `m${i}`);
      const answers = await Promise.all(names.map((name) => v1('PATCH', '/busy', { ext: { [name]: true } }, MERGE_PATCH)));
      for (const answer of answers) expect(answer.status, answer.text).to.be.oneOf([204, 409]);
      const applied = names.filter((_, i) => answers[i]?.status === 204);
      expect(applied.length).to.be.greaterThan(0);
      expect(Object.keys(expectOk(await v1('GET', '/busy')).ext as Json).sort()).to.deep.equal(applied.sort());
    });
  });

  describe('the legacy face on the same records', function () {
    it('shows a legacy tenant through /v1 with its extra members in ext, and /v1 writes through /tenant', async function () {
      await createTenant(suite.base, 'legacy', { plan: 'gold', ext: { plan: 'ext wins' }, 'trusted-ca': { 'subject-dn': 'CN=legacy', 'public-key': publicKey('ec'), type: 'EC' } });
      const shown = expectOk(await v1('GET', '/legacy'));
      expect(shown).to.deep.include({ enabled: true, ext: { plan: 'ext wins' } });
      expect((shown['trusted-ca'] as Json[])[0]).to.include({ 'subject-dn': 'CN=legacy', algorithm: 'EC' }).and.not.have.property('type');
      expectNoContent(await v1('PATCH', '/legacy', { enabled: false }, MERGE_PATCH));
      const legacy = expectOk(await http(suite.base, 'GET', '/tenant/legacy'));
      expect(legacy).to.include({ 'tenant-id': 'legacy', enabled: false });
      expectV1Created(await v1('POST', '/modern', { alias: 'modern' }));
      expect(expectOk(await http(suite.base, 'GET', '/tenant/modern'))).to.deep.equal({ 'tenant-id': 'modern', enabled: true, alias: 'modern' });
      expectNoContent(await http(suite.base, 'DELETE', '/tenant/modern'));
      expectError(await v1('GET', '/modern'), 404);
    });
  });
});
