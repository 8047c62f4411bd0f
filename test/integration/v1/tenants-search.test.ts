/**
 * GET /v1/tenants (Hono's searchTenants, docs/management-v1.md "Search"), as Hono 2.7's
 * TenantManagementIT searches, plus cursor paging and what a tenant-restricted token sees.
 */
import { expect } from 'chai';
import { http } from '../../helpers/registry.js';
import { BOOTSTRAP, bearer, mint, useTokenRegistry } from '../../helpers/security.js';
import { createTenant, expectError, expectOk, useRegistry, type Json } from '../http/support.js';
import { expectV1Created } from './tenants-support.js';

interface Page {
  total: number;
  result: Json[];
  cursor?: string;
}

const filter = (field: string, value: unknown) => `filterJson=${encodeURIComponent(JSON.stringify({ field, value }))}`;
const sort = (field: string, direction: string) => `sortJson=${encodeURIComponent(JSON.stringify({ field, direction }))}`;

describe('/v1 tenants search', function () {
  this.timeout(20_000);
  const suite = useRegistry();
  const create = async (id: string, body: Json = {}) => expectV1Created(await http(suite.base, 'POST', `/v1/tenants/${id}`, body), id);
  const search = (query: string) => http(suite.base, 'GET', `/v1/tenants?${query}`);
  const page = async (query: string): Promise<Page> => expectOk(await search(query)) as unknown as Page;
  const ids = (p: Page) => p.result.map((t) => t.id);

  it('answers 404 when no tenant matches', async function () {
    await create('off', { enabled: false });
    expectError(await search(filter('/enabled', true)), 404);
  });

  it('answers 400 to pageSize or pageOffset out of range, and to filterJson or sortJson that are no JSON', async function () {
    await create('t1');
    for (const query of ['pageSize=-100', 'pageSize=201', 'pageSize=x', 'pageOffset=-1', 'filterJson=Invalid%20filterJson', 'sortJson=Invalid%20sortJson']) {
      expectError(await search(query), 400);
    }
  });

  it('pages with pageSize and pageOffset as a page index; total counts every match', async function () {
    const all = ['t0', 't1', 't2', 't3', 't4', 't5'];
    for (const id of all) await create(id);
    const first = await page('pageSize=4&pageOffset=0');
    expect({ total: first.total, ids: ids(first) }).to.deep.equal({ total: 6, ids: all.slice(0, 4) });
    const second = await page('pageSize=4&pageOffset=1');
    expect({ total: second.total, ids: ids(second) }).to.deep.equal({ total: 6, ids: all.slice(4) });
    expect(ids(await page('pageSize=1'))).to.deep.equal(['t0']);
    expect(await page('pageSize=4&pageOffset=5')).to.deep.equal({ total: 6, result: [] });
  });

  it('ANDs several filters and shows each result as /v1 does, with its id first', async function () {
    await create('t1', { enabled: false, ext: { id: '1' } });
    await create('t2', { enabled: true, ext: { id: '2' } });
    expectError(await search(`${filter('/enabled', true)}&${filter('/ext/id', '1')}`), 404);
    const found = await page(`${filter('/enabled', true)}&${filter('/ext/id', '2')}`);
    expect(found).to.deep.equal({ total: 1, result: [{ id: 't2', enabled: true, ext: { id: '2' } }] });
    expect(Object.keys(found.result[0] as Json)[0]).to.equal('id');
  });

  it('matches * (any characters) and ? (one character) in string values', async function () {
    await create('t1', { enabled: false, ext: { id: '$id:1' } });
    await create('t2', { enabled: true, ext: { id: '$id:2' } });
    expect(ids(await page(`${filter('/enabled', true)}&${filter('/ext/id', '$id:*')}`))).to.deep.equal(['t2']);
    expect(ids(await page(`${filter('/enabled', true)}&${filter('/ext/id', '$id:?')}`))).to.deep.equal(['t2']);
    expectError(await search(filter('/ext/id', '$id:*2x')), 404);
    expectError(await search(filter('/ext/id', '$id:??')), 404);
  });

  it('sorts by sortJson, ties by id', async function () {
    await create('t1', { ext: { id: 'aaa' } });
    await create('t2', { ext: { id: 'bbb' } });
    expect(ids(await page(sort('/ext/id', 'desc')))).to.deep.equal(['t2', 't1']);
    expect(ids(await page(sort('/ext/id', 'asc')))).to.deep.equal(['t1', 't2']);
  });

  it('pages by cursor, stable while tenants come and go', async function () {
    for (const id of ['a', 'b', 'c', 'd', 'e']) await create(id);
    const first = await page('pageSize=2&cursor=');
    expect(ids(first)).to.deep.equal(['a', 'b']);
    await create('aa');
    expect((await http(suite.base, 'DELETE', '/v1/tenants/c')).status).to.equal(204);
    const second = await page(`pageSize=2&cursor=${first.cursor ?? ''}`);
    expect(ids(second)).to.deep.equal(['d', 'e']);
    expect(second).to.not.have.property('cursor');
  });

  it('finds legacy extras under /ext and a tenant\'s alias', async function () {
    await createTenant(suite.base, 'legacy', { plan: 'gold' });
    await create('modern', { alias: 'acme' });
    expect(ids(await page(filter('/ext/plan', 'gold')))).to.deep.equal(['legacy']);
    expect(ids(await page(filter('/alias', 'acme')))).to.deep.equal(['modern']);
    expect(ids(await page(filter('/id', 'leg*')))).to.deep.equal(['legacy']);
  });
});

describe('/v1 tenants with tenant-restricted tokens', function () {
  this.timeout(20_000);
  const started = useTokenRegistry();

  it('a search shows only the tenants the token holds (404 when it holds none that match)', async function () {
    const registry = started();
    const admin = bearer(BOOTSTRAP);
    for (const id of ['mine-1', 'mine-2', 'theirs']) expectV1Created(await http(registry.base, 'POST', `/v1/tenants/${id}`, {}, admin), id);
    const reader = await mint(registry.base, BOOTSTRAP, { scopes: ['tenants:read'], tenants: ['mine-1', 'mine-2'] });
    const res = await http(registry.base, 'GET', '/v1/tenants', undefined, bearer(reader.token));
    expect((expectOk(res).result as Json[]).map((t) => t.id)).to.deep.equal(['mine-1', 'mine-2']);
    expectError(await http(registry.base, 'GET', `/v1/tenants?${filter('/id', 'theirs')}`, undefined, bearer(reader.token)), 404);
  });

  it('creating a tenant with a generated id needs a token for every tenant', async function () {
    const registry = started();
    const limited = await mint(registry.base, BOOTSTRAP, { scopes: ['tenants:create'], tenants: ['some'] });
    expectError(await http(registry.base, 'POST', '/v1/tenants', {}, bearer(limited.token)), 403);
    const everyTenant = await mint(registry.base, BOOTSTRAP, { scopes: ['tenants:create'], tenants: ['*'] });
    expectV1Created(await http(registry.base, 'POST', '/v1/tenants', {}, bearer(everyTenant.token)));
  });
});
