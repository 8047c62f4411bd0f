/**
 * Device search of the /v1 API (docs/management-v1.md "Search", "How search is indexed"; Hono 2.7
 * DeviceManagementIT "search devices"): paging by index and by cursor, filters with wildcards,
 * sorts, isGateway and gateway groups, the scan limit; and every plan of the engine answering what
 * a search over all devices in memory answers.
 */
import { expect } from 'chai';
import { parseFilter, parseSort } from '../../../src/http/v1/search-params.js';
import { searchRows, type SearchQuery } from '../../../src/model/search.js';
import { http } from '../../helpers/registry.js';
import { createTenant, expectError, expectOk, useRegistry, type Json } from '../http/support.js';

const T = 'search-tenant';
const q = (params: Record<string, string | string[] | number | boolean>): string =>
  Object.entries(params)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${encodeURIComponent(typeof x === 'string' ? x : String(x))}`))
    .join('&');
const filter = (field: string, value: unknown) => JSON.stringify({ field, value });
const ids = (page: Json) => (page.result as Json[]).map((d) => d.id);

describe('/v1 device search', function () {
  const suite = useRegistry({ REGISTRY_SEARCH_SCAN_LIMIT: '100' });
  const req = (method: string, path: string, body?: unknown) => http(suite.base, method, path, body);
  const search = (params: Record<string, string | string[] | number | boolean> = {}) => req('GET', `/v1/devices/${T}?${q(params)}`);
  const create = async (id: string, body: Json = {}) => expect((await req('POST', `/v1/devices/${T}/${id}`, body)).status).to.equal(201);

  beforeEach(async function () {
    await createTenant(suite.base, T);
  });

  it('answers 404 when nothing matches and 400 to invalid parameters (DeviceManagementIT)', async function () {
    expectError(await search(), 404);
    await create('d1');
    expectError(await search({ filterJson: filter('/ext/id', 'none') }), 404);
    expectError(await search({ pageSize: -100 }), 400);
    expectError(await search({ pageOffset: -1 }), 400);
    expectError(await search({ filterJson: '{"field":"/ext/id","value":' }), 400);
    expectError(await search({ sortJson: '{"field":"/ext/id","direction":"up"}' }), 400);
    expectError(await search({ isGateway: 'maybe' }), 400);
    expectError(await req('GET', '/v1/devices/no-such-tenant'), 404);
  });

  it('pages in id order by page index, with the total; a page past the end is empty', async function () {
    for (let i = 0; i < 7; i++) await create(`d${i}`, { ext: { n: i } });
    const first = expectOk(await search({ pageSize: 3 }));
    expect([first.total, ids(first)]).to.deep.equal([7, ['d0', 'd1', 'd2']]);
    expect(ids(expectOk(await search({ pageSize: 3, pageOffset: 2 })))).to.deep.equal(['d6']);
    expect(expectOk(await search({ pageSize: 3, pageOffset: 5 }))).to.deep.equal({ total: 7, result: [] });
    expect(expectOk(await search({ pageSize: 0 }))).to.deep.equal({ total: 7, result: [] });
    expect(ids(expectOk(await search({ pageSize: 2, sortJson: JSON.stringify({ field: '/id', direction: 'desc' }) })))).to.deep.equal(['d6', 'd5']);
    const [device] = expectOk(await search({ pageSize: 1 })).result as Json[];
    expect(device).to.deep.include({ id: 'd0', enabled: true, ext: { n: 0 } });
    expect(device).to.have.property('status');
  });

  it('ANDs filters and matches wildcards * and ? (DeviceManagementIT testSearchDevicesWithValidMultipleFiltersSucceeds, wildcard tests)', async function () {
    await create('dev-1', { enabled: false, ext: { id: '$id:1' } });
    await create('dev-2', { enabled: true, ext: { id: '$id:2' } });
    expectError(await search({ filterJson: [filter('/ext/id', '$id:1'), filter('/enabled', true)] }), 404);
    expect(ids(expectOk(await search({ filterJson: [filter('/ext/id', '$id:1'), filter('/enabled', false)] })))).to.deep.equal(['dev-1']);
    expect(ids(expectOk(await search({ filterJson: [filter('/enabled', true), filter('/ext/id', '$id*')] })))).to.deep.equal(['dev-2']);
    expectError(await search({ filterJson: [filter('/enabled', true), filter('/ext/id', '*id:1')] }), 404);
    expect(ids(expectOk(await search({ filterJson: filter('/ext/id', '$id:?') })))).to.deep.equal(['dev-1', 'dev-2']);
    expectError(await search({ filterJson: filter('/ext/id', '$id?') }), 404);
    expect(ids(expectOk(await search({ filterJson: filter('/id', 'dev-?') })))).to.deep.equal(['dev-1', 'dev-2']);
    expect(ids(expectOk(await search({ filterJson: filter('/id', 'dev-2') })))).to.deep.equal(['dev-2']);
  });

  it('sorts by a field in both directions, ties by id (DeviceManagementIT testSearchDevicesWithValidSortOptionSucceeds)', async function () {
    await create('a', { ext: { brand: 'zeta' } });
    await create('b', { ext: { brand: 'alpha' } });
    await create('c', { ext: { brand: 'alpha' } });
    await create('d');
    expect(ids(expectOk(await search({ sortJson: JSON.stringify({ field: '/ext/brand' }) })))).to.deep.equal(['d', 'b', 'c', 'a']);
    expect(ids(expectOk(await search({ sortJson: JSON.stringify({ field: '/ext/brand', direction: 'desc' }) })))).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('finds gateways and non-gateways with isGateway, combined with filters (DeviceManagementIT testSearchGatewayDevicesSucceeds)', async function () {
    await create('1_gw', { memberOf: ['gwGroup1'] });
    await create('2_dev', { via: ['3_gw'] });
    await create('3_gw');
    await create('4_dev', { ext: { kind: 'x' } });
    const gateways = expectOk(await search({ isGateway: true }));
    expect([gateways.total, ids(gateways)]).to.deep.equal([2, ['1_gw', '3_gw']]);
    expect(ids(expectOk(await search({ isGateway: false })))).to.deep.equal(['2_dev', '4_dev']);
    expect(ids(expectOk(await search({ isGateway: false, filterJson: filter('/ext/kind', 'x') })))).to.deep.equal(['4_dev']);
    // A gateway stops being one when the last device naming it is gone.
    expect((await req('DELETE', `/v1/devices/${T}/2_dev`)).status).to.equal(204);
    expect(ids(expectOk(await search({ isGateway: true })))).to.deep.equal(['1_gw']);
  });

  it('finds the members of a gateway group, and devices by gateway (beyond Hono)', async function () {
    await create('gw-a', { memberOf: ['north', 'all'] });
    await create('gw-b', { memberOf: ['south', 'all'] });
    await create('edge', { via: ['gw-a'], viaGroups: ['north'] });
    expect(ids(expectOk(await search({ filterJson: filter('/memberOf', 'all') })))).to.deep.equal(['gw-a', 'gw-b']);
    expect(ids(expectOk(await search({ filterJson: filter('/memberOf', 'south') })))).to.deep.equal(['gw-b']);
    expect(ids(expectOk(await search({ filterJson: filter('/via', 'gw-a') })))).to.deep.equal(['edge']);
    expect(ids(expectOk(await search({ filterJson: filter('/viaGroups', 'north') })))).to.deep.equal(['edge']);
  });

  it('finds legacy data under ext, as /v1 shows it', async function () {
    expect((await req('POST', `/registration/${T}`, { 'device-id': '4711', ep: 'IMEI4711' })).status).to.equal(201);
    expect(ids(expectOk(await search({ filterJson: filter('/ext/ep', 'IMEI*') })))).to.deep.equal(['4711']);
    expectError(await search({ filterJson: filter('/ep', 'IMEI4711') }), 404);
  });

  it('pages by cursor, stable while devices are added and removed', async function () {
    for (const id of ['b', 'd', 'f', 'h', 'j']) await create(id, { ext: { even: true } });
    const first = expectOk(await search({ pageSize: 2, cursor: '' }));
    expect(ids(first)).to.deep.equal(['b', 'd']);
    await create('a', { ext: { even: true } });
    await create('e', { ext: { even: true } });
    expect((await req('DELETE', `/v1/devices/${T}/f`)).status).to.equal(204);
    const second = expectOk(await search({ pageSize: 2, cursor: first.cursor as string }));
    expect(ids(second)).to.deep.equal(['e', 'h']);
    const last = expectOk(await search({ pageSize: 2, cursor: second.cursor as string }));
    expect(ids(last)).to.deep.equal(['j']);
    expect(last).to.not.have.property('cursor');
    // The same with an exact filter, and with a sort on another field.
    const filtered = expectOk(await search({ pageSize: 4, cursor: '', filterJson: filter('/ext/even', true) }));
    expect(ids(filtered)).to.deep.equal(['a', 'b', 'd', 'e']);
    expect(ids(expectOk(await search({ pageSize: 4, cursor: filtered.cursor as string, filterJson: filter('/ext/even', true) })))).to.deep.equal(['h', 'j']);
    const sorted = { sortJson: JSON.stringify({ field: '/id', direction: 'desc' }) };
    const down = expectOk(await search({ pageSize: 3, cursor: '', ...sorted }));
    expect(ids(down)).to.deep.equal(['j', 'h', 'e']);
    expect(ids(expectOk(await search({ pageSize: 3, cursor: down.cursor as string, ...sorted })))).to.deep.equal(['d', 'b', 'a']);
    // Without gateways: f's gateway "h" is left out of every page.
    await create('gw-user', { via: ['h'] });
    const edge = expectOk(await search({ pageSize: 3, cursor: '', isGateway: false }));
    expect(ids(edge)).to.deep.equal(['a', 'b', 'd']);
    const rest = expectOk(await search({ pageSize: 3, cursor: edge.cursor as string, isGateway: false }));
    expect(ids(rest)).to.deep.equal(['e', 'gw-user', 'j']);
    expect(rest).to.not.have.property('cursor');
    expectError(await search({ cursor: 'garbage' }), 400);
    expectError(await search({ cursor: '', pageOffset: 1 }), 400);
  });

  it('checks at most REGISTRY_SEARCH_SCAN_LIMIT devices one by one: 400 naming it beyond, while indexed searches still answer', async function () {
    await Promise.all(Array.from({ length: 120 }, (_, i) => create(`d${String(i).padStart(3, '0')}`, { ext: { n: i, group: i % 2 === 0 ? 'even' : 'odd' } })));
    const refused = await search({ sortJson: JSON.stringify({ field: '/ext/n' }) });
    expectError(refused, 400);
    expect((refused.json as Json).error).to.match(/REGISTRY_SEARCH_SCAN_LIMIT \(100\)/);
    expectError(await search({ filterJson: filter('/ext/group', '*en') }), 400);
    expect(expectOk(await search({ filterJson: filter('/ext/group', 'even'), pageSize: 5 })).total).to.equal(60);
    expect(expectOk(await search({ filterJson: filter('/ext/group', 'odd'), sortJson: JSON.stringify({ field: '/ext/n', direction: 'desc' }), pageSize: 1 })).result).to.have.length(1);
    expect(expectOk(await search({ pageSize: 5, pageOffset: 23 })).total).to.equal(120);
  });

  it('answers every plan as a search over all devices in memory would', async function () {
    const brands = ['acme', 'acme-pro', 'globex', 'initech', 'Ünï'];
    for (let i = 0; i < 40; i++) {
      const device: Json = { enabled: i % 3 !== 0, ext: { brand: brands[i % brands.length], n: i % 7, tags: [`t${i % 4}`, 'all'] } };
      if (i % 5 === 0) device.memberOf = [`g${i % 2}`];
      else if (i % 4 === 1) device.via = [`d${String((i + 1) % 40).padStart(2, '0')}`];
      if (i === 13) (device.ext as Json).long = 'x'.repeat(300);
      if (i === 17) (device.ext as Json).list = [{ deep: 1 }];
      await create(`d${String(i).padStart(2, '0')}`, device);
    }
    const queries: Record<string, string | string[] | number | boolean>[] = [
      { filterJson: filter('/ext/brand', 'acme') },
      { filterJson: filter('/ext/brand', 'globex'), pageSize: 2, pageOffset: 1 },
      { filterJson: filter('/ext/tags', 'all'), sortJson: JSON.stringify({ field: '/id', direction: 'desc' }), pageSize: 5, pageOffset: 2 },
      { filterJson: filter('/memberOf', 'g1') },
      { filterJson: filter('/ext/tags', 'all'), sortJson: JSON.stringify({ field: '/id', direction: 'desc' }), pageSize: 7, pageOffset: 5 },
      { filterJson: filter('/ext/tags', 'all'), pageSize: 7, pageOffset: 5 },
      { filterJson: filter('/ext/brand', 'acme'), pageSize: 3, pageOffset: 3 },
      { filterJson: filter('/ext/brand', 'acme*'), pageSize: 3, pageOffset: 1 },
      { filterJson: [filter('/enabled', true), filter('/ext/n', 3)] },
      { filterJson: filter('/ext/tags', 't2'), sortJson: JSON.stringify({ field: '/ext/n', direction: 'desc' }) },
      { filterJson: filter('/ext/brand', '?nï') },
      { filterJson: filter('/ext/long', 'x*') },
      { filterJson: filter('/ext/list/deep', 1) },
      { filterJson: filter('/status/last-user', 'anonymous'), pageSize: 7, pageOffset: 2 },
      { filterJson: filter('/ext/n', 2.5) },
      { sortJson: [JSON.stringify({ field: '/ext/brand' }), JSON.stringify({ field: '/id', direction: 'desc' })], pageSize: 9, pageOffset: 1 },
      { isGateway: true, sortJson: JSON.stringify({ field: '/ext/n' }) },
      { isGateway: false, filterJson: filter('/enabled', false), pageSize: 4 },
      { isGateway: false, pageSize: 4, pageOffset: 2 },
      { isGateway: false, pageSize: 5, pageOffset: 1, sortJson: JSON.stringify({ field: '/id', direction: 'desc' }) },
      { isGateway: false, pageSize: 30, pageOffset: 1 },
    ];
    // With unindexed devices (d13, d17) every search checks them one by one; without, one exact filter reads its index range.
    await compareAll(queries, 40);
    for (const id of ['d13', 'd17']) expect((await req('DELETE', `/v1/devices/${T}/${id}`)).status).to.equal(204);
    await compareAll(queries, 38);
  });

  async function compareAll(queries: Record<string, string | string[] | number | boolean>[], count: number): Promise<void> {
    const all = (expectOk(await search({ pageSize: 200 })).result as Json[]).map((d) => ({ id: d.id as string, entity: d }));
    expect(all).to.have.length(count);
    for (const params of queries) {
      const res = await search(params);
      const query: SearchQuery = {
        pageSize: Number(params.pageSize ?? 30), pageOffset: Number(params.pageOffset ?? 0), cursor: undefined,
        filters: ([] as string[]).concat((params.filterJson as string | string[] | undefined) ?? []).map(parseFilter),
        sorts: ([] as string[]).concat((params.sortJson as string | string[] | undefined) ?? []).map(parseSort),
      };
      const gatewayIds = new Set(all.filter((r) => ((r.entity.memberOf as string[] | undefined) ?? []).length > 0 || all.some((o) => ((o.entity.via as string[] | undefined) ?? []).includes(r.id))).map((r) => r.id));
      const rows = params.isGateway === undefined ? all : all.filter((r) => gatewayIds.has(r.id) === params.isGateway);
      let expected: Json | undefined;
      try {
        const page = searchRows(rows, query, 'device');
        expected = { total: page.total, result: page.result.map((r) => r.entity) };
      } catch {
        expected = undefined;
      }
      if (expected === undefined) expectError(res, 404);
      else expect(expectOk(res), JSON.stringify(params)).to.deep.equal(expected);
    }
  }
});
