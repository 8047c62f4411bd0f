import { expect } from 'chai';
import { RegistryError } from '../../../src/errors.js';
import { parseSearchQuery } from '../../../src/http/v1/search-params.js';
import type { RouteInput } from '../../../src/http/route.js';

const input = (query: RouteInput['query']): RouteInput => ({ params: {}, query, body: undefined, caller: { tokenId: 't', scopes: ['*'], tenants: ['*'] } });
const refused = (query: RouteInput['query']) => expect(() => parseSearchQuery(input(query))).to.throw(RegistryError).with.property('code', 'BAD_REQUEST');

describe('http/v1/search-params: the search query parameters (Hono searchDevicesForTenant)', function () {
  it('defaults to the first page of 30 without filters or sorts', function () {
    expect(parseSearchQuery(input({}))).to.deep.equal({ pageSize: 30, pageOffset: 0, filters: [], sorts: [], cursor: undefined });
  });

  it('reads pageSize 0–200 and pageOffset as a page index, and refuses others with 400 (TenantManagementIT, DeviceManagementIT)', function () {
    expect(parseSearchQuery(input({ pageSize: '0', pageOffset: '3' }))).to.include({ pageSize: 0, pageOffset: 3 });
    expect(parseSearchQuery(input({ pageSize: '200' }))).to.include({ pageSize: 200 });
    for (const pageSize of ['-100', '201', 'ten', '', '1.5']) refused({ pageSize });
    for (const pageOffset of ['-1', 'x']) refused({ pageOffset });
    refused({ pageSize: ['1', '2'] });
  });

  it('reads repeatable filterJson and sortJson with their defaults', function () {
    const query = parseSearchQuery(input({ filterJson: ['{"field":"/ext/id","value":"1"}', '{"field":"/enabled","op":"eq","value":true}'], sortJson: '{"field":"/ext/brand"}' }));
    expect(query.filters.map((f) => [f.field, f.op, f.value])).to.deep.equal([['/ext/id', 'eq', '1'], ['/enabled', 'eq', true]]);
    expect(query.filters[0]?.path).to.deep.equal(['ext', 'id']);
    expect(query.sorts.map((s) => [s.field, s.direction])).to.deep.equal([['/ext/brand', 'asc']]);
  });

  it('refuses invalid filterJson and sortJson with 400', function () {
    for (const filterJson of ['{', '[]', '{"field":"/a"}', '{"field":"a","value":1}', '{"field":"/a","value":1,"op":"ne"}', '{"field":"/a","value":{}}', '{"field":"/a","value":1,"x":1}']) refused({ filterJson });
    for (const sortJson of ['x', '{"direction":"asc"}', '{"field":"/a","direction":"up"}']) refused({ sortJson });
  });

  it('takes a cursor (empty for the first page) and refuses it together with pageOffset', function () {
    expect(parseSearchQuery(input({ cursor: '' })).cursor).to.equal('');
    expect(parseSearchQuery(input({ cursor: 'abc' })).cursor).to.equal('abc');
    refused({ cursor: 'abc', pageOffset: '1' });
  });
});
