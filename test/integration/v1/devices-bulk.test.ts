/**
 * Bulk writes of devices (docs/management-v1.md "Bulk"; beyond Hono): up to 1000 items per
 * request, each answered with the status of its single operation, each atomic on its own.
 */
import { expect } from 'chai';
import { http } from '../../helpers/registry.js';
import { BOOTSTRAP, bearer, flushRedis, mint, startTokenRegistry } from '../../helpers/security.js';
import { createTenant, expectError, expectOk, useRegistry, type Json } from '../http/support.js';

const T = 'bulk-tenant';
type Result = { id?: string; status: number; etag?: string; error?: string };

describe('/v1 bulk devices', function () {
  const suite = useRegistry();
  const req = (method: string, path: string, body?: unknown) => http(suite.base, method, path, body);
  const bulk = async (op: string, items: unknown[], tenant = T) => {
    const res = await req('POST', `/v1/bulk/devices/${tenant}/${op}`, { items });
    return (expectOk(res).results as Result[]);
  };

  beforeEach(async function () {
    await createTenant(suite.base, T);
  });

  it('creates 1000 devices in one request, each with its status and version', async function () {
    const items = Array.from({ length: 1000 }, (_, i) => ({ id: `d${String(i).padStart(4, '0')}`, device: { ext: { n: i } } }));
    const results = await bulk('create', items);
    expect(results).to.have.length(1000);
    expect(results.every((r, i) => r.status === 201 && r.id === items[i]?.id && /^"[0-9a-f]{16}"$/.test(r.etag ?? ''))).to.equal(true);
    const page = expectOk(await req('GET', `/v1/devices/${T}?pageSize=1&pageOffset=999`));
    expect(page.total).to.equal(1000);
    expect((page.result as Json[])[0]).to.deep.include({ id: 'd0999', ext: { n: 999 } });
    const one = await req('GET', `/v1/devices/${T}/d0007`);
    expect(one.headers.get('etag')).to.equal(results[7]?.etag);
  });

  it('answers every item on its own: a bad or conflicting item fails alone and changes nothing', async function () {
    await bulk('create', [{ id: 'exists' }]);
    const results = await bulk('create', [
      { id: 'ok-1', device: { ext: { a: 1 } } },
      { id: 'exists' },
      { id: 'bad', device: { unknown: true } },
      { id: 'bad id!' },
      { device: { via: ['gw'], memberOf: ['g'] } },
      'not an object',
      { id: 'ok-2', extra: 1 },
      {},
    ]);
    expect(results.map((r) => r.status)).to.deep.equal([201, 409, 400, 400, 400, 400, 400, 201]);
    expect(results[1]?.error).to.match(/exists/);
    expect(results[7]?.id).to.match(/^[0-9a-f-]{36}$/);
    expectError(await req('GET', `/v1/devices/${T}/bad`), 404);
    expect(expectOk(await req('GET', `/v1/devices/${T}/ok-1`)).ext).to.deep.equal({ a: 1 });
  });

  it('replaces and deletes with per-item If-Match, in item order', async function () {
    const [created] = await bulk('create', [{ id: 'd1', device: { ext: { v: 1 } } }]);
    const updates = await bulk('update', [
      { id: 'd1', device: { ext: { v: 2 } }, ifMatch: created?.etag },
      { id: 'd1', device: { ext: { v: 3 } }, ifMatch: created?.etag },
      { id: 'ghost', device: {} },
      { id: 'd1' },
    ]);
    expect(updates.map((r) => r.status)).to.deep.equal([204, 412, 404, 400]);
    expect(expectOk(await req('GET', `/v1/devices/${T}/d1`)).ext).to.deep.equal({ v: 2 });
    const deletions = await bulk('delete', [{ id: 'd1', ifMatch: '"0000000000000000"' }, { id: 'd1', ifMatch: updates[0]?.etag }, { id: 'd1' }]);
    expect(deletions.map((r) => r.status)).to.deep.equal([412, 204, 404]);
    expect((await req('GET', `/denied-devices/${T}`)).json).to.deep.equal(['d1']);
  });

  it('refuses a request that is not 1 to 1000 items, and an unknown tenant', async function () {
    expectError(await req('POST', `/v1/bulk/devices/${T}/create`, { items: [] }), 400);
    expectError(await req('POST', `/v1/bulk/devices/${T}/create`, { items: Array.from({ length: 1001 }, () => ({})) }), 400);
    expectError(await req('POST', `/v1/bulk/devices/${T}/create`, [{ id: 'x' }]), 400);
    expectError(await req('POST', `/v1/bulk/devices/${T}/create`, { items: [{}], more: 1 }), 400);
    expectError(await req('POST', '/v1/bulk/devices/no-such-tenant/create', { items: [{}] }), 404);
  });

  it('stops creating at the tenant\'s device limit: the items beyond it get 403', async function () {
    await createTenant(suite.base, 'small', { 'registration-limits': { 'max-devices': 2 } });
    expect((await bulk('create', [{}, {}, {}, {}], 'small')).map((r) => r.status)).to.deep.equal([201, 201, 403, 403]);
  });

  describe('with tokens', function () {
    it('needs the scope of its operation, and records the token as last-user', async function () {
      // A registry with token authentication on the run's standalone Redis.
      await flushRedis();
      const registry = await startTokenRegistry();
      try {
        const admin = bearer(BOOTSTRAP);
        expect((await http(registry.base, 'POST', '/tenant', { 'tenant-id': 'tok-tenant' }, admin)).status).to.equal(201);
        const creator = await mint(registry.base, BOOTSTRAP, { scopes: ['devices:create', 'devices:read'], tenants: ['tok-tenant'] });
        const created = await http(registry.base, 'POST', '/v1/bulk/devices/tok-tenant/create', { items: [{ id: 'x' }] }, bearer(creator.token));
        expect(created.status, created.text).to.equal(200);
        expectError(await http(registry.base, 'POST', '/v1/bulk/devices/tok-tenant/delete', { items: [{ id: 'x' }] }, bearer(creator.token)), 403);
        const device = (await http(registry.base, 'GET', '/v1/devices/tok-tenant/x', undefined, bearer(creator.token))).json as Json;
        expect((device.status as Json)['last-user']).to.equal(creator.id);
      } finally {
        await registry.stop();
      }
    });
  });
});
