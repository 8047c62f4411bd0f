/**
 * GET and PUT /v1/credentials/{tenantId}/{deviceId} (Hono 2.7 getAllCredentials and
 * setAllCredentials in patch mode; CredentialsManagementIT, CMIT) against a real registry and
 * Redis: the view without confidential members, secret ids, the update semantics, versions and
 * If-Match, identities owned by other devices, registration limits, and the legacy face on the
 * same records.
 */
import { generateKeyPairSync } from 'node:crypto';
import bcrypt from 'bcrypt';
import { expect } from 'chai';
import { http, type HttpResult } from '../../helpers/registry.js';
import { createTestCa, type TestCa } from '../../helpers/certificates.js';
import { createTenant, expectError, expectNoContent, rawRequest, registerDevice, useRegistry, type Json } from '../http/support.js';

const T = 'tenant-v1c';
const D = 'device-1';

const enc = encodeURIComponent;
const ecKey = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const password = (authId: string, secrets: Json[] = [{ 'pwd-plain': 'thePassword' }], extra: Json = {}): Json => ({ type: 'hashed-password', 'auth-id': authId, ...extra, secrets });
const psk = (authId: string, extra: Json = {}): Json => ({ type: 'psk', 'auth-id': authId, ...extra, secrets: [{ key: 'c2VjcmV0' }] });

/** The ETag of an answer, checked to be a strong tag. */
function etagOf(res: HttpResult): string {
  const etag = res.headers.get('etag');
  expect(etag, res.text).to.match(/^"[0-9a-f]{16}"$/);
  return etag as string;
}

describe('/v1/credentials/{tenantId}/{deviceId}', function () {
  this.timeout(30_000);
  const suite = useRegistry();
  const path = (d = D, t = T) => `/v1/credentials/${enc(t)}/${enc(d)}`;
  const get = (d = D, t = T) => http(suite.base, 'GET', path(d, t));
  const put = (body: unknown, headers: Record<string, string> = {}, d = D, t = T) => http(suite.base, 'PUT', path(d, t), body, headers);
  /** The stored record, as the legacy face shows it (with its secrets' confidential members). */
  const stored = async (authId: string, type: string) => (await http(suite.base, 'GET', `/credentials/${T}/${enc(authId)}/${type}`)).json as Json;
  const list = async (d = D) => {
    const res = await get(d);
    expect(res.status, res.text).to.equal(200);
    return res.json as Json[];
  };
  const secretsOf = (c: Json | undefined) => (c?.secrets ?? []) as Json[];

  beforeEach(async function () {
    await createTenant(suite.base, T);
    await registerDevice(suite.base, T, D);
    await registerDevice(suite.base, T, 'device-2');
  });

  describe('GET', function () {
    it('answers 200 with [] and an ETag for a device without credentials (CMIT)', async function () {
      const res = await get();
      expect(res.status).to.equal(200);
      expect(res.json).to.deep.equal([]);
      etagOf(res);
    });

    it('answers 404 for an unknown device or tenant (CMIT testGetCredentialsFailsForNonExistingTenant)', async function () {
      expectError(await get('nobody'), 404);
      expectError(await get(D, 'non-existing-tenant'), 404);
    });

    it('never shows pwd-hash, salt, hash-function, key or a plain password, and gives every secret an id', async function () {
      const sha = { 'hash-function': 'sha-256', 'pwd-hash': Buffer.alloc(32, 7).toString('base64'), salt: 'c2FsdA==' };
      expectNoContent(await put([password('sensor1', [{ 'pwd-plain': 'thePassword' }, sha]), psk('sensor1'), { type: 'rpk', 'auth-id': 'sensor1', secrets: [{ key: ecKey() }] }]));
      const body = await list();
      expect(body).to.have.length(3);
      for (const secret of body.flatMap(secretsOf)) {
        expect(secret).to.have.property('id').that.is.a('string');
        for (const member of ['pwd-hash', 'salt', 'hash-function', 'key', 'pwd-plain']) expect(secret).to.not.have.property(member);
      }
      expect(secretsOf(body[2])[0]).to.have.property('algorithm', 'EC');
    });
  });

  describe('PUT', function () {
    it('stores every type with secret ids, the ETag of PUT equals the next GET (CMIT testAddCredentialsSucceeds)', async function () {
      const ca = await createTestCa('/O=ACME/CN=ca');
      try {
        const cert = await ca.issue('/O=bar/CN=foo');
        const generic = { type: 'type-0', 'auth-id': 'my_sensor.20=ext-1', secrets: [{ 'field-0': 'setec astronomy' }] };
        const set = [
          password('my_sensor.20=ext', undefined, { ext: { 'client-id': 'MQTT-client-2384236854' } }),
          psk('psk-id'),
          { type: 'x509-cert', 'auth-id': 'emailAddress=foo@bar.com, CN=foo, O=bar', comment: 'non-standard attribute type', secrets: [{}] },
          { type: 'rpk', 'auth-id': 'rpk-1', secrets: [{ cert: cert.der }] },
          generic,
        ];
        const before = etagOf(await get());
        const res = await put(set);
        expectNoContent(res);
        const etag = etagOf(res);
        expect(etag).to.not.equal(before);
        const got = await get();
        expect(etagOf(got)).to.equal(etag);
        const body = got.json as Json[];
        expect(body.map((c) => `${String(c.type)}/${String(c['auth-id'])}`)).to.deep.equal([
          'hashed-password/my_sensor.20=ext', 'psk/psk-id', 'x509-cert/EMAILADDRESS=foo@bar.com,CN=foo,O=bar', 'rpk/rpk-1', 'type-0/my_sensor.20=ext-1',
        ]);
        expect(body[0]?.ext).to.deep.equal({ 'client-id': 'MQTT-client-2384236854' });
        expect(body[2]?.comment).to.equal('non-standard attribute type');
        // Other types are kept and shown as they are.
        expect(secretsOf(body[4])[0]).to.deep.include({ 'field-0': 'setec astronomy' });
        for (const c of body) {
          expect(c.enabled).to.equal(true);
          expect(c).to.not.have.property('device-id');
          for (const s of secretsOf(c)) expect(s.id).to.be.a('string');
        }
        // The rpk certificate became key, algorithm and validity; the certificate is not stored.
        const rpk = secretsOf(await stored('rpk-1', 'rpk'))[0];
        expect(rpk).to.include({ algorithm: 'EC', 'not-after': new Date(cert.cert.validTo).toISOString() }).and.to.have.property('key');
        expect(rpk).to.not.have.property('cert');
      } finally {
        await ca.dispose();
      }
    });

    it('hashes pwd-plain with bcrypt $2a$ and keeps no plain text', async function () {
      expectNoContent(await put([password('sensor1', [{ 'pwd-plain': 'thePassword', 'hash-function': 'sha-512' }])]));
      const [secret] = secretsOf(await stored('sensor1', 'hashed-password'));
      expect(secret).to.not.have.property('pwd-plain');
      expect(secret?.['hash-function']).to.equal('bcrypt');
      expect(secret?.['pwd-hash']).to.match(/^\$2a\$04\$/);
      expect(await bcrypt.compare('thePassword', String(secret?.['pwd-hash']))).to.equal(true);
    });

    it('changes one password by secret id and adds another in the same request (CMIT testUpdateCredentialsSucceeds)', async function () {
      expectNoContent(await put([password('sensor1', [{ 'pwd-plain': 'thePassword' }])]));
      const got = await get();
      const [existing] = secretsOf((got.json as Json[])[0]);
      const changed = { id: existing?.id, 'pwd-plain': 'completely-different-password', comment: 'updated' };
      const future = { 'pwd-plain': 'future-password', 'not-before': '2099-01-01T00:00:00Z' };
      const res = await put([password('sensor1', [changed, future])], { 'If-Match': etagOf(got) });
      expectNoContent(res);
      expect(etagOf(res)).to.not.equal(etagOf(got));
      const secrets = secretsOf((await list())[0]);
      expect(secrets).to.have.length(2);
      expect(secrets.find((s) => s.id === existing?.id)).to.deep.equal({ id: existing?.id, comment: 'updated' });
      const hashes = secretsOf(await stored('sensor1', 'hashed-password')).map((s) => String(s['pwd-hash']));
      expect(await bcrypt.compare('completely-different-password', hashes[0] as string)).to.equal(true);
      expect(await bcrypt.compare('future-password', hashes[1] as string)).to.equal(true);
    });

    it('keeps the stored hash, salt and key of secrets sent back with their id only; other members come from the request', async function () {
      const sha = { 'hash-function': 'sha-256', 'pwd-hash': Buffer.alloc(32, 7).toString('base64'), salt: 'c2FsdA==', comment: 'old' };
      expectNoContent(await put([password('sensor1', [sha]), psk('sensor1')]));
      const before = [await stored('sensor1', 'hashed-password'), await stored('sensor1', 'psk')];
      // The GET answer sent back unchanged, but with a new comment and without the psk.
      const view = await list();
      expectNoContent(await put([{ ...view[0], secrets: [{ ...secretsOf(view[0])[0], comment: 'new' }] }, view[1]]));
      const [pwd] = secretsOf(await stored('sensor1', 'hashed-password'));
      expect(pwd).to.deep.equal({ ...secretsOf(before[0])[0], comment: 'new' });
      expect(secretsOf(await stored('sensor1', 'psk'))).to.deep.equal(secretsOf(before[1]));
    });

    it('deletes the credentials a PUT leaves out; the identities are free for another device', async function () {
      expectNoContent(await put([psk('a'), psk('b')]));
      expectNoContent(await put([psk('b')]));
      expect((await list()).map((c) => c['auth-id'])).to.deep.equal(['b']);
      expectNoContent(await put([psk('a')], {}, 'device-2'));
      expectNoContent(await put([]));
      expect(await list()).to.deep.equal([]);
    });

    it('answers 400 to a secret id that matches no stored secret, also on a device without credentials (CMIT)', async function () {
      expectError(await put([password('bumlux', [{ id: 'secret-one' }])]), 400);
      expectNoContent(await put([psk('a')]));
      const [secret] = secretsOf((await list())[0]);
      const res = await put([{ ...psk('a'), secrets: [{ id: 'not-there' }] }]);
      expectError(res, 400);
      expect((res.json as Json).error).to.match(/not-there/);
      // The id of a secret of other credentials does not count either.
      expectError(await put([{ ...psk('other'), secrets: [{ id: secret?.id }] }]), 400);
      expect(secretsOf((await list())[0])[0]?.id).to.equal(secret?.id);
    });

    const invalid: [string, unknown][] = [
      ['a missing type', [{ 'auth-id': 'a', secrets: [{ 'pwd-plain': 'x' }] }]],
      ['an illegal type name', [{ type: '#illegal', 'auth-id': 'deviceId', secrets: [{}] }]],
      ['a missing auth-id', [{ type: 'hashed-password', secrets: [{ 'pwd-plain': 'x' }] }]],
      ['an illegal hashed-password auth-id', [password('#illegal')]],
      ['an unknown property', [{ ...psk('a'), unexpected: 'property' }]],
      ['an unknown secret property', [password('a', [{ 'pwd-plain': 'x', unexpected: 1 }])]],
      ['a bcrypt hash above the maximum cost', [password('a', [{ 'hash-function': 'bcrypt', 'pwd-hash': '$2a$11$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy' }])]],
      ['a malformed rpk key', [{ type: 'rpk', 'auth-id': 'bumlux', secrets: [{ algorithm: 'EC', key: 'AQID' }] }]],
      ['a malformed rpk certificate', [{ type: 'rpk', 'auth-id': 'bumlux', secrets: [{ cert: 'AQID' }] }]],
      ['an rpk public-key member', [{ type: 'rpk', 'auth-id': 'bumlux', secrets: [{ algorithm: 'EC', 'public-key': 'AQID' }] }]],
      ['a (type, auth-id) given twice', [psk('a'), psk('a')]],
      ['a psk secret without key', [{ type: 'psk', 'auth-id': 'a', secrets: [{}] }]],
      ['an object instead of an array', psk('a')],
      ['an empty secrets list', [{ type: 'psk', 'auth-id': 'a', secrets: [] }]],
    ];
    for (const [what, body] of invalid) {
      it(`answers 400 to ${what}, changing nothing`, async function () {
        expectError(await put(body), 400);
        expect(await list()).to.deep.equal([]);
      });
    }

    it('answers 400 to a missing or empty body and another content type (CMIT)', async function () {
      expectError(await rawRequest(suite.base, 'PUT', path(), undefined), 400);
      expectError(await rawRequest(suite.base, 'PUT', path(), new Uint8Array(), { 'Content-Type': 'application/json' }), 400);
      expectError(await rawRequest(suite.base, 'PUT', path(), new TextEncoder().encode(JSON.stringify([psk('a')])), { 'Content-Type': 'application/x-www-form-urlencoded' }), 400);
    });

    it('answers 404 for an unknown tenant or device (CMIT testUpdateCredentialsFailsForNonExistingTenant)', async function () {
      expectError(await put([psk('a')], {}, D, 'non-existing-tenant'), 404);
      expectError(await put([psk('a')], {}, 'nobody'), 404);
      expectError(await put([psk('a')], { 'If-Match': '*' }, 'nobody'), 404);
    });

    it('answers 409 to an identity another device owns (also one created through the legacy face), changing nothing', async function () {
      expectNoContent(await put([psk('theirs')], {}, 'device-2'));
      expectNoContent(await put([psk('mine')]));
      const res = await put([psk('mine'), psk('theirs')]);
      expectError(res, 409);
      expect((res.json as Json).error).to.include('"theirs"');
      expect((await http(suite.base, 'POST', `/credentials/${T}`, { 'device-id': 'device-2', type: 'hashed-password', 'auth-id': 'legacy', secrets: [{ 'pwd-plain': 'x' }] })).status).to.equal(201);
      expectError(await put([password('legacy')]), 409);
      expect((await list()).map((c) => c['auth-id'])).to.deep.equal(['mine']);
    });

    it('answers 409 to an identity a denied device keeps reserved', async function () {
      await registerDevice(suite.base, T, 'gone');
      expectNoContent(await put([psk('kept')], {}, 'gone'));
      expectNoContent(await http(suite.base, 'DELETE', `/registration/${T}/gone`));
      expectError(await put([psk('kept')]), 409);
      expectError(await get('gone'), 404);
    });

    it('answers 403 beyond registration-limits max-credentials-per-device, on the legacy face too (Hono 403)', async function () {
      await createTenant(suite.base, 'limited', { 'registration-limits': { 'max-credentials-per-device': 2 } });
      await registerDevice(suite.base, 'limited', D);
      const res = await put([psk('a'), psk('b'), psk('c')], {}, D, 'limited');
      expectError(res, 403);
      expect((res.json as Json).error).to.match(/max-credentials-per-device/);
      expectNoContent(await put([psk('a'), psk('b')], {}, D, 'limited'));
      const legacy = await http(suite.base, 'POST', '/credentials/limited', { 'device-id': D, type: 'psk', 'auth-id': 'c', secrets: [{ key: 'c2VjcmV0' }] });
      expectError(legacy, 403);
    });

    it('takes the auth-id of an x509-cert from its cert, through the auth-id-template of the tenant CA that issued it', async function () {
      const ca: TestCa = await createTestCa('/O=ACME/CN=Devices CA');
      try {
        const template = { 'subject-dn': 'CN=Devices CA,O=ACME', 'public-key': ca.publicKey, algorithm: 'EC', 'auth-id-template': 'device-{{subject-cn}}' };
        await createTenant(suite.base, 'with-ca', { 'trusted-ca': [template] });
        await registerDevice(suite.base, 'with-ca', D);
        const cert = await ca.issue('/O=ACME/CN=sensor-7');
        expectNoContent(await put([{ type: 'x509-cert', cert: cert.der }], {}, D, 'with-ca'));
        const [view] = (await get(D, 'with-ca')).json as Json[];
        expect(view).to.deep.include({ type: 'x509-cert', 'auth-id': 'device-sensor-7' });
        expect(secretsOf(view)[0]).to.include({ 'not-before': new Date(cert.cert.validFrom).toISOString(), 'not-after': new Date(cert.cert.validTo).toISOString() });
        // Without a template the subject DN is the auth-id.
        expectNoContent(await put([{ type: 'x509-cert', cert: cert.der }]));
        expect((await list())[0]?.['auth-id']).to.equal('CN=sensor-7,O=ACME');
      } finally {
        await ca.dispose();
      }
    });
  });

  describe('If-Match', function () {
    it('answers 412 to a version that is not the current one, changing nothing (CMIT testUpdateCredentialsFailsForWrongResourceVersion)', async function () {
      const first = await put([psk('a')]);
      const res = await put([psk('b')], { 'If-Match': `"${etagOf(first).slice(1, -1)}_other"` });
      expectError(res, 412);
      expect((res.json as Json).error).to.match(/version mismatch/);
      expect((await list()).map((c) => c['auth-id'])).to.deep.equal(['a']);
    });

    it('accepts the current version quoted or bare, in a list, and *', async function () {
      let etag = etagOf(await get());
      const forms = [(e: string) => e, (e: string) => e.slice(1, -1), (e: string) => `"0000000000000000", ${e}`, () => '*'];
      for (const [i, form] of forms.entries()) {
        const res = await put([psk(`k-${i}`)], { 'If-Match': form(etag) });
        expectNoContent(res);
        expect(etagOf(res)).to.not.equal(etag);
        etag = etagOf(res);
      }
    });

    it('two racing writers with the same If-Match give exactly one 204 and one 412', async function () {
      const etag = etagOf(await put([psk('start')]));
      const [a, b] = await Promise.all([put([password('one')], { 'If-Match': etag }), put([password('two')], { 'If-Match': etag })]);
      expect([a.status, b.status].sort()).to.deep.equal([204, 412]);
      const winner = a.status === 204 ? 'one' : 'two';
      expect((await list()).map((c) => c['auth-id'])).to.deep.equal([winner]);
    });

    it('without If-Match, racing writers both succeed, the last one wins whole', async function () {
      const results = await Promise.all(['one', 'two', 'three'].map((authId) => put([psk(authId)])));
      expect(results.map((r) => r.status)).to.deep.equal([204, 204, 204]);
      expect(await list()).to.have.length(1);
    });
  });

  describe('the legacy face on the same records', function () {
    it('shows legacy credentials with derived secret ids and their top-level extras in ext; sent back as they are, they keep their hashes', async function () {
      const legacy = { 'device-id': D, type: 'hashed-password', 'auth-id': 'sensor1', 'client-id': 'c-1', secrets: [{ 'pwd-plain': 'one' }, { 'pwd-plain': 'two' }] };
      expect((await http(suite.base, 'POST', `/credentials/${T}`, legacy)).status).to.equal(201);
      const before = await stored('sensor1', 'hashed-password');
      const view = await list();
      expect(view).to.deep.equal([{ type: 'hashed-password', 'auth-id': 'sensor1', enabled: true, ext: { 'client-id': 'c-1' }, secrets: [{ id: 'secret-0' }, { id: 'secret-1' }] }]);
      expectNoContent(await put(view));
      const after = await stored('sensor1', 'hashed-password');
      expect(secretsOf(after).map((s) => s['pwd-hash'])).to.deep.equal(secretsOf(before).map((s) => s['pwd-hash']));
      // A /v1 write stores the /v1 body: the extra now lives in ext, and the ids are stored.
      expect(after).to.deep.include({ ext: { 'client-id': 'c-1' } }).and.not.have.property('client-id');
      expect((await list())[0]).to.deep.equal(view[0]);
    });

    it('legacy reads, updates and deletes see what /v1 wrote, and /v1 sees theirs', async function () {
      expectNoContent(await put([psk('a'), password('b')]));
      const legacy = (await http(suite.base, 'GET', `/credentials/${T}/${D}`)).json as Json;
      expect(legacy.total).to.equal(2);
      const etag = etagOf(await get());
      expectNoContent(await http(suite.base, 'DELETE', `/credentials/${T}/a/psk`));
      expect(etagOf(await get())).to.not.equal(etag);
      expect((await list()).map((c) => c['auth-id'])).to.deep.equal(['b']);
      expectNoContent(await http(suite.base, 'DELETE', `/credentials/${T}/${D}`));
      expect(await list()).to.deep.equal([]);
    });
  });
});

describe('/v1/credentials with a small body limit', function () {
  const suite = useRegistry({ REGISTRY_HTTP_MAX_BODY_BYTES: '2048' });

  it('answers 413 to a body over the limit (CMIT testUpdateCredentialsFailsForRequestPayloadExceedingLimit)', async function () {
    await createTenant(suite.base, T);
    await registerDevice(suite.base, T, D);
    const res = await http(suite.base, 'PUT', `/v1/credentials/${T}/${D}`, [password('auth-id', undefined, { ext: { data: 'x'.repeat(3000) } })]);
    expectError(res, 413);
  });
});
