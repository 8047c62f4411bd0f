/**
 * Console sessions (docs/security.md "Console sessions"): a token exchanged for an HttpOnly, SameSite=Strict
 * cookie that the management API accepts instead of the bearer header (same scopes, tenants and
 * audit), that a revocation of its token (or of an ancestor) ends at once on every instance, and
 * that a request which changes something may use only from the registry's own origin.
 */
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { keys } from '../../../src/store/keys.js';
import { http, type HttpResult, type TestRegistry } from '../../helpers/registry.js';
import { BOOTSTRAP, bearer, expectJsonError, flushRedis, mint, rawRedis, startTokenRegistry, type Json } from '../../helpers/security.js';

const CONSOLE = { 'X-Registry-Console': '1' };

/** The session cookie a sign-in answer sets, as the browser sends it back (`name=value`). */
function cookieOf(res: HttpResult): string {
  const set = res.headers.get('set-cookie') ?? '';
  expect(set, res.text).to.match(/^registry-session=[A-Za-z0-9_-]{43};/);
  return set.split(';')[0] as string;
}

describe('console sessions', function () {
  this.timeout(30_000);
  let a: TestRegistry;
  let b: TestRegistry;
  let redis: Redis;
  /** What the console's page sends: its header and the origin it was loaded from. */
  const fromConsole = (r: TestRegistry, cookie?: string) => ({ ...CONSOLE, Origin: r.base, 'Sec-Fetch-Site': 'same-origin', ...(cookie === undefined ? {} : { Cookie: cookie }) });
  const signIn = (r: TestRegistry, token: string) => http(r.base, 'POST', '/session', { token }, fromConsole(r));
  const sessionKeys = async () => (await redis.keys('session:*')).sort();

  before(async function () {
    await flushRedis();
    redis = await rawRedis();
    a = await startTokenRegistry({ REGISTRY_AUTH_FAILURE_LIMIT: '3' });
    b = await startTokenRegistry({ REGISTRY_AUTH_FAILURE_LIMIT: '3' });
  });

  beforeEach(async function () {
    // The limiter's counters and blocks, and every session, from the test before.
    for (const key of [...(await redis.keys('auth-*')), ...(await sessionKeys())]) await redis.del(key);
  });

  after(async function () {
    await a?.stop();
    await b?.stop();
    await flushRedis();
    redis?.disconnect();
  });

  it('exchanges a token for an HttpOnly, SameSite=Strict cookie; Redis keeps the token\'s id and hash, never its value', async function () {
    const token = await mint(a.base, BOOTSTRAP, { scopes: ['tokens:read', 'audit:read'], tenants: ['t1'] });
    const res = await signIn(a, token.token);
    expect(res.status, res.text).to.equal(201);
    const set = res.headers.get('set-cookie') ?? '';
    expect(set.split('; ').slice(1).sort()).to.deep.equal(['HttpOnly', 'Path=/', 'SameSite=Strict']);
    expect(res.json).to.deep.equal({ 'token-id': token.id, scopes: ['tokens:read', 'audit:read'], tenants: ['t1'], expires: token.body.expires, authentication: 'session' });
    expect(res.text + set).to.not.include(token.token);
    const [key, ...more] = await sessionKeys();
    expect(more).to.deep.equal([]);
    const stored = (await redis.get(key as string)) ?? '';
    expect(stored).to.not.include(token.token);
    expect(stored).to.not.include(cookieOf(res).split('=')[1]);
    expect(JSON.parse(stored)).to.include({ 'token-id': token.id, 'token-hash': await redis.hget(keys.tokenIds(), token.id) });
    expect(await redis.pttl(key as string), 'the idle timeout (30 min)').to.be.within(1, 30 * 60_000);
    expect(a.logs.join('\n')).to.not.include(token.token);
  });

  it('refuses a wrong, malformed or revoked token with 401 and a clear message, and sets no cookie', async function () {
    const revoked = await mint(a.base, BOOTSTRAP, { scopes: ['audit:read'], tenants: ['*'] });
    await http(a.base, 'DELETE', `/tokens/${revoked.id}`, undefined, bearer(BOOTSTRAP));
    for (const token of [`dr_${'x'.repeat(43)}`, 'not a token', revoked.token]) {
      await redis.del(...(await redis.keys('auth-*')), 'none');
      const res = await signIn(a, token);
      expect(expectJsonError(res, 401)).to.match(/unknown, revoked or expired|wrong form/);
      expect(res.headers.get('set-cookie')).to.equal(null);
    }
    expect(await sessionKeys()).to.deep.equal([]);
  });

  it('answers 400, never 500, to a sign-in without a token', async function () {
    for (const body of [{}, { token: 42 }, { token: '' }, { token: 'x', more: 1 }, '[]', 'not json']) {
      expectJsonError(await http(a.base, 'POST', '/session', body, fromConsole(a)), 400);
    }
  });

  it('counts failed sign-ins in the limiter that bearer tokens share: the third blocks the address (429)', async function () {
    for (let i = 0; i < 3; i++) expectJsonError(await signIn(a, `dr_${String(i).repeat(43)}`), 401);
    const blocked = await signIn(b, `dr_${'9'.repeat(43)}`);
    expectJsonError(blocked, 429);
    expect(blocked.headers.get('retry-after')).to.match(/^\d+$/);
    expectJsonError(await http(a.base, 'GET', '/tokens', undefined, bearer(`dr_${'8'.repeat(43)}`)), 429);
    // a valid token still passes while the address is blocked
    expect((await signIn(a, BOOTSTRAP)).status).to.equal(201);
  });

  it('authenticates API requests with the cookie: the same scopes and tenants as the token', async function () {
    const token = await mint(a.base, BOOTSTRAP, { scopes: ['tokens:read', 'tenants:read'], tenants: ['DEFAULT_TENANT'] });
    const cookie = cookieOf(await signIn(a, token.token));
    const me = await http(a.base, 'GET', '/session', undefined, { Cookie: cookie });
    expect(me.json).to.include({ 'token-id': token.id, authentication: 'session' });
    expect((await http(a.base, 'GET', '/tokens', undefined, { Cookie: cookie })).status).to.equal(200);
    expect((await http(b.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, { Cookie: cookie })).status, 'on another instance too').to.equal(200);
    const noScope = await http(a.base, 'GET', '/audit', undefined, { Cookie: cookie });
    expect(expectJsonError(noScope, 403)).to.include('audit:read');
    expect(expectJsonError(await http(a.base, 'GET', '/tenant/other', undefined, { Cookie: cookie }), 403)).to.include('other');
    // the bearer header, when given, is what counts
    expect((await http(a.base, 'GET', '/session', undefined, { Cookie: cookie, ...bearer(BOOTSTRAP) })).json).to.include({ 'token-id': 'tok_bootstrap', authentication: 'token' });
  });

  it('accepts a change made with the cookie from the console\'s origin, and audits it under the token\'s id', async function () {
    const token = await mint(a.base, BOOTSTRAP, { scopes: ['tokens:create', 'tokens:read'], tenants: ['t1'] });
    const cookie = cookieOf(await signIn(a, token.token));
    const made = await http(a.base, 'POST', '/tokens', { scopes: ['tokens:read'], tenants: ['t1'], 'expires-in': '1h' }, fromConsole(a, cookie));
    expect(made.status, made.text).to.equal(201);
    // a client without Sec-Fetch-Site: its Origin must be the registry's own
    const { 'Sec-Fetch-Site': _site, ...originOnly } = fromConsole(a, cookie);
    expect((await http(a.base, 'POST', '/tokens', { scopes: ['tokens:read'], tenants: ['t1'], 'expires-in': '1h' }, originOnly)).status).to.equal(201);
    const entries = (await http(a.base, 'GET', '/audit?limit=10', undefined, bearer(BOOTSTRAP))).json as Json[];
    expect(entries.filter((e) => e.token === token.id).map((e) => e.action)).to.deep.equal(['createToken', 'createToken', 'signIn']);
  });

  it('refuses a change made with the cookie that may come from another site, and changes nothing', async function () {
    const cookie = cookieOf(await signIn(a, BOOTSTRAP));
    const body = { scopes: ['tokens:read'], tenants: ['*'], 'expires-in': '1h' };
    const before = ((await http(a.base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP))).json as Json[]).length;
    const attempts: Record<string, Record<string, string>> = {
      'without the console header (a form)': { Cookie: cookie, Origin: a.base, 'Sec-Fetch-Site': 'same-origin' },
      'from another site': { ...fromConsole(a, cookie), 'Sec-Fetch-Site': 'cross-site', Origin: 'http://evil.example' },
      'from another origin of the same site': { ...fromConsole(a, cookie), 'Sec-Fetch-Site': 'same-site', Origin: 'http://127.0.0.1:1' },
      'with another Origin and no Sec-Fetch-Site': { ...CONSOLE, Cookie: cookie, Origin: 'http://evil.example' },
      'saying nowhere where it comes from': { ...CONSOLE, Cookie: cookie },
    };
    for (const [what, headers] of Object.entries(attempts)) {
      expect(expectJsonError(await http(a.base, 'POST', '/tokens', body, headers), 403), what).to.include('cross-site');
      expectJsonError(await http(a.base, 'DELETE', '/tokens/tok_bootstrap', undefined, headers), 403);
    }
    expect(((await http(a.base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP))).json as Json[]).length).to.equal(before);
    // reading needs no such proof: SameSite=Strict keeps the cookie from other sites, CORS their pages from the answer
    expect((await http(a.base, 'GET', '/tokens', undefined, { Cookie: cookie })).status).to.equal(200);
    expectJsonError(await http(a.base, 'POST', '/session', { token: BOOTSTRAP }, { Origin: a.base }), 403);
  });

  it('ends the session at once on every instance when its token, or a token that minted it, is revoked', async function () {
    const parent = await mint(a.base, BOOTSTRAP, { scopes: ['*'], tenants: ['*'] });
    const child = await mint(b.base, parent.token, { scopes: ['tokens:read'], tenants: ['*'] });
    const cookies = [cookieOf(await signIn(a, parent.token)), cookieOf(await signIn(b, child.token))];
    for (const r of [a, b]) for (const cookie of cookies) expect((await http(r.base, 'GET', '/tokens', undefined, { Cookie: cookie })).status).to.equal(200);
    expect((await http(b.base, 'DELETE', `/tokens/${parent.id}`, undefined, bearer(BOOTSTRAP))).status).to.equal(204);
    for (const r of [a, b]) {
      for (const cookie of cookies) expect(expectJsonError(await http(r.base, 'GET', '/tokens', undefined, { Cookie: cookie }), 401)).to.include('session has ended');
    }
    expect(await sessionKeys(), 'the ended sessions are gone').to.deep.equal([]);
  });

  it('never lets a session outlive its token, and extends it by the idle timeout when used', async function () {
    const token = await mint(a.base, BOOTSTRAP, { scopes: ['tokens:read'], tenants: ['*'], 'expires-in': '90s' });
    const cookie = cookieOf(await signIn(a, token.token));
    const [key] = await sessionKeys();
    expect(await redis.pttl(key as string)).to.be.within(1, 90_000);
    await redis.pexpire(key as string, 5000);
    expect((await http(a.base, 'GET', '/session', undefined, { Cookie: cookie })).status).to.equal(200);
    expect(await redis.pttl(key as string), 'extended, up to the token\'s expiry').to.be.above(5000).and.at.most(90_000);
    const long = await mint(a.base, BOOTSTRAP, { scopes: ['tokens:read'], tenants: ['*'] });
    const other = cookieOf(await signIn(a, long.token));
    const otherKey = (await sessionKeys()).find((k) => k !== key) as string;
    await redis.pexpire(otherKey, 5000);
    await http(a.base, 'GET', '/session', undefined, { Cookie: other });
    expect(await redis.pttl(otherKey), 'extended by the idle timeout (30 min)').to.be.above(5000).and.at.most(30 * 60_000);
  });

  it('signs out: the session ends, the browser is told to forget the cookie, and the sign-out is audited', async function () {
    const token = await mint(a.base, BOOTSTRAP, { scopes: ['tokens:read'], tenants: ['*'] });
    const cookie = cookieOf(await signIn(a, token.token));
    const out = await http(a.base, 'DELETE', '/session', undefined, fromConsole(a, cookie));
    expect(out.status).to.equal(204);
    expect(out.headers.get('set-cookie')).to.equal('registry-session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
    expectJsonError(await http(b.base, 'GET', '/session', undefined, { Cookie: cookie }), 401);
    expect(await sessionKeys()).to.deep.equal([]);
    expect((await http(a.base, 'DELETE', '/session', undefined, fromConsole(a, cookie))).status, 'again: nothing to end').to.equal(204);
    expect((await http(a.base, 'DELETE', '/session', undefined, fromConsole(a, 'registry-session=garbage'))).status).to.equal(204);
    const entries = (await http(a.base, 'GET', '/audit?limit=5', undefined, bearer(BOOTSTRAP))).json as Json[];
    expect(entries.filter((e) => e.token === token.id).map((e) => e.action)).to.deep.equal(['signOut', 'signIn']);
  });

  it('answers 401 to a cookie that names no session', async function () {
    for (const cookie of ['registry-session=', 'registry-session=x', `registry-session=${'A'.repeat(43)}`, `registry-session=${'%'.repeat(5000)}`]) {
      expectJsonError(await http(a.base, 'GET', '/tokens', undefined, { Cookie: cookie }), 401);
    }
  });
});
