/**
 * Revoking a token revokes every token it minted, directly or not, at once on every registry
 * instance of the store (docs/security.md "Bearer tokens"): two registries on one Redis,
 * a family of tokens minted through both, revoked through one of them.
 */
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { RegistryError } from '../../../src/errors.js';
import { http, type TestRegistry } from '../../helpers/registry.js';
import { BOOTSTRAP, bearer, expectJsonError, flushRedis, mint, rawRedis, startTokenRegistry, type Json, type Minted } from '../../helpers/security.js';

const ALL = { scopes: ['*'], tenants: ['*'] };

describe('revoking a token revokes the tokens it minted', function () {
  this.timeout(30_000);
  let a: TestRegistry;
  let b: TestRegistry;
  let redis: Redis;

  before(async function () {
    await flushRedis();
    redis = await rawRedis();
    a = await startTokenRegistry({ REGISTRY_AUTH_FAILURE_LIMIT: '1000' });
    b = await startTokenRegistry({ REGISTRY_AUTH_FAILURE_LIMIT: '1000' });
  });

  after(async function () {
    await a?.stop();
    await b?.stop();
    await flushRedis();
    redis?.disconnect();
  });

  /** The status of a call with `token` through each instance. */
  const statuses = async (token: string) => Promise.all([a, b].map(async (r) => (await http(r.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, bearer(token))).status));
  const listedIds = async (token = BOOTSTRAP) => ((await http(a.base, 'GET', '/tokens', undefined, bearer(token))).json as Json[]).map((t) => t.id);

  /** root (through a) → child, child2 (through b) → grandchild (through a); a sibling of root. */
  async function family(): Promise<Record<'root' | 'child' | 'child2' | 'grandchild' | 'sibling', Minted>> {
    const root = await mint(a.base, BOOTSTRAP, ALL);
    const child = await mint(b.base, root.token, { scopes: ['tokens:create', 'tokens:read', 'tenants:read'], tenants: ['*'] });
    const child2 = await mint(b.base, root.token, { scopes: ['tenants:read'], tenants: ['DEFAULT_TENANT'] });
    const grandchild = await mint(a.base, child.token, { scopes: ['tokens:create', 'tenants:read'], tenants: ['*'] });
    const sibling = await mint(a.base, BOOTSTRAP, { scopes: ['tenants:read'], tenants: ['*'] });
    return { root, child, child2, grandchild, sibling };
  }

  it('revokes the whole family of a token on both instances at once, and nothing else', async function () {
    const f = await family();
    for (const t of Object.values(f)) expect(await statuses(t.token)).to.deep.equal([200, 200]);
    expect((await http(b.base, 'DELETE', `/tokens/${f.root.id}`, undefined, bearer(BOOTSTRAP))).status).to.equal(204);
    for (const t of [f.root, f.child, f.child2, f.grandchild]) {
      expect(await statuses(t.token)).to.deep.equal([401, 401]);
      expectJsonError(await http(a.base, 'POST', '/tokens', { ...ALL, 'expires-in': '1h' }, bearer(t.token)), 401);
    }
    expect(await statuses(f.sibling.token)).to.deep.equal([200, 200]);
    expect(await statuses(BOOTSTRAP)).to.deep.equal([200, 200]);
    const listed = await listedIds();
    for (const t of [f.root, f.child, f.child2, f.grandchild]) expect(listed).to.not.include(t.id);
    expect(listed).to.include(f.sibling.id);
    const ids = await redis.hkeys('token-ids:{~auth}');
    for (const t of [f.root, f.child, f.child2, f.grandchild]) expect(ids).to.not.include(t.id);
  });

  it('revokes a branch: the revoked token and what it minted, not its parent or siblings', async function () {
    const f = await family();
    expect((await http(a.base, 'DELETE', `/tokens/${f.child.id}`, undefined, bearer(f.root.token))).status).to.equal(204);
    expect(await statuses(f.child.token)).to.deep.equal([401, 401]);
    expect(await statuses(f.grandchild.token)).to.deep.equal([401, 401]);
    for (const t of [f.root, f.child2, f.sibling]) expect(await statuses(t.token)).to.deep.equal([200, 200]);
  });

  it('takes a token out of use by removing its id: a record left behind does not authenticate', async function () {
    const f = await family();
    const hash = (await redis.hget('token-ids:{~auth}', f.grandchild.id)) as string;
    const record = (await redis.get(`token:{~auth}:${hash}`)) as string;
    expect((await http(a.base, 'DELETE', `/tokens/${f.root.id}`, undefined, bearer(BOOTSTRAP))).status).to.equal(204);
    expect(await redis.exists(`token:{~auth}:${hash}`)).to.equal(0);
    // as if the records' deletion, the step after the revocation, had not happened
    await redis.set(`token:{~auth}:${hash}`, record, 'EX', 600);
    expect(await statuses(f.grandchild.token)).to.deep.equal([401, 401]);
  });

  it('finds what tokens saved before minting was recorded minted, after a restart', async function () {
    const f = await family();
    await redis.del('token-parents:{~auth}');
    const c = await startTokenRegistry({ REGISTRY_AUTH_FAILURE_LIMIT: '1000' });
    try {
      expect((await http(c.base, 'DELETE', `/tokens/${f.root.id}`, undefined, bearer(BOOTSTRAP))).status).to.equal(204);
    } finally {
      await c.stop();
    }
    for (const t of [f.root, f.child, f.child2, f.grandchild]) expect(await statuses(t.token)).to.deep.equal([401, 401]);
    expect(await statuses(f.sibling.token)).to.deep.equal([200, 200]);
  });

  it('stores no token minted by a token revoked between its authentication and the save', async function () {
    const f = await family();
    // The caller as authenticate answered it, a moment before another instance revoked its token.
    const caller = { tokenId: f.child.id, scopes: ['*'] as const, tenants: ['*'], expiresAt: Date.now() + 3_600_000 };
    expect((await http(b.base, 'DELETE', `/tokens/${f.root.id}`, undefined, bearer(BOOTSTRAP))).status).to.equal(204);
    const before = await redis.hlen('token-ids:{~auth}');
    let refused: unknown;
    try {
      await a.registry.services.tokens.create({ ...caller, scopes: [...caller.scopes] }, { scopes: ['tenants:read'], tenants: ['*'], 'expires-in': '1h' });
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(RegistryError);
    expect((refused as RegistryError).status).to.equal(401);
    expect(await redis.hlen('token-ids:{~auth}')).to.equal(before);
  });

  it('leaves no token alive whose minting token was revoked, while tokens are minted during the revocation', async function () {
    const f = await family();
    const minting = Array.from({ length: 60 }, (_, i) =>
      http(i % 2 === 0 ? a.base : b.base, 'POST', '/tokens', { scopes: ['tenants:read'], tenants: ['*'], 'expires-in': '1h' }, bearer(i % 3 === 0 ? f.grandchild.token : f.child.token)),
    );
    await Promise.all(minting.slice(0, 5));
    const revoking = http(b.base, 'DELETE', `/tokens/${f.root.id}`, undefined, bearer(BOOTSTRAP));
    const results = await Promise.all(minting);
    expect((await revoking).status).to.equal(204);
    for (const res of results) expect(res.status, res.text).to.be.oneOf([201, 401]);
    for (const res of results.filter((r) => r.status === 201)) expect(await statuses((res.json as Json).token as string)).to.deep.equal([401, 401]);
    const alive = new Set(await listedIds());
    for (const t of (await http(a.base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP))).json as Json[]) {
      const parent = t['created-by'] as string;
      if (parent.startsWith('tok_') && parent !== 'tok_bootstrap') expect(alive.has(parent), `${String(t.id)} minted by the revoked ${parent}`).to.equal(true);
    }
  });
});
