/**
 * The /v1 device resources (docs/management-v1.md "Devices"; Hono 2.7 DeviceManagementIT): create,
 * read, replace, merge-patch and delete with versions, the device status, the legacy face on the
 * same records, the tenant's device limit, deleting all devices of a tenant.
 */
import { expect } from 'chai';
import { http, type HttpResult } from '../../helpers/registry.js';
import { createTenant, expectError, expectNoContent, expectOk, rawRequest, useRegistry, type Json } from '../http/support.js';

const T = 'DEFAULT_TENANT';
const etag = (res: HttpResult): string => {
  const value = res.headers.get('etag');
  expect(value, `ETag of ${res.status} ${res.text}`).to.match(/^"[0-9a-f]{16}"$/);
  return value as string;
};
const status = (device: Json) => device.status as Json;

describe('/v1 devices', function () {
  const suite = useRegistry();
  const req = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => http(suite.base, method, path, body, headers);
  const patch = (path: string, body: unknown, headers: Record<string, string> = {}) => req('PATCH', path, body, { 'Content-Type': 'application/merge-patch+json', ...headers });

  beforeEach(async function () {
    await createTenant(suite.base, T);
  });

  describe('create', function () {
    it('creates a device with a generated id from an empty POST: 201, Location, ETag and {"id"}', async function () {
      const res = await rawRequest(suite.base, 'POST', `/v1/devices/${T}`, undefined);
      expect(res.status, res.text).to.equal(201);
      const { id } = res.json as { id: string };
      expect(id).to.match(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('location')).to.equal(`/v1/devices/${T}/${id}`);
      const got = await req('GET', `/v1/devices/${T}/${id}`);
      expect(etag(got)).to.equal(etag(res));
      const device = expectOk(got);
      expect(device.enabled).to.equal(true);
      expect(Object.keys(status(device))).to.deep.equal(['created', 'last-user']);
      expect(status(device)['last-user']).to.equal('anonymous');
    });

    it('creates a device with a given id and body, and answers 409 for the same id again', async function () {
      const body = { enabled: false, via: ['gw-1'], defaults: { ttl: 30 }, ext: { brand: 'acme' }, 'command-endpoint': { uri: 'https://x/{{deviceId}}' } };
      const res = await req('POST', `/v1/devices/${T}/dev-1`, body);
      expect(res.status, res.text).to.equal(201);
      expect(res.json).to.deep.equal({ id: 'dev-1' });
      const { status: st, ...rest } = expectOk(await req('GET', `/v1/devices/${T}/dev-1`));
      expect(rest).to.deep.equal(body);
      expect(st).to.be.an('object');
      expectError(await req('POST', `/v1/devices/${T}/dev-1`, {}), 409);
    });

    it('refuses unknown members, bad ids, via with memberOf, a body without Content-Type, and an unknown tenant', async function () {
      expectError(await req('POST', `/v1/devices/${T}/d1`, { unexpected: 'property' }), 400);
      expectError(await req('POST', `/v1/devices/${T}/${encodeURIComponent('device ID With spaces and $pecial chars!')}`), 400);
      expectError(await req('POST', `/v1/devices/${T}/d1`, { via: ['gw'], memberOf: ['g'] }), 400);
      expectError(await req('POST', `/v1/devices/${T}/d1`, { viaGroups: ['g'], memberOf: ['g2'] }), 400);
      expectError(await rawRequest(suite.base, 'POST', `/v1/devices/${T}/d1`, new TextEncoder().encode('{}')), 400);
      expectError(await req('POST', '/v1/devices/no-such-tenant/d1'), 404);
      expectError(await req('POST', `/v1/devices/${T}/d1`, { ext: { blob: 'x'.repeat(70_000) } }), 413);
      expectError(await req('GET', `/v1/devices/${T}/d1`), 404);
    });

    it('ignores a status in the request body', async function () {
      expect((await req('POST', `/v1/devices/${T}/d1`, { status: { created: '2000-01-01T00:00:00Z', 'last-user': 'mallory' } })).status).to.equal(201);
      const device = expectOk(await req('GET', `/v1/devices/${T}/d1`));
      expect(status(device).created).to.not.equal('2000-01-01T00:00:00Z');
      expect(status(device)['last-user']).to.equal('anonymous');
    });
  });

  describe('versions and status', function () {
    it('gives every write a new version, the GET the version of the last write, and keeps created (DeviceManagementIT testUpdateDeviceSucceeds)', async function () {
      const created = await req('POST', `/v1/devices/${T}/d1`, { ext: { key1: 'value1', key2: 'value2' } });
      const first = expectOk(await req('GET', `/v1/devices/${T}/d1`));
      expect(status(first)).to.not.have.property('updated');
      const put = await req('PUT', `/v1/devices/${T}/d1`, { enabled: false, ext: { newKey1: 'newValue1' } });
      expectNoContent(put);
      expect(etag(put)).to.not.equal(etag(created));
      const got = await req('GET', `/v1/devices/${T}/d1`);
      expect(etag(got)).to.equal(etag(put));
      const device = expectOk(got);
      expect(device.ext).to.deep.equal({ newKey1: 'newValue1' });
      expect(status(device).created).to.equal(status(first).created);
      expect(Date.parse(status(device).updated as string)).to.be.at.least(Date.parse(status(first).created as string));
      // The same body again still gives a new version.
      const again = await req('PUT', `/v1/devices/${T}/d1`, { enabled: false, ext: { newKey1: 'newValue1' } });
      expect(etag(again)).to.not.equal(etag(put));
    });

    it('honours If-Match on PUT: 412 and nothing changed on a mismatch; quoted, bare, listed and * match', async function () {
      const v1 = etag(await req('POST', `/v1/devices/${T}/d1`, { ext: { n: 1 } }));
      expectError(await req('PUT', `/v1/devices/${T}/d1`, { ext: { n: 2 } }, { 'If-Match': '"0000000000000000"' }), 412);
      expectError(await req('PUT', `/v1/devices/${T}/d1`, { ext: { n: 2 } }, { 'If-Match': `W/${v1}` }), 412);
      expect(expectOk(await req('GET', `/v1/devices/${T}/d1`)).ext).to.deep.equal({ n: 1 });
      const v2 = etag(await req('PUT', `/v1/devices/${T}/d1`, { ext: { n: 2 } }, { 'If-Match': v1 }));
      const v3 = etag(await req('PUT', `/v1/devices/${T}/d1`, { ext: { n: 3 } }, { 'If-Match': v2.slice(1, -1) }));
      const v4 = etag(await req('PUT', `/v1/devices/${T}/d1`, { ext: { n: 4 } }, { 'If-Match': `"0000000000000000", ${v3}` }));
      expectError(await req('PUT', `/v1/devices/${T}/d1`, { ext: { n: 5 } }, { 'If-Match': v3 }), 412);
      expectNoContent(await req('PUT', `/v1/devices/${T}/d1`, { ext: { n: 5 } }, { 'If-Match': '*' }));
      expect(v4).to.not.equal(v3);
      expectError(await req('PUT', `/v1/devices/${T}/ghost`, {}, { 'If-Match': '*' }), 404);
      expectError(await req('PUT', `/v1/devices/${T}/ghost`, {}), 404);
    });

    it('gives two racing writers with the same If-Match exactly one 204 and one 412', async function () {
      for (let round = 0; round < 10; round++) {
        const version = etag(await req('POST', `/v1/devices/${T}/race-${round}`, {}));
        const answers = await Promise.all([1, 2].map((n) => req('PUT', `/v1/devices/${T}/race-${round}`, { ext: { writer: n } }, { 'If-Match': version })));
        expect(answers.map((a) => a.status).sort(), `round ${round}`).to.deep.equal([204, 412]);
        const winner = answers.findIndex((a) => a.status === 204) + 1;
        expect(expectOk(await req('GET', `/v1/devices/${T}/race-${round}`)).ext).to.deep.equal({ writer: winner });
      }
    });

    it('honours If-Match on DELETE: 412 keeps the device, a match deletes it onto the denied list', async function () {
      const version = etag(await req('POST', `/v1/devices/${T}/d1`, {}));
      expectError(await req('DELETE', `/v1/devices/${T}/d1`, undefined, { 'If-Match': '"0000000000000000"' }), 412);
      expectOk(await req('GET', `/v1/devices/${T}/d1`));
      expectNoContent(await req('DELETE', `/v1/devices/${T}/d1`, undefined, { 'If-Match': version }));
      expectError(await req('GET', `/v1/devices/${T}/d1`), 404);
      expect((await req('GET', `/denied-devices/${T}`)).json).to.deep.equal(['d1']);
      expectError(await req('DELETE', `/v1/devices/${T}/d1`), 404);
      expectError(await req('POST', `/v1/devices/${T}/d1`), 409);
      expectNoContent(await req('DELETE', `/denied-devices/${T}/d1`));
      expect(etag(await req('GET', `/v1/devices/${T}/d1`))).to.equal(version);
    });
  });

  describe('PATCH (JSON merge patch)', function () {
    it('merges members, removes those set to null, keeps the rest, and answers the new version', async function () {
      const created = await req('POST', `/v1/devices/${T}/d1`, { via: ['gw-1'], ext: { brand: 'acme', model: 'x1', serial: '7' }, defaults: { ttl: 30 } });
      const res = await patch(`/v1/devices/${T}/d1`, { enabled: false, ext: { model: 'x2', serial: null, color: 'red' }, defaults: null, status: { created: 'never' } });
      expectNoContent(res);
      expect(etag(res)).to.not.equal(etag(created));
      const { status: st, ...device } = expectOk(await req('GET', `/v1/devices/${T}/d1`));
      expect(device).to.deep.equal({ enabled: false, via: ['gw-1'], ext: { brand: 'acme', model: 'x2', color: 'red' } });
      expect((st as Json).created).to.not.equal('never');
    });

    it('honours If-Match, checks the patched device, and takes only application/merge-patch+json', async function () {
      const version = etag(await req('POST', `/v1/devices/${T}/d1`, { via: ['gw-1'] }));
      expectError(await patch(`/v1/devices/${T}/d1`, { enabled: false }, { 'If-Match': '"0000000000000000"' }), 412);
      expectError(await patch(`/v1/devices/${T}/d1`, { memberOf: ['g1'] }), 400);
      expectError(await patch(`/v1/devices/${T}/d1`, { unknown: 1 }), 400);
      expectError(await req('PATCH', `/v1/devices/${T}/d1`, { enabled: false }), 400);
      expectError(await patch(`/v1/devices/${T}/ghost`, { enabled: false }), 404);
      expectNoContent(await patch(`/v1/devices/${T}/d1`, { via: null, memberOf: ['g1'] }, { 'If-Match': version }));
      expect(expectOk(await req('GET', `/v1/devices/${T}/d1`)).memberOf).to.deep.equal(['g1']);
    });

    it('gives two racing patches with the same If-Match exactly one 204 and one 412, and without If-Match applies both', async function () {
      const version = etag(await req('POST', `/v1/devices/${T}/d1`, { ext: {} }));
      const answers = await Promise.all(['a', 'b'].map((k) => patch(`/v1/devices/${T}/d1`, { ext: { [k]: 1 } }, { 'If-Match': version })));
      expect(answers.map((a) => a.status).sort()).to.deep.equal([204, 412]);
      await Promise.all(['c', 'd', 'e', 'f'].map((k) => patch(`/v1/devices/${T}/d1`, { ext: { [k]: 1 } }).then(expectNoContent)));
      expect(Object.keys(expectOk(await req('GET', `/v1/devices/${T}/d1`)).ext as Json).sort()).to.include.members(['c', 'd', 'e', 'f']);
    });
  });

  describe('the legacy face on the same records', function () {
    it('shows a legacy device on /v1 with its extras in ext, and the legacy face never shows status', async function () {
      expect((await req('POST', `/registration/${T}`, { 'device-id': '4711', ep: 'IMEI4711', ext: { brand: 'acme' }, via: 'gw-1' })).status).to.equal(201);
      const device = expectOk(await req('GET', `/v1/devices/${T}/4711`));
      expect(device).to.deep.include({ enabled: true, via: ['gw-1'], ext: { ep: 'IMEI4711', brand: 'acme' } });
      expect(status(device)['last-user']).to.equal('anonymous');
      expect(expectOk(await req('GET', `/registration/${T}/4711`))).to.deep.equal({ 'device-id': '4711', data: { enabled: true, ep: 'IMEI4711', ext: { brand: 'acme' }, via: 'gw-1' } });
    });

    it('keeps the status across legacy writes, and shows /v1 writes on the legacy face', async function () {
      await req('POST', `/v1/devices/${T}/d1`, { ext: { a: 1 } });
      const created = status(expectOk(await req('GET', `/v1/devices/${T}/d1`))).created;
      expectNoContent(await req('PUT', `/registration/${T}/d1`, { ep: 'x', status: 'legacy data named status' }));
      const device = expectOk(await req('GET', `/v1/devices/${T}/d1`));
      expect(device.ext).to.deep.equal({ ep: 'x' });
      expect(status(device).created).to.equal(created);
      expect(status(device)).to.have.property('updated');
      expect((expectOk(await req('GET', `/registration/${T}/d1`)).data as Json)).to.deep.equal({ enabled: true, ep: 'x' });
      expectNoContent(await req('DELETE', `/registration/${T}/d1`));
      expectError(await req('GET', `/v1/devices/${T}/d1`), 404);
    });
  });

  describe('registration limits', function () {
    it('answers 403 to a device beyond the tenant\'s max-devices, on every face, and takes devices again after a deletion', async function () {
      await createTenant(suite.base, 'small', { 'registration-limits': { 'max-devices': 2 } });
      expect((await req('POST', '/v1/devices/small/d1')).status).to.equal(201);
      expect((await req('POST', '/registration/small', { 'device-id': 'd2' })).status).to.equal(201);
      expectError(await req('POST', '/v1/devices/small/d3'), 403);
      expectError(await req('POST', '/v1/devices/small'), 403);
      expectError(await req('POST', '/registration/small', { 'device-id': 'd3' }), 403);
      expectNoContent(await req('DELETE', '/v1/devices/small/d1'));
      expect((await req('POST', '/v1/devices/small/d3')).status).to.equal(201);
    });
  });

  describe('delete all devices of a tenant', function () {
    it('deletes every device onto the denied list with its credentials (DeviceManagementIT testDeregisterDevicesOfTenantSucceeds)', async function () {
      for (let i = 0; i < 250; i++) await req('POST', `/v1/devices/${T}/d${i}`);
      await req('POST', `/credentials/${T}`, { 'device-id': 'd7', type: 'psk', 'auth-id': 'psk-7', secrets: [{ key: 'a2V5' }] });
      expectNoContent(await req('DELETE', `/v1/devices/${T}`));
      expectError(await req('GET', `/v1/devices/${T}/d7`), 404);
      expectError(await req('GET', `/credentials/${T}/psk-7/psk`), 404);
      expectError(await req('GET', `/v1/devices/${T}`), 404);
      expect(((await req('GET', `/denied-devices/${T}?limit=1000`)).json as string[]).length).to.equal(250);
      expectError(await req('DELETE', '/v1/devices/no-such-tenant'), 404);
    });
  });
});
