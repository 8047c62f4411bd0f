/**
 * The denied list over the HTTP management API (docs/security.md, "Denied devices"):
 * DELETE /registration puts a device onto it, GET /denied-devices lists it (paged, Link headers),
 * DELETE /denied-devices restores or (purge=true) forgets it.
 */
import { expect } from 'chai';
import { http, startTestRegistry, type HttpResult, type TestRegistry } from '../../helpers/registry.js';
import { sharedRedis } from '../../helpers/root-hooks.js';
import { createTenant, expectCreated, expectError, expectNoContent, expectOk, registerDevice, useRegistry, type Json } from '../http/support.js';

const T = 'acme';
const enc = encodeURIComponent;
const registration = (d: string, t = T) => `/registration/${enc(t)}/${enc(d)}`;
const denied = (t = T, d?: string) => `/denied-devices/${enc(t)}${d === undefined ? '' : `/${enc(d)}`}`;
const password = (d: string, authId: string): Json => ({ 'device-id': d, type: 'hashed-password', 'auth-id': authId, secrets: [{ 'pwd-plain': 'secret-1' }] });
const x509 = (d: string, subject: string): Json => ({ 'device-id': d, type: 'x509-cert', 'auth-id': subject, secrets: [{}] });

/** The ids of a GET /denied-devices answer. */
function idsOf(res: HttpResult): string[] {
  expect(res.status, res.text).to.equal(200);
  expect(res.headers.get('content-type') ?? '').to.match(/^application\/json\b/);
  expect(res.json, res.text).to.be.an('array');
  for (const id of res.json as unknown[]) expect(id).to.be.a('string');
  return res.json as string[];
}

/** The target of the rel="next" link of a Link header, or undefined. */
function nextLink(res: HttpResult): string | undefined {
  const header = res.headers.get('link');
  if (header === null) return undefined;
  const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header);
  expect(match, `Link header without rel="next": ${header}`).to.not.equal(null);
  return match?.[1];
}

async function inChunks<T>(items: readonly T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

describe('HTTP denied devices', function () {
  this.timeout(30_000);
  const suite = useRegistry();
  const call = (method: string, path: string, body?: unknown) => http(suite.base, method, path, body);

  beforeEach(async function () {
    await createTenant(suite.base, T);
  });

  describe('DELETE /registration', function () {
    it('answers 204 and the device is listed by GET /denied-devices (a JSON array of ids)', async function () {
      await registerDevice(suite.base, T, 'd1');
      await registerDevice(suite.base, T, 'd2');
      expect(idsOf(await call('GET', denied()))).to.deep.equal([]);
      expectNoContent(await call('DELETE', registration('d1')));
      const res = await call('GET', denied());
      expect(idsOf(res)).to.deep.equal(['d1']);
      expect(res.headers.get('link')).to.equal(null);
    });

    it('afterwards GET /registration answers 404, PUT 404, a second DELETE 404', async function () {
      await registerDevice(suite.base, T, 'd1', { ext: { v: 1 } });
      expectNoContent(await call('DELETE', registration('d1')));
      expectError(await call('GET', registration('d1')), 404);
      expectError(await call('PUT', registration('d1'), { ext: { v: 2 } }), 404);
      expectError(await call('DELETE', registration('d1')), 404);
      expect(idsOf(await call('GET', denied()))).to.deep.equal(['d1']);
    });

    it('POST /registration with the same id answers 409 with an error naming the denied list', async function () {
      await registerDevice(suite.base, T, 'd1');
      expectNoContent(await call('DELETE', registration('d1')));
      const res = await call('POST', `/registration/${T}`, { 'device-id': 'd1' });
      expectError(res, 409);
      expect((res.json as Json).error).to.match(/denied/i).and.to.match(/d1/);
      expectError(await call('GET', registration('d1')), 404);
    });

    it('destroys the credentials (404) and keeps their type and auth-id reserved: POST /credentials for another device answers 409', async function () {
      await registerDevice(suite.base, T, 'd1');
      await registerDevice(suite.base, T, 'd2');
      expectCreated(await call('POST', `/credentials/${T}`, password('d1', 'user-1')));
      expectCreated(await call('POST', `/credentials/${T}`, x509('d1', 'CN=device-1,O=ACME')));
      expectOk(await call('GET', `/credentials/${T}/d1`));

      expectNoContent(await call('DELETE', registration('d1')));
      expectError(await call('GET', `/credentials/${T}/d1`), 404);
      expectError(await call('GET', `/credentials/${T}/user-1/hashed-password`), 404);
      expectError(await call('GET', `/credentials/${T}/${enc('CN=device-1,O=ACME')}/x509-cert`), 404);

      for (const record of [password('d2', 'user-1'), x509('d2', 'CN=device-1,O=ACME'), x509('d2', 'CN=device-1, O=ACME')]) {
        const res = await call('POST', `/credentials/${T}`, record);
        expectError(res, 409);
        expect((res.json as Json).error).to.match(/denied list/);
      }
      // New credentials for the denied device itself are refused too.
      const res = await call('POST', `/credentials/${T}`, password('d1', 'user-new'));
      expectError(res, 409);
      expect((res.json as Json).error).to.match(/denied list/);
      expectError(await call('GET', `/credentials/${T}/d2`), 404);
      // Another type with the same auth-id is not reserved.
      expectCreated(await call('POST', `/credentials/${T}`, { 'device-id': 'd2', type: 'psk', 'auth-id': 'user-1', secrets: [{ key: 'c2VjcmV0' }] }));
    });

    it('answers 404 for an unknown device and lists nothing', async function () {
      expectError(await call('DELETE', registration('ghost')), 404);
      expect(idsOf(await call('GET', denied()))).to.deep.equal([]);
    });
  });

  describe('DELETE /denied-devices/{tenantId}/{deviceId}', function () {
    it('answers 204 and restores the registration as it was, but not the credentials', async function () {
      const data = { enabled: false, via: ['gw-1'], defaults: { 'content-type': 'text/plain' }, ext: { name: 'Ünïcödé ✓', ratio: 0.1, path: 'a/b' } };
      await registerDevice(suite.base, T, 'd/1', data);
      expectCreated(await call('POST', `/credentials/${T}`, password('d/1', 'user-1')));
      const before = await call('GET', registration('d/1'));
      expectOk(before);

      expectNoContent(await call('DELETE', registration('d/1')));
      expect(idsOf(await call('GET', denied()))).to.deep.equal(['d/1']);
      expectNoContent(await call('DELETE', denied(T, 'd/1')));

      const after = await call('GET', registration('d/1'));
      expectOk(after);
      expect(after.text).to.equal(before.text);
      expect(idsOf(await call('GET', denied()))).to.deep.equal([]);
      expectError(await call('GET', `/credentials/${T}/${enc('d/1')}`), 404);
      expectError(await call('GET', `/credentials/${T}/user-1/hashed-password`), 404);
      // The identity is free again; the restored device can be given credentials.
      expectCreated(await call('POST', `/credentials/${T}`, password('d/1', 'user-1')));
      expectOk(await call('GET', `/credentials/${T}/${enc('d/1')}`));
      // A second release finds nothing on the list.
      expectError(await call('DELETE', denied(T, 'd/1')), 404);
    });

    it('answers 404 for a device that is not denied (unknown or active), with or without purge', async function () {
      await registerDevice(suite.base, T, 'active');
      for (const query of ['', '?purge=true', '?purge=false']) {
        expectError(await call('DELETE', `${denied(T, 'ghost')}${query}`), 404);
        expectError(await call('DELETE', `${denied(T, 'active')}${query}`), 404);
      }
      expectOk(await call('GET', registration('active')));
      expectError(await call('GET', registration('ghost')), 404);
    });

    it('with ?purge=true answers 204 and forgets the device: its id can be registered again and its identities are free', async function () {
      await registerDevice(suite.base, T, 'd1', { ext: { v: 1 } });
      expectCreated(await call('POST', `/credentials/${T}`, password('d1', 'user-1')));
      expectNoContent(await call('DELETE', registration('d1')));
      expectNoContent(await call('DELETE', `${denied(T, 'd1')}?purge=true`));

      expect(idsOf(await call('GET', denied()))).to.deep.equal([]);
      expectError(await call('GET', registration('d1')), 404);
      expectError(await call('DELETE', denied(T, 'd1')), 404);
      await registerDevice(suite.base, T, 'd1', { ext: { v: 2 } });
      expect((expectOk(await call('GET', registration('d1'))).data as Json).ext).to.deep.equal({ v: 2 });
      expectCreated(await call('POST', `/credentials/${T}`, password('d2', 'user-1')));
    });

    it('answers 400 to a purge value other than true or false, and leaves the device denied', async function () {
      await registerDevice(suite.base, T, 'd1');
      expectNoContent(await call('DELETE', registration('d1')));
      for (const query of ['purge=TRUE', 'purge=1', 'purge=yes', 'purge=true&purge=true']) {
        expectError(await call('DELETE', `${denied(T, 'd1')}?${query}`), 400);
        expect(idsOf(await call('GET', denied())), query).to.deep.equal(['d1']);
      }
    });

    /**
     * Documented behaviour, "restore after a key change": restoring brings back the registration
     * only. The credentials of the old key are gone and their identity (subject A) is free; the
     * device needs new credentials for its new key (subject B), which can be added once it is
     * restored (not while it is denied).
     */
    it('restore after a key change: the old subject is free and the restored device needs (and can get) credentials for its new subject', async function () {
      const subjectA = 'CN=device-1,OU=key-A,O=ACME';
      const subjectB = 'CN=device-1,OU=key-B,O=ACME';
      await registerDevice(suite.base, T, 'd1');
      expectCreated(await call('POST', `/credentials/${T}`, x509('d1', subjectA)));
      expectNoContent(await call('DELETE', registration('d1')));
      // While denied, the device gets no credentials for its new key.
      expectError(await call('POST', `/credentials/${T}`, x509('d1', subjectB)), 409);

      expectNoContent(await call('DELETE', denied(T, 'd1')));
      expectOk(await call('GET', registration('d1')));
      // No credentials came back: the device cannot authenticate until it gets new ones.
      expectError(await call('GET', `/credentials/${T}/d1`), 404);
      expectError(await call('GET', `/credentials/${T}/${enc(subjectA)}/x509-cert`), 404);
      // Subject A is free again: no longer reserved (another device could take it).
      await registerDevice(suite.base, T, 'd2');
      expectCreated(await call('POST', `/credentials/${T}`, x509('d2', subjectA)));
      expectNoContent(await call('DELETE', `/credentials/${T}/${enc(subjectA)}/x509-cert`));
      // New credentials for subject B work for the restored device.
      expectCreated(await call('POST', `/credentials/${T}`, x509('d1', subjectB)));
      const list = expectOk(await call('GET', `/credentials/${T}/d1`));
      expect(list.total).to.equal(1);
      expect((list.credentials as Json[])[0]).to.include({ 'device-id': 'd1', type: 'x509-cert', 'auth-id': subjectB });
    });
  });

  describe('GET /denied-devices/{tenantId}', function () {
    it('pages through 250 denied devices with ?limit=100: Link rel="next" with a cursor, every id exactly once', async function () {
      const ids = Array.from({ length: 250 }, (_, i) => `dev-${String(i).padStart(3, '0')}`);
      await inChunks(ids, 25, (d) => registerDevice(suite.base, T, d));
      await registerDevice(suite.base, T, 'active');
      await inChunks(ids, 25, async (d) => expectNoContent(await call('DELETE', registration(d))));

      const seen: string[] = [];
      const sizes: number[] = [];
      let path: string | undefined = `${denied()}?limit=100`;
      while (path !== undefined) {
        expect(sizes.length, 'the Link headers do not come to an end').to.be.below(100);
        const res = await call('GET', path);
        const page = idsOf(res);
        sizes.push(page.length);
        seen.push(...page);
        path = nextLink(res);
        if (path !== undefined) {
          expect(path).to.match(new RegExp(`^/denied-devices/${T}\\?`));
          const query = new URLSearchParams(path.slice(path.indexOf('?') + 1));
          // The cursor is the last id of the page: the next page starts after it.
          expect(query.get('cursor')).to.equal(page[page.length - 1]);
          expect(query.get('limit')).to.equal('100');
        }
      }
      expect(sizes.length, `page sizes ${sizes.join(', ')}`).to.be.at.least(3);
      expect(seen).to.have.length(250);
      expect(new Set(seen).size).to.equal(250);
      expect([...seen].sort()).to.deep.equal(ids);
      // Without a limit the default page is used, and the list is still paged.
      const first = await call('GET', denied());
      expect(idsOf(first).length).to.be.below(250);
      expect(nextLink(first)).to.be.a('string');
    });

    it('a page never holds more ids than ?limit', async function () {
      const ids = Array.from({ length: 250 }, (_, i) => `dev-${i}`);
      await inChunks(ids, 25, (d) => registerDevice(suite.base, T, d));
      await inChunks(ids, 25, async (d) => expectNoContent(await call('DELETE', registration(d))));
      const seen = new Set<string>();
      let path: string | undefined = `${denied()}?limit=7`;
      while (path !== undefined) {
        const res = await call('GET', path);
        const page = idsOf(res);
        expect(page.length, path).to.be.at.most(7);
        for (const id of page) seen.add(id);
        path = nextLink(res);
      }
      expect(seen.size).to.equal(250);
    });

    it('answers 400 to limit=0, limit=5000, limit=abc, an empty or overlong cursor and repeated parameters', async function () {
      for (const query of ['limit=0', 'limit=5000', 'limit=abc', 'limit=', 'cursor=', `cursor=${'x'.repeat(257)}`, 'limit=1&limit=2', 'cursor=a&cursor=b']) {
        const res = await call('GET', `${denied()}?${query}`);
        expect(res.status, `${query}: ${res.text}`).to.equal(400);
        expectError(res, 400);
      }
      expect(idsOf(await call('GET', `${denied()}?limit=1000`))).to.deep.equal([]);
      expect(idsOf(await call('GET', `${denied()}?limit=1&cursor=0`))).to.deep.equal([]);
    });

    it('starts a page after the cursor id, in id order', async function () {
      for (const d of ['a1', 'b1', 'c1']) {
        await registerDevice(suite.base, T, d);
        expectNoContent(await call('DELETE', registration(d)));
      }
      expect(idsOf(await call('GET', `${denied()}?cursor=a1`))).to.deep.equal(['b1', 'c1']);
      expect(idsOf(await call('GET', `${denied()}?cursor=b`))).to.deep.equal(['b1', 'c1']);
      expect(idsOf(await call('GET', `${denied()}?cursor=zzz`))).to.deep.equal([]);
    });

    it('answers 404 for an unknown tenant (listing, restoring, purging, deleting a registration)', async function () {
      expectError(await call('GET', denied('no-such-tenant')), 404);
      expectError(await call('DELETE', denied('no-such-tenant', 'd1')), 404);
      expectError(await call('DELETE', `${denied('no-such-tenant', 'd1')}?purge=true`), 404);
      expectError(await call('DELETE', registration('d1', 'no-such-tenant')), 404);
    });

    it('lists only the denied devices of the tenant asked for', async function () {
      await createTenant(suite.base, 'other');
      await registerDevice(suite.base, T, 'd1');
      await registerDevice(suite.base, 'other', 'd2');
      expectNoContent(await call('DELETE', registration('d1')));
      expectNoContent(await call('DELETE', registration('d2', 'other')));
      expect(idsOf(await call('GET', denied()))).to.deep.equal(['d1']);
      expect(idsOf(await call('GET', denied('other')))).to.deep.equal(['d2']);
      expectError(await call('DELETE', denied('other', 'd1')), 404);
    });
  });
});

describe('HTTP denied devices with bearer tokens', function () {
  this.timeout(30_000);
  const BOOTSTRAP = 'dr_bootstrap-token-for-denied-device-tests-0123456789';
  let registry: TestRegistry | undefined;
  const base = (): string => {
    if (registry === undefined) throw new Error('registry not started');
    return registry.base;
  };
  const as = (token: string, method: string, path: string, body?: unknown) => http(base(), method, path, body, { Authorization: `Bearer ${token}` });

  before(async function () {
    const redis = await sharedRedis();
    expect(await redis.command('FLUSHALL')).to.equal('+OK');
    registry = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url, REGISTRY_HTTP_AUTH: 'token', REGISTRY_BOOTSTRAP_TOKEN: BOOTSTRAP });
  });
  after(async function () {
    await registry?.stop();
    registry = undefined;
  });

  async function token(scopes: string[]): Promise<string> {
    const res = await as(BOOTSTRAP, 'POST', '/tokens', { scopes, tenants: [T], 'expires-in': '1h' });
    expect(res.status, res.text).to.equal(201);
    return (res.json as Json).token as string;
  }

  it('purge needs devices:purge (403 insufficient_scope) while a restore needs only devices:delete', async function () {
    expectCreated(await as(BOOTSTRAP, 'POST', '/tenant', { 'tenant-id': T }));
    for (const d of ['d1', 'd2']) expectCreated(await as(BOOTSTRAP, 'POST', `/registration/${T}`, { 'device-id': d }));
    const deleter = await token(['devices:delete', 'devices:read']);
    const reader = await token(['devices:read']);

    expectNoContent(await as(deleter, 'DELETE', registration('d1')));
    expectNoContent(await as(deleter, 'DELETE', registration('d2')));
    expect(idsOf(await as(reader, 'GET', denied())).sort()).to.deep.equal(['d1', 'd2']);
    expectError(await as(reader, 'DELETE', denied(T, 'd1')), 403);

    const refused = await as(deleter, 'DELETE', `${denied(T, 'd1')}?purge=true`);
    expectError(refused, 403);
    expect(refused.headers.get('www-authenticate') ?? '').to.match(/error="insufficient_scope"/).and.to.match(/devices:purge/);
    expect(idsOf(await as(reader, 'GET', denied())).sort()).to.deep.equal(['d1', 'd2']);

    expectNoContent(await as(deleter, 'DELETE', denied(T, 'd1')));
    expectOk(await as(BOOTSTRAP, 'GET', registration('d1')));
    const purger = await token(['devices:delete', 'devices:purge']);
    expectNoContent(await as(purger, 'DELETE', `${denied(T, 'd2')}?purge=true`));
    expect(idsOf(await as(reader, 'GET', denied()))).to.deep.equal([]);
    expectError(await as(BOOTSTRAP, 'GET', registration('d2')), 404);
  });
});
