import { expect } from 'chai';
import { RegistryError } from '../../../src/errors.js';
import {
  compareKeys, compareValues, decodeCursor, encodeCursor, matchesAll, matchesFilter, parsePointer, searchRows, sortKey, valuesAt, wildcardMatch,
  type Filter, type SearchQuery, type Sort,
} from '../../../src/model/search.js';

const filter = (field: string, value: Filter['value']): Filter => ({ field, path: parsePointer(field), op: 'eq', value });
const sort = (field: string, direction: Sort['direction'] = 'asc'): Sort => ({ field, path: parsePointer(field), direction });

describe('model/search: pointers, wildcards, filters, order and cursors', function () {
  it('parses JSON pointers (RFC 6901) and refuses malformed ones with 400', function () {
    expect(parsePointer('')).to.deep.equal([]);
    expect(parsePointer('/ext/brand')).to.deep.equal(['ext', 'brand']);
    expect(parsePointer('/a~1b/m~0n/')).to.deep.equal(['a/b', 'm~n', '']);
    expect(() => parsePointer('ext')).to.throw(RegistryError);
    expect(() => parsePointer('/a~2')).to.throw(RegistryError);
  });

  it('reaches values through objects and arrays, MongoDB style', function () {
    const doc = { ext: { brand: 'acme', tags: ['a', 'b'] }, items: [{ n: 1 }, { n: 2 }], via: ['gw1'] };
    expect(valuesAt(doc, ['ext', 'brand'])).to.deep.equal(['acme']);
    expect(valuesAt(doc, ['ext', 'tags'])).to.deep.equal([['a', 'b'], 'a', 'b']);
    expect(valuesAt(doc, ['ext', 'tags', '1'])).to.deep.equal(['b']);
    expect(valuesAt(doc, ['items', 'n'])).to.deep.equal([1, 2]);
    expect(valuesAt(doc, ['missing', 'x'])).to.deep.equal([]);
    expect(valuesAt({ a: null }, ['a', 'b'])).to.deep.equal([]);
  });

  it('matches * against any characters and ? against exactly one, everything else literally', function () {
    expect(wildcardMatch('$id*', '$id:2')).to.equal(true);
    expect(wildcardMatch('$id*', 'x$id:2')).to.equal(false);
    expect(wildcardMatch('a?c', 'abc')).to.equal(true);
    expect(wildcardMatch('a?c', 'ac')).to.equal(false);
    expect(wildcardMatch('a.c', 'abc')).to.equal(false);
    expect(wildcardMatch('(x)+[y]', '(x)+[y]')).to.equal(true);
    expect(wildcardMatch('*', 'multi\nline')).to.equal(true);
    expect(wildcardMatch('?', '😀')).to.equal(true);
  });

  it('matches filters by type and value, any element of an array, and all filters together', function () {
    const device = { enabled: false, ext: { id: '1', count: 15 }, via: ['gw-1', 'gw-2'] };
    expect(matchesFilter(device, filter('/enabled', false))).to.equal(true);
    expect(matchesFilter(device, filter('/enabled', 'false'))).to.equal(false);
    expect(matchesFilter(device, filter('/ext/count', 15))).to.equal(true);
    expect(matchesFilter(device, filter('/ext/id', 1))).to.equal(false);
    expect(matchesFilter(device, filter('/via', 'gw-2'))).to.equal(true);
    expect(matchesFilter(device, filter('/via', 'gw-*'))).to.equal(true);
    expect(matchesAll(device, [filter('/ext/id', '1'), filter('/enabled', true)])).to.equal(false);
    expect(matchesAll(device, [filter('/ext/id', '1'), filter('/enabled', false)])).to.equal(true);
  });

  it('orders values as MongoDB: missing, numbers, strings, objects, arrays, booleans', function () {
    const values = [true, [1], { a: 1 }, 'b', 'a', 2, 1, null];
    expect([...values].sort(compareValues)).to.deep.equal([null, 1, 2, 'a', 'b', { a: 1 }, [1], true]);
    expect(compareValues(undefined, null)).to.equal(0);
  });

  it('sorts by several fields with directions and breaks ties by id', function () {
    const sorts = [sort('/ext/brand'), sort('/ext/n', 'desc')];
    const rows = [
      ['d3', { ext: { brand: 'b', n: 1 } }],
      ['d1', { ext: { brand: 'a', n: 1 } }],
      ['d2', { ext: { brand: 'a', n: 2 } }],
      ['d0', { ext: { brand: 'a', n: 2 } }],
    ] as const;
    const ordered = [...rows].sort(([ia, a], [ib, b]) => compareKeys(sortKey(ia, a, sorts), sortKey(ib, b, sorts), sorts)).map(([id]) => id);
    expect(ordered).to.deep.equal(['d0', 'd2', 'd1', 'd3']);
    expect(sortKey('x', {}, [sort('/id', 'desc')])).to.deep.equal(['x', 'x']);
  });

  it('round-trips a cursor and refuses one of another search or a made-up one with 400', function () {
    const sorts = [sort('/ext/brand')];
    expect(decodeCursor(encodeCursor(['acme', 'dev-1']), sorts)).to.deep.equal(['acme', 'dev-1']);
    expect(() => decodeCursor(encodeCursor(['dev-1']), sorts)).to.throw(RegistryError);
    expect(() => decodeCursor('not a cursor', [])).to.throw(RegistryError);
  });
});

describe('model/search searchRows: a search over rows in memory', function () {
  const rows = ['d4', 'd1', 'd3', 'd2', 'd5'].map((id, i) => ({ id, entity: { id, enabled: i % 2 === 0, ext: { n: 5 - i } } }));
  const query = (over: Partial<SearchQuery>): SearchQuery => ({ pageSize: 30, pageOffset: 0, filters: [], sorts: [], cursor: undefined, ...over });

  it('answers every row in id order with the total, and pages by page index', function () {
    expect(searchRows(rows, query({}), 'device').result.map((r) => r.id)).to.deep.equal(['d1', 'd2', 'd3', 'd4', 'd5']);
    const page = searchRows(rows, query({ pageSize: 2, pageOffset: 1 }), 'device');
    expect([page.total, page.result.map((r) => r.id), page.cursor]).to.deep.equal([5, ['d3', 'd4'], undefined]);
    expect(searchRows(rows, query({ pageSize: 2, pageOffset: 7 }), 'device').result).to.deep.equal([]);
  });

  it('filters, sorts by a field and answers 404 when nothing matches', function () {
    const enabled = searchRows(rows, query({ filters: [filter('/enabled', true)], sorts: [sort('/ext/n', 'desc')] }), 'device');
    expect([enabled.total, enabled.result.map((r) => r.id)]).to.deep.equal([3, ['d4', 'd3', 'd5']]);
    expect(() => searchRows(rows, query({ filters: [filter('/id', 'x*')] }), 'device')).to.throw(RegistryError).with.property('code', 'NOT_FOUND');
  });

  it('pages by cursor from an empty cursor to the end, stable when rows come and go', function () {
    const first = searchRows(rows, query({ pageSize: 2, cursor: '' }), 'device');
    expect(first.result.map((r) => r.id)).to.deep.equal(['d1', 'd2']);
    // d1 goes away and d0 arrives before the cursor: the next page still starts after d2.
    const changed = [...rows.filter((r) => r.id !== 'd1'), { id: 'd0', entity: { id: 'd0' } }];
    const second = searchRows(changed, query({ pageSize: 2, cursor: first.cursor }), 'device');
    expect(second.result.map((r) => r.id)).to.deep.equal(['d3', 'd4']);
    const last = searchRows(changed, query({ pageSize: 2, cursor: second.cursor }), 'device');
    expect([last.result.map((r) => r.id), last.cursor]).to.deep.equal([['d5'], undefined]);
  });
});
