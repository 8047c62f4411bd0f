/**
 * GET /v1/credentials/{tenantId}: the search of a tenant's credentials by auth-id and type (beyond
 * Hono), with the /v1 search parameters, against a real registry and Redis.
 */
import { expect } from 'chai';
import { http, type HttpResult } from '../../helpers/registry.js';
import { createTenant, expectError, expectNoContent, registerDevice, useRegistry, type Json } from '../http/support.js';

const T = 'tenant-search';
const psk = (authId: string, extra: Json = {}): Json => ({ type: 'psk', 'auth-id': authId, ...extra, secrets: [{ key: 'c2VjcmV0' }] });
const password = (authId: string): Json => ({ type: 'hashed-password', 'auth-id': authId, secrets: [{ 'hash-function': 'sha-256', 'pwd-hash': Buffer.alloc(32, 3).toString('base64') }] });

describe('/v1/credentials/{tenantId} search', function () {
  this.timeout(30_000);
  const suite = useRegistry({ REGISTRY_SEARCH_SCAN_LIMIT: '100' });

  const search = (params: Record<string, string | string[]> = {}, t = T) => {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) for (const v of [value].flat()) query.append(name, v);
    return http(suite.base, 'GET', `/v1/credentials/${encodeURIComponent(t)}?${query.toString()}`);
  };
  const filter = (field: string, value: unknown) => JSON.stringify({ field, value });
  /** `type/auth-id@device` of each result, and the total. */
  const found = async (params: Record<string, string | string[]> = {}) => {
    const res: HttpResult = await search(params);
    expect(res.status, res.text).to.equal(200);
    const body = res.json as { total: number; result: Json[]; cursor?: string };
    return { total: body.total, ids: body.result.map((c) => `${String(c.type)}/${String(c['auth-id'])}@${String(c['device-id'])}`), cursor: body.cursor };
  };

  beforeEach(async function () {
    await createTenant(suite.base, T);
    for (const d of ['d1', 'd2']) await registerDevice(suite.base, T, d);
    expectNoContent(await http(suite.base, 'PUT', `/v1/credentials/${T}/d1`, [password('sensor-1'), psk('sensor-1', { ext: { brand: 'acme' } }), psk('sensor-10')]));
    expectNoContent(await http(suite.base, 'PUT', `/v1/credentials/${T}/d2`, [password('sensor-2'), { type: 'x509-cert', 'auth-id': 'CN=sensor,O=ACME', secrets: [{}] }]));
  });

  it('finds an auth-id across types, an auth-id prefix and a type, in auth-id order, each with its device', async function () {
    expect((await found({ filterJson: filter('/auth-id', 'sensor-1') })).ids).to.deep.equal(['hashed-password/sensor-1@d1', 'psk/sensor-1@d1']);
    expect((await found({ filterJson: filter('/auth-id', 'sensor-1*') })).ids).to.deep.equal(['hashed-password/sensor-1@d1', 'psk/sensor-1@d1', 'psk/sensor-10@d1']);
    expect((await found({ filterJson: filter('/type', 'psk') })).ids).to.deep.equal(['psk/sensor-1@d1', 'psk/sensor-10@d1']);
    expect((await found({ filterJson: [filter('/type', 'hashed-password'), filter('/auth-id', 'sensor-2')] })).ids).to.deep.equal(['hashed-password/sensor-2@d2']);
    expect((await found()).total).to.equal(5);
  });

  it('shows each result as GET of its device does: no confidential member, secret ids', async function () {
    const res = await search({ filterJson: filter('/auth-id', 'sensor-2') });
    const [result] = (res.json as { result: Json[] }).result;
    const [view] = (await http(suite.base, 'GET', `/v1/credentials/${T}/d2`)).json as Json[];
    expect(result).to.deep.equal({ 'device-id': 'd2', ...view });
    expect(JSON.stringify(res.json)).to.not.include('pwd-hash');
  });

  it('takes wildcards anywhere and filters on other fields of the view, but never on secret material', async function () {
    expect((await found({ filterJson: filter('/auth-id', '*-1?') })).ids).to.deep.equal(['psk/sensor-10@d1']);
    expect((await found({ filterJson: filter('/ext/brand', 'acme') })).ids).to.deep.equal(['psk/sensor-1@d1']);
    expect((await found({ filterJson: filter('/device-id', 'd2') })).ids).to.deep.equal(['x509-cert/CN=sensor,O=ACME@d2', 'hashed-password/sensor-2@d2']);
    expectError(await search({ filterJson: filter('/secrets/pwd-hash', '*') }), 404);
    expectError(await search({ filterJson: filter('/secrets/key', 'c2VjcmV0') }), 404);
  });

  it('pages by pageSize and pageOffset (a page index), and by cursor', async function () {
    expect(await found({ pageSize: '2', pageOffset: '1' })).to.deep.equal({ total: 5, ids: ['psk/sensor-1@d1', 'psk/sensor-10@d1'], cursor: undefined });
    expect((await found({ pageSize: '2', pageOffset: '3' })).ids).to.deep.equal([]);
    const seen: string[] = [];
    let cursor = '';
    for (;;) {
      const page = await found({ pageSize: '2', cursor });
      seen.push(...page.ids);
      if (page.cursor === undefined) break;
      cursor = page.cursor;
    }
    expect(seen).to.deep.equal((await found()).ids);
    // Cursor paging also where the search is decided in memory.
    const sorted = await found({ pageSize: '3', cursor: '', sortJson: JSON.stringify({ field: '/device-id', direction: 'desc' }) });
    expect(sorted.ids).to.deep.equal(['x509-cert/CN=sensor,O=ACME@d2', 'hashed-password/sensor-2@d2', 'hashed-password/sensor-1@d1']);
    expect((await found({ pageSize: '3', cursor: sorted.cursor ?? '', sortJson: JSON.stringify({ field: '/device-id', direction: 'desc' }) })).ids).to.deep.equal(['psk/sensor-1@d1', 'psk/sensor-10@d1']);
  });

  it('answers 404 when nothing matches or for an unknown tenant, 400 to malformed parameters', async function () {
    expectError(await search({ filterJson: filter('/auth-id', 'nobody') }), 404);
    expectError(await search({ filterJson: filter('/type', 'rpk') }), 404);
    expectError(await search({}, 'no-such-tenant'), 404);
    expectError(await search({ pageSize: '201' }), 400);
    expectError(await search({ filterJson: '{"field":' }), 400);
  });

  it('answers 400 naming the limit when the index cannot narrow a search to REGISTRY_SEARCH_SCAN_LIMIT records; an indexed filter still answers', async function () {
    const many = Array.from({ length: 99 }, (_, i) => psk(`bulk-${String(i).padStart(3, '0')}`));
    expectNoContent(await http(suite.base, 'PUT', `/v1/credentials/${T}/d2`, many));
    const res = await search({ filterJson: filter('/auth-id', '*-042') });
    expectError(res, 400);
    expect((res.json as Json).error).to.match(/limit of 100 \(REGISTRY_SEARCH_SCAN_LIMIT\).*\/auth-id/);
    expect((await found({ filterJson: filter('/auth-id', 'bulk-04*'), pageSize: '3' }))).to.deep.equal({ total: 10, ids: ['psk/bulk-040@d2', 'psk/bulk-041@d2', 'psk/bulk-042@d2'], cursor: undefined });
    expect((await found({ pageSize: '1', pageOffset: '50' })).total).to.equal(102);
  });
});
