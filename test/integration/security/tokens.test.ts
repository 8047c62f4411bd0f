/**
 * Bearer tokens of the management API (docs/security.md "Bearer tokens", "Errors"):
 * minting, listing, revocation, expiry by the store, the subset rule, the maximum lifetime,
 * hash-only storage, the bootstrap token, last use, and the shared bad-authentication limiter.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { SCOPES } from '../../../src/model/tokens.js';
import { watchKeyEvents } from '../../helpers/key-events.js';
import { http, type TestRegistry } from '../../helpers/registry.js';
import {
  BOOTSTRAP, PEPPER, bearer, dumpAll, expectJsonError, flushRedis, freshTenant, mint, rawRedis, requestFrom, startTokenRegistry, type Json,
} from '../../helpers/security.js';

const TOKEN_KEY = (hash: string) => `token:{~auth}:${hash}`;
const hmac = (value: string) => createHmac('sha256', Buffer.from(PEPPER, 'utf8')).update(value, 'utf8').digest('hex');

interface ListedToken extends Json {
  id: string;
}

describe('management API tokens', function () {
  this.timeout(20_000);
  let registry: TestRegistry;
  let base: string;
  let redis: Redis;

  before(async function () {
    await flushRedis();
    redis = await rawRedis();
    registry = await startTokenRegistry({ REGISTRY_AUTH_FAILURE_LIMIT: '1000', REGISTRY_TOKEN_MAX_LIFETIME: '30d' });
    base = registry.base;
  });

  after(async function () {
    await registry?.stop();
    await flushRedis();
    redis?.disconnect();
  });

  const list = async (token: string): Promise<ListedToken[]> => {
    const res = await http(base, 'GET', '/tokens', undefined, bearer(token));
    expect(res.status, res.text).to.equal(200);
    expect(res.json).to.be.an('array');
    return res.json as ListedToken[];
  };

  describe('lifecycle', function () {
    it('POST /tokens answers 201 with the value shown once (dr_, ≥ 128 random bits), an id and a Location', async function () {
      const tenant = freshTenant();
      const res = await http(base, 'POST', '/tokens', { description: 'ci', scopes: ['devices:read'], tenants: [tenant], 'expires-in': '1h' }, bearer(BOOTSTRAP));
      expect(res.status, res.text).to.equal(201);
      const body = res.json as Json;
      const token = body.token as string;
      expect(token).to.match(/^dr_[A-Za-z0-9_-]+$/);
      expect(Buffer.from(token.slice(3), 'base64url').length * 8).to.be.at.least(128);
      expect(body.id).to.be.a('string').and.not.equal('');
      expect(res.headers.get('location')).to.equal(`/tokens/${encodeURIComponent(body.id as string)}`);
      expect(body).to.include({ description: 'ci' });
      expect(body.scopes).to.deep.equal(['devices:read']);
      expect(body.tenants).to.deep.equal([tenant]);
      expect(Date.parse(body.expires as string) - Date.parse(body.created as string)).to.be.closeTo(3_600_000, 2000);
      expect(body).to.not.have.property('hash');
      // a second token has another value and id
      const other = await mint(base, BOOTSTRAP, { scopes: ['devices:read'], tenants: [tenant] });
      expect(other.token).to.not.equal(token);
      expect(other.id).to.not.equal(body.id);
      // the value is never shown again
      const listing = await http(base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP));
      expect(listing.text).to.not.include(token);
      expect(listing.text).to.not.include(other.token);
      // and it works
      expect((await http(base, 'GET', '/tokens', undefined, bearer(token))).status).to.equal(403);
      expect((await http(base, 'GET', `/denied-devices/${tenant}`, undefined, bearer(token))).status).to.equal(404);
    });

    it('accepts the scheme in any case (bearer, BEARER)', async function () {
      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
        const res = await http(base, 'GET', '/tokens', undefined, { Authorization: `${scheme} ${BOOTSTRAP}` });
        expect(res.status, `${scheme}: ${res.text}`).to.equal(200);
      }
    });

    it('GET /tokens lists the caller\'s own tokens and never their values or hashes', async function () {
      const tenant = freshTenant();
      const a = await mint(base, BOOTSTRAP, { scopes: ['tokens:create', 'tokens:read', 'devices:read'], tenants: [tenant], description: 'A' });
      const b = await mint(base, a.token, { scopes: ['devices:read'], tenants: [tenant], description: 'B' });
      const c = await mint(base, BOOTSTRAP, { scopes: ['devices:read'], tenants: [tenant], description: 'C' });
      const res = await http(base, 'GET', '/tokens', undefined, bearer(a.token));
      expect(res.status).to.equal(200);
      const ids = (res.json as ListedToken[]).map((t) => t.id);
      expect(ids).to.have.members([a.id, b.id]);
      // the all-powerful bootstrap token sees every token
      const all = await http(base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP));
      expect((all.json as ListedToken[]).map((t) => t.id)).to.include.members([a.id, b.id, c.id, 'tok_bootstrap']);
      const hashes = Object.values(await redis.hgetall('token-ids:{~auth}'));
      expect(hashes.length).to.be.greaterThan(3);
      for (const text of [res.text, all.text]) {
        for (const secret of [a.token, b.token, c.token, BOOTSTRAP, ...hashes]) expect(text).to.not.include(secret);
        for (const token of JSON.parse(text) as Json[]) {
          expect(token).to.not.have.property('hash');
          expect(token).to.not.have.property('token');
          expect(token).to.include.keys('id', 'description', 'scopes', 'tenants', 'created', 'expires');
        }
      }
    });

    it('DELETE /tokens/{id} answers 204, then the token answers 401; unknown and foreign ids are 404', async function () {
      const tenant = freshTenant();
      const a = await mint(base, BOOTSTRAP, { scopes: ['tokens:create', 'tokens:read', 'tokens:delete'], tenants: [tenant] });
      const b = await mint(base, a.token, { scopes: ['tokens:read'], tenants: [tenant] });
      const foreign = await mint(base, BOOTSTRAP, { scopes: ['tokens:read'], tenants: [tenant] });
      expect((await http(base, 'GET', '/tokens', undefined, bearer(b.token))).status).to.equal(200);
      const del = await http(base, 'DELETE', `/tokens/${b.id}`, undefined, bearer(a.token));
      expect(del.status, del.text).to.equal(204);
      const after = await http(base, 'GET', '/tokens', undefined, bearer(b.token));
      expectJsonError(after, 401);
      expect(after.headers.get('www-authenticate') ?? '').to.include('error="invalid_token"');
      expectJsonError(await http(base, 'DELETE', `/tokens/${b.id}`, undefined, bearer(a.token)), 404);
      expectJsonError(await http(base, 'DELETE', '/tokens/tok_nosuchtoken', undefined, bearer(a.token)), 404);
      // a token created by somebody else cannot be revoked (and still works)
      expectJsonError(await http(base, 'DELETE', `/tokens/${foreign.id}`, undefined, bearer(a.token)), 404);
      expectJsonError(await http(base, 'DELETE', '/tokens/tok_bootstrap', undefined, bearer(a.token)), 404);
      expect((await http(base, 'GET', '/tokens', undefined, bearer(foreign.token))).status).to.equal(200);
      expect((await list(BOOTSTRAP)).map((t) => t.id)).to.not.include(b.id);
      // nothing of the revoked token is left in the store
      expect(await redis.exists(TOKEN_KEY(hmac(b.token)))).to.equal(0);
      expect(await redis.hexists('token-ids:{~auth}', b.id)).to.equal(0);
    });

    it('a token expires by itself: its key has a TTL, and once Redis expires it, it answers 401 and is no longer listed', async function () {
      const events = await watchKeyEvents(redis);
      let res;
      try {
        const short = await mint(base, BOOTSTRAP, { scopes: ['tokens:read'], tenants: ['*'], 'expires-in': 2 });
        const expired = events.next('expired', TOKEN_KEY(hmac(short.token)));
        const pttl = await redis.pttl(TOKEN_KEY(hmac(short.token)));
        expect(pttl).to.be.greaterThan(0).and.at.most(2000);
        expect((await http(base, 'GET', '/tokens', undefined, bearer(short.token))).status).to.equal(200);
        await expired;
        res = await http(base, 'GET', '/tokens', undefined, bearer(short.token));
        expect(await redis.exists(TOKEN_KEY(hmac(short.token)))).to.equal(0);
        expect((await list(BOOTSTRAP)).map((t) => t.id)).to.not.include(short.id);
      } finally {
        await events.close();
      }
      expectJsonError(res, 401);
      expect(res.headers.get('www-authenticate') ?? '').to.include('error="invalid_token"');
    });

    it('every stored token key expires (the bootstrap token too)', async function () {
      await mint(base, BOOTSTRAP, { scopes: ['tokens:read'], tenants: ['*'], 'expires-in': '2h' });
      const found = await redis.keys('token:{~auth}:*');
      expect(found.length).to.be.greaterThan(1);
      for (const key of found) expect(await redis.pttl(key), key).to.be.greaterThan(0);
      expect(await redis.pttl(TOKEN_KEY(hmac(BOOTSTRAP)))).to.be.greaterThan(0).and.at.most(30 * 86_400_000);
    });

    it('last-used appears after the token is used', async function () {
      const t = await mint(base, BOOTSTRAP, { scopes: ['tokens:read'], tenants: ['*'] });
      const before = (await list(BOOTSTRAP)).find((x) => x.id === t.id);
      expect(before).to.not.have.property('last-used');
      const start = Date.now();
      const events = await watchKeyEvents(redis);
      let lastUsed: unknown;
      try {
        expect((await http(base, 'GET', '/tokens', undefined, bearer(t.token))).status).to.equal(200);
        // The use is recorded in the background: wait for the writes to the last-used hash (the
        // bootstrap token's own use may write there too) until this token's entry is there.
        for (;;) {
          const written = events.next('hset', 'token-last-used:{~auth}');
          lastUsed = (await list(BOOTSTRAP)).find((x) => x.id === t.id)?.['last-used'];
          if (lastUsed !== undefined) break;
          await written;
        }
      } finally {
        await events.close();
      }
      expect(lastUsed).to.be.a('string');
      expect(Date.parse(lastUsed as string), 'recorded after the request was made').to.be.at.least(start).and.at.most(Date.now());
    });
  });

  describe('the subset rule', function () {
    it('refuses (403) a scope or a tenant the caller does not hold', async function () {
      const t1 = freshTenant();
      const x = await mint(base, BOOTSTRAP, { scopes: ['devices:read', 'tokens:create'], tenants: [t1] });
      const cases: Json[] = [
        { scopes: ['devices:create'], tenants: [t1] },
        { scopes: ['devices:read', 'devices:delete'], tenants: [t1] },
        { scopes: ['devices:read'], tenants: [freshTenant()] },
        { scopes: ['devices:read'], tenants: [t1, freshTenant()] },
        { scopes: ['devices:read'], tenants: ['*'] },
        { scopes: ['*'], tenants: [t1] },
        { scopes: ['audit:read'], tenants: [t1] },
      ];
      for (const request of cases) {
        const res = await http(base, 'POST', '/tokens', { ...request, 'expires-in': '1h' }, bearer(x.token));
        expectJsonError(res, 403);
      }
      const ok = await mint(base, x.token, { scopes: ['devices:read'], tenants: [t1] });
      expect(ok.body.scopes).to.deep.equal(['devices:read']);
      expect(ok.body['created-by']).to.equal(x.id);
    });

    it('grants `*` (scope or tenant) only from `*`', async function () {
      const t1 = freshTenant();
      const listed = await mint(base, BOOTSTRAP, { scopes: [...SCOPES], tenants: [t1] });
      expectJsonError(await http(base, 'POST', '/tokens', { scopes: ['*'], tenants: [t1], 'expires-in': '1h' }, bearer(listed.token)), 403);
      expectJsonError(await http(base, 'POST', '/tokens', { scopes: ['devices:read'], tenants: ['*'], 'expires-in': '1h' }, bearer(listed.token)), 403);
      expect((await mint(base, listed.token, { scopes: [...SCOPES], tenants: [t1] })).body.scopes).to.have.length(SCOPES.length);
      const star = await mint(base, BOOTSTRAP, { scopes: ['*'], tenants: ['*'] });
      expect(star.body.scopes).to.deep.equal(['*']);
      expect((await mint(base, star.token, { scopes: ['*'], tenants: ['*'] })).body.tenants).to.deep.equal(['*']);
    });

    it('does not mint a token that outlives its creator', async function () {
      const shortLived = await mint(base, BOOTSTRAP, { scopes: ['tokens:create', 'devices:read'], tenants: ['*'], 'expires-in': '60s' });
      const res = await http(base, 'POST', '/tokens', { scopes: ['devices:read'], tenants: ['*'], 'expires-in': '30d' }, bearer(shortLived.token));
      if (res.status === 201) expect(Date.parse((res.json as Json).expires as string)).to.be.at.most(Date.parse(shortLived.body.expires as string));
      else expectJsonError(res, 403);
    });
  });

  describe('request validation', function () {
    it('refuses a lifetime above REGISTRY_TOKEN_MAX_LIFETIME (400)', async function () {
      for (const request of [{ 'expires-in': '31d' }, { 'expires-in': 31 * 86400 }, { 'expires-in': '745h' }, { expires: new Date(Date.now() + 40 * 86_400_000).toISOString() }]) {
        const error = expectJsonError(await http(base, 'POST', '/tokens', { scopes: ['devices:read'], tenants: ['*'], ...request }, bearer(BOOTSTRAP)), 400);
        expect(error).to.include('REGISTRY_TOKEN_MAX_LIFETIME');
      }
      expect((await mint(base, BOOTSTRAP, { scopes: ['devices:read'], tenants: ['*'], 'expires-in': '30d' })).body.expires).to.be.a('string');
      const at = new Date(Date.now() + 86_400_000).toISOString();
      const byDate = await http(base, 'POST', '/tokens', { scopes: ['devices:read'], tenants: ['*'], expires: at }, bearer(BOOTSTRAP));
      expect(byDate.status, byDate.text).to.equal(201);
    });

    it('refuses invalid bodies with 400 and a JSON error', async function () {
      const valid = { scopes: ['devices:read'], tenants: ['*'], 'expires-in': '1h' };
      const bodies: unknown[] = [
        {},
        [],
        'null',
        '42',
        '{"scopes":',
        { ...valid, scopes: [] },
        { ...valid, scopes: ['devices:fly'] },
        { ...valid, scopes: 'devices:read' },
        { ...valid, scopes: ['devices:read', 'devices:read'] },
        { ...valid, tenants: [] },
        { ...valid, tenants: [''] },
        { ...valid, tenants: [42] },
        { scopes: ['devices:read'], tenants: ['*'] },
        { ...valid, expires: new Date(Date.now() + 3_600_000).toISOString() },
        { ...valid, 'expires-in': 0 },
        { ...valid, 'expires-in': '0' },
        { ...valid, 'expires-in': -5 },
        { ...valid, 'expires-in': 1.5 },
        { ...valid, 'expires-in': '1 week' },
        { ...valid, 'expires-in': '' },
        { scopes: ['devices:read'], tenants: ['*'], expires: '2001-01-01T00:00:00Z' },
        { scopes: ['devices:read'], tenants: ['*'], expires: 'tomorrow' },
        { ...valid, description: 'x'.repeat(201) },
        { ...valid, id: 'tok_chosen' },
        { ...valid, hash: 'ab'.repeat(32) },
        { ...valid, 'created-by': 'bootstrap' },
      ];
      for (const body of bodies) {
        const res = await http(base, 'POST', '/tokens', body, bearer(BOOTSTRAP));
        expect(res.status, `${JSON.stringify(body)}: ${res.text}`).to.equal(400);
        expectJsonError(res, 400);
      }
      const noType = await http(base, 'POST', '/tokens', JSON.stringify(valid), { ...bearer(BOOTSTRAP), 'Content-Type': 'text/plain' });
      expectJsonError(noType, 400);
    });
  });

  describe('storage', function () {
    it('stores only HMAC-SHA256(pepper, token): no token value occurs anywhere in Redis', async function () {
      const tenant = freshTenant();
      const minted = [
        await mint(base, BOOTSTRAP, { scopes: ['*'], tenants: ['*'] }),
        await mint(base, BOOTSTRAP, { scopes: ['devices:read', 'tokens:create'], tenants: [tenant], description: 'stored' }),
      ];
      minted.push(await mint(base, minted[1]?.token as string, { scopes: ['devices:read'], tenants: [tenant] }));
      for (const m of minted) expect((await http(base, 'GET', `/denied-devices/${tenant}`, undefined, bearer(m.token))).status).to.not.equal(401);
      const values = [BOOTSTRAP, ...minted.map((m) => m.token)];
      for (const value of values) {
        // looked up by the keyed hash
        expect(await redis.exists(TOKEN_KEY(hmac(value))), value.slice(0, 6)).to.equal(1);
        // an unkeyed hash is not what is stored
        expect(await redis.exists(TOKEN_KEY(createHmac('sha256', '').update(value).digest('hex')))).to.equal(0);
      }
      const dump = await dumpAll(redis);
      expect(dump.size).to.be.greaterThan(3);
      for (const [key, text] of dump) {
        for (const value of values) {
          expect(key.includes(value), key).to.equal(false);
          expect(text.includes(value), `${key} holds a token value`).to.equal(false);
          // the part after the prefix neither
          expect(text.includes(value.replace(/^dr_/, '')), `${key} holds a token value`).to.equal(false);
        }
      }
    });

    it('refuses a record whose stored hash differs from the token\'s (test/unit/model/tokens.test.ts: the comparison)', async function () {
      const t = await mint(base, BOOTSTRAP, { scopes: ['tokens:read'], tenants: ['*'] });
      expect((await http(base, 'GET', '/tokens', undefined, bearer(t.token))).status).to.equal(200);
      const key = TOKEN_KEY(hmac(t.token));
      const record = JSON.parse((await redis.get(key)) as string) as Json;
      const hash = record.hash as string;
      expect(hash).to.equal(hmac(t.token));
      for (const tampered of [`${hash.slice(0, -1)}${hash.endsWith('0') ? '1' : '0'}`, hash.slice(0, 32), '', 'zz']) {
        await redis.set(key, JSON.stringify({ ...record, hash: tampered }), 'KEEPTTL');
        const res = await http(base, 'GET', '/tokens', undefined, bearer(t.token));
        expect(res.status, `stored hash ${JSON.stringify(tampered)}: ${res.text}`).to.equal(401);
      }
      await redis.set(key, JSON.stringify(record), 'KEEPTTL');
      expect((await http(base, 'GET', '/tokens', undefined, bearer(t.token))).status).to.equal(200);
    });
  });

  describe('the bootstrap token', function () {
    it('holds every scope and tenant', async function () {
      const listed = (await list(BOOTSTRAP)).find((t) => t.id === 'tok_bootstrap');
      expect(listed).to.include({ 'created-by': 'bootstrap' });
      expect(listed?.scopes).to.deep.equal(['*']);
      expect(listed?.tenants).to.deep.equal(['*']);
      const tenant = freshTenant();
      const h = bearer(BOOTSTRAP);
      expect((await http(base, 'POST', '/tenant', { 'tenant-id': tenant }, h)).status).to.equal(201);
      expect((await http(base, 'POST', `/registration/${tenant}`, { 'device-id': 'd' }, h)).status).to.equal(201);
      expect((await http(base, 'DELETE', `/registration/${tenant}/d`, undefined, h)).status).to.equal(204);
      expect((await http(base, 'DELETE', `/denied-devices/${tenant}/d?purge=true`, undefined, h)).status).to.equal(204);
      expect((await http(base, 'GET', '/audit', undefined, h)).status).to.equal(200);
      expect((await http(base, 'DELETE', `/tenant/${tenant}`, undefined, h)).status).to.equal(204);
    });

    it('a changed REGISTRY_BOOTSTRAP_TOKEN revokes the old value at the next start (same Redis, same pepper)', async function () {
      const kept = await mint(base, BOOTSTRAP, { scopes: ['tokens:read'], tenants: ['*'] });
      const renewed = `renewed-bootstrap-${randomBytes(16).toString('hex')}`;
      const second = await startTokenRegistry({ REGISTRY_BOOTSTRAP_TOKEN: renewed, REGISTRY_AUTH_FAILURE_LIMIT: '1000' });
      try {
        for (const where of [second.base, base]) {
          expectJsonError(await http(where, 'GET', '/tokens', undefined, bearer(BOOTSTRAP)), 401);
          expect((await http(where, 'GET', '/tokens', undefined, bearer(renewed))).status).to.equal(200);
          // tokens minted earlier survive the restart
          expect((await http(where, 'GET', '/tokens', undefined, bearer(kept.token))).status).to.equal(200);
        }
        const bootstraps = (await list(renewed)).filter((t) => t.id === 'tok_bootstrap');
        expect(bootstraps).to.have.length(1);
        expect(await redis.exists(TOKEN_KEY(hmac(BOOTSTRAP)))).to.equal(0);
      } finally {
        await second.stop();
      }
      // the suite's own registry: back to the original value (as a restart with it would do)
      const restored = await startTokenRegistry({ REGISTRY_AUTH_FAILURE_LIMIT: '1000' });
      await restored.stop();
      expect((await http(base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP))).status).to.equal(200);
      expectJsonError(await http(base, 'GET', '/tokens', undefined, bearer(renewed)), 401);
    });

    it('two concurrent starts with different bootstrap values leave only one of them valid', async function () {
      const grant = { id: 'tok_bootstrap', scopes: ['*'] as const, tenants: ['*'], description: 'REGISTRY_BOOTSTRAP_TOKEN', createdBy: 'bootstrap', lifetimeSeconds: 3600 };
      const [first, second] = [`first-${randomBytes(16).toString('hex')}`, `second-${randomBytes(16).toString('hex')}`];
      const tokens = registry.registry.services.tokens;
      try {
        await Promise.all([tokens.ensure(first, grant), tokens.ensure(second, grant)]);
        const statuses = await Promise.all([first, second].map(async (v) => (await http(base, 'GET', '/tokens', undefined, bearer(v))).status));
        expect(statuses.filter((s) => s === 200), `statuses ${statuses.join(', ')}`).to.have.length(1);
        expect((await redis.keys('token:{~auth}:*')).filter((k) => k === TOKEN_KEY(hmac(first)) || k === TOKEN_KEY(hmac(second)))).to.have.length(1);
      } finally {
        // the suite's bootstrap token again, and no orphan left behind
        await tokens.ensure(BOOTSTRAP, { ...grant, lifetimeSeconds: 30 * 86400 });
        await redis.del(TOKEN_KEY(hmac(first)), TOKEN_KEY(hmac(second)));
      }
    });
  });
});

describe('bad-authentication limiter', function () {
  this.timeout(20_000);
  let a: TestRegistry;
  let b: TestRegistry;
  let redis: Redis;
  const LIMITED = { REGISTRY_AUTH_FAILURE_LIMIT: '5', REGISTRY_AUTH_FAILURE_WINDOW_SECONDS: '60', REGISTRY_AUTH_BLOCK_SECONDS: '300' };
  const wrong = () => bearer(`dr_${randomBytes(32).toString('base64url')}`);

  before(async function () {
    await flushRedis();
    redis = await rawRedis();
    a = await startTokenRegistry(LIMITED);
    b = await startTokenRegistry(LIMITED);
  });

  beforeEach(async function () {
    const limiterKeys = [...(await redis.keys('auth-failures:*')), ...(await redis.keys('auth-blocked:*'))];
    if (limiterKeys.length > 0) await redis.del(...limiterKeys);
  });

  after(async function () {
    await a?.stop();
    await b?.stop();
    await flushRedis();
    redis?.disconnect();
  });

  /** The limiter's warnings in a registry's log that name `address`. */
  const blockWarnings = (r: TestRegistry, address: string) =>
    r.logs.map((l) => JSON.parse(l) as { level: number; msg: string; address?: string }).filter((l) => l.level === 40 && l.address === address && l.msg.startsWith('blocking'));

  it('answers 429 with Retry-After and a JSON error to failed attempts after 5 failures from one address', async function () {
    for (let i = 0; i < 5; i++) expectJsonError(await http(a.base, 'GET', '/tokens', undefined, wrong()), 401);
    const blocked = await http(a.base, 'GET', '/tokens', undefined, wrong());
    expectJsonError(blocked, 429);
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).to.be.within(1, 300);
    // malformed headers are failures too, and are blocked the same way
    expectJsonError(await http(a.base, 'GET', '/tokens', undefined, { Authorization: 'Basic xyz' }), 429);
  });

  it('never refuses a valid token from a blocked address, and keeps refusing the failures', async function () {
    for (let i = 0; i < 5; i++) expectJsonError(await http(a.base, 'GET', '/tokens', undefined, wrong()), 401);
    expectJsonError(await http(a.base, 'GET', '/tokens', undefined, wrong()), 429);
    for (let i = 0; i < 3; i++) {
      expect((await http(a.base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP))).status).to.equal(200);
      expectJsonError(await http(b.base, 'GET', '/tokens', undefined, wrong()), 429);
    }
    const minted = await mint(b.base, BOOTSTRAP, { scopes: ['devices:read'], tenants: ['*'] });
    expect((await http(a.base, 'GET', '/registration/DEFAULT_TENANT/none', undefined, bearer(minted.token))).status).to.equal(404);
    expect(await redis.exists('auth-blocked:{~auth}:127.0.0.1')).to.equal(1);
  });

  it('logs one warning naming the address when it gets blocked, not one per refused attempt', async function () {
    const before = blockWarnings(a, '127.0.0.1').length + blockWarnings(b, '127.0.0.1').length;
    for (let i = 0; i < 5; i++) expectJsonError(await http(a.base, 'GET', '/tokens', undefined, wrong()), 401);
    for (let i = 0; i < 10; i++) expectJsonError(await http(i % 2 === 0 ? a.base : b.base, 'GET', '/tokens', undefined, wrong()), 429);
    const warnings = [...blockWarnings(a, '127.0.0.1'), ...blockWarnings(b, '127.0.0.1')];
    expect(warnings.length - before).to.equal(1);
    expect(warnings[warnings.length - 1]?.msg).to.include('valid tokens still pass');
  });

  it('shares the counters between two registries on one Redis: failures on A block B', async function () {
    for (let i = 0; i < 3; i++) expectJsonError(await http(a.base, 'GET', '/tokens', undefined, wrong()), 401);
    for (let i = 0; i < 2; i++) expectJsonError(await http(b.base, 'GET', '/tokens', undefined, wrong()), 401);
    expectJsonError(await http(b.base, 'GET', '/tokens', undefined, wrong()), 429);
    expectJsonError(await http(a.base, 'GET', '/tokens', undefined, wrong()), 429);
    expect((await http(b.base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP))).status).to.equal(200);
  });

  it('blocks only the failing address (127.0.0.2), not another (127.0.0.1)', async function () {
    for (let i = 0; i < 5; i++) expect((await requestFrom('127.0.0.2', a.registry.httpPort, 'GET', '/tokens', wrong())).status).to.equal(401);
    const blocked = await requestFrom('127.0.0.2', b.registry.httpPort, 'GET', '/tokens', wrong());
    expect(blocked.status, blocked.text).to.equal(429);
    expect(blocked.headers['retry-after']).to.match(/^\d+$/);
    expect(JSON.parse(blocked.text)).to.have.property('error').that.is.a('string');
    expect((await requestFrom('127.0.0.2', b.registry.httpPort, 'GET', '/tokens', bearer(BOOTSTRAP))).status).to.equal(200);
    expectJsonError(await http(a.base, 'GET', '/tokens', undefined, wrong()), 401);
    expect(blockWarnings(a, '127.0.0.2').length + blockWarnings(b, '127.0.0.2').length).to.equal(1);
  });

  it('counts by the connection\'s address and ignores X-Forwarded-For', async function () {
    for (let i = 0; i < 5; i++) {
      expectJsonError(await http(a.base, 'GET', '/tokens', undefined, { ...wrong(), 'X-Forwarded-For': `198.51.100.${i}`, 'X-Real-IP': `198.51.100.${i}` }), 401);
    }
    expectJsonError(await http(a.base, 'GET', '/tokens', undefined, { ...wrong(), 'X-Forwarded-For': '203.0.113.7' }), 429);
  });

  it('does not limit a valid token, however many successful calls it makes', async function () {
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => http(i % 2 === 0 ? a.base : b.base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP))));
    expect(results.map((r) => r.status)).to.deep.equal(Array(60).fill(200));
    // a few failures below the limit do not block successful calls either
    for (let i = 0; i < 4; i++) expectJsonError(await http(a.base, 'GET', '/tokens', undefined, wrong()), 401);
    for (let i = 0; i < 20; i++) expect((await http(b.base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP))).status).to.equal(200);
  });

  it('does not count requests without an Authorization header as token failures that block valid tokens', async function () {
    for (let i = 0; i < 10; i++) expectJsonError(await http(a.base, 'GET', '/tokens'), 401);
    expect((await http(a.base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP))).status).to.equal(200);
  });
});
