/**
 * `/registration/{tenantId}` resources of the HTTP management API: Hono's DeviceRegistrationHttpIT
 * (docs/amqp-api.md §9.3) and the data model of §4.5 / §7.4, against a real registry and Redis.
 */
import { expect } from 'chai';
import { http } from '../../helpers/registry.js';
import {
  createTenant, expectCreated, expectError, expectNoContent, expectOk, rawRequest, registerDevice, useRegistry,
} from './support.js';

const TENANT = 'tenant-r';

describe('HTTP /registration', function () {
  this.timeout(20_000);
  const suite = useRegistry();

  beforeEach(async function () {
    await createTenant(suite.base, TENANT);
  });

  const path = (deviceId?: string, tenantId = TENANT) =>
    `/registration/${encodeURIComponent(tenantId)}${deviceId === undefined ? '' : `/${encodeURIComponent(deviceId)}`}`;
  const get = (deviceId: string, tenantId = TENANT) => http(suite.base, 'GET', path(deviceId, tenantId));
  const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  describe('DeviceRegistrationHttpIT behaviours', function () {
    it('answers 201 with the Location of the new device', async function () {
      expectCreated(await http(suite.base, 'POST', path(), { 'device-id': '4711' }), `/registration/${TENANT}/4711`);
    });

    it('answers 400 to a registration without device-id', async function () {
      expectError(await http(suite.base, 'POST', path(), { manufacturer: 'ACME' }), 400);
    });

    it('answers 400 to a device-id that is not a string', async function () {
      expectError(await http(suite.base, 'POST', path(), { 'device-id': 4711 }), 400);
      expectError(await get('4711'), 404);
    });

    it('answers 409 when the device is already registered', async function () {
      await registerDevice(suite.base, TENANT, '4711', { manufacturer: 'ACME' });
      expectError(await http(suite.base, 'POST', path(), { 'device-id': '4711', manufacturer: 'other' }), 409);
      expect(expectOk(await get('4711')).data).to.deep.include({ manufacturer: 'ACME' });
    });

    it('answers 400 to a POST without Content-Type', async function () {
      expectError(await rawRequest(suite.base, 'POST', path(), json({ 'device-id': '4711' })), 400);
      expectError(await get('4711'), 404);
    });

    it('answers 400 to a POST without body', async function () {
      expectError(await rawRequest(suite.base, 'POST', path(), undefined, { 'Content-Type': 'application/json' }), 400);
    });

    it('returns device-id and data with every registered key (strings and booleans) and enabled', async function () {
      await registerDevice(suite.base, TENANT, '4711', { manufacturer: 'ACME', 'model-x': 'v2', 'secure-boot': true, legacy: false });
      expect(expectOk(await get('4711'))).to.deep.equal({
        'device-id': '4711',
        data: { enabled: true, manufacturer: 'ACME', 'model-x': 'v2', 'secure-boot': true, legacy: false },
      });
    });

    it('answers 404 to a GET of an unknown device', async function () {
      expectError(await get('no-such-device'), 404);
    });

    it('replaces the data on PUT (204) and a later GET shows only the new keys, incl. enabled false', async function () {
      await registerDevice(suite.base, TENANT, '4711', { manufacturer: 'ACME', 'old-key': 'x' });
      expectNoContent(await http(suite.base, 'PUT', path('4711'), { enabled: false, manufacturer: 'Bosch', 'new-key': true }));
      expect(expectOk(await get('4711'))).to.deep.equal({
        'device-id': '4711',
        data: { enabled: false, manufacturer: 'Bosch', 'new-key': true },
      });
    });

    it('answers 404 to a PUT of an unknown device', async function () {
      expectError(await http(suite.base, 'PUT', path('no-such-device'), { enabled: false }), 404);
      expectError(await get('no-such-device'), 404);
    });

    it('answers 400 to a PUT without Content-Type', async function () {
      await registerDevice(suite.base, TENANT, '4711', { manufacturer: 'ACME' });
      expectError(await rawRequest(suite.base, 'PUT', path('4711'), json({ manufacturer: 'Bosch' })), 400);
      expect(expectOk(await get('4711')).data).to.deep.include({ manufacturer: 'ACME' });
    });

    it('answers 204 to a DELETE and a later GET answers 404', async function () {
      await registerDevice(suite.base, TENANT, '4711');
      expectNoContent(await http(suite.base, 'DELETE', path('4711')));
      expectError(await get('4711'), 404);
    });

    it('answers 404 to a DELETE of an unknown device', async function () {
      expectError(await http(suite.base, 'DELETE', path('no-such-device')), 404);
    });
  });

  describe('registration data', function () {
    it('keeps custom keys, including nested objects and arrays', async function () {
      const data = { ep: 'sensor', defaults: { 'content-type': 'text/plain', ttl: 30 }, tags: ['a', 'b'], nested: { deep: { n: 1.5 } } };
      await registerDevice(suite.base, TENANT, '4711', data);
      expect(expectOk(await get('4711')).data).to.deep.equal({ enabled: true, ...data });
    });

    it('defaults enabled to true and keeps an explicit false', async function () {
      await registerDevice(suite.base, TENANT, 'on');
      await registerDevice(suite.base, TENANT, 'off', { enabled: false });
      expect(expectOk(await get('on')).data).to.deep.equal({ enabled: true });
      expect(expectOk(await get('off')).data).to.deep.equal({ enabled: false });
    });

    it('accepts via as a string', async function () {
      await registerDevice(suite.base, TENANT, '4712', { via: 'gw-1' });
      expect(expectOk(await get('4712')).data).to.deep.include({ via: 'gw-1' });
    });

    it('accepts via as an array of strings', async function () {
      await registerDevice(suite.base, TENANT, '4712', { via: ['gw-1', 'gw-2'] });
      expect(expectOk(await get('4712')).data).to.deep.include({ via: ['gw-1', 'gw-2'] });
    });

    it('answers 400 to a via of the wrong type (number) on POST and PUT', async function () {
      expectError(await http(suite.base, 'POST', path(), { 'device-id': '4712', via: 42 }), 400);
      expectError(await get('4712'), 404);
      await registerDevice(suite.base, TENANT, '4712', { via: 'gw-1' });
      expectError(await http(suite.base, 'PUT', path('4712'), { via: 42 }), 400);
      expect(expectOk(await get('4712')).data).to.deep.include({ via: 'gw-1' });
    });
  });

  describe('unknown tenant', function () {
    it('answers 404 to a POST under an unknown tenant', async function () {
      expectError(await http(suite.base, 'POST', path(undefined, 'no-such-tenant'), { 'device-id': '4711' }), 404);
    });

    it('answers 404 to a GET under an unknown tenant', async function () {
      expectError(await get('4711', 'no-such-tenant'), 404);
    });

    it('answers 404 to a PUT under an unknown tenant', async function () {
      expectError(await http(suite.base, 'PUT', path('4711', 'no-such-tenant'), { enabled: false }), 404);
    });

    it('answers 404 to a DELETE under an unknown tenant', async function () {
      expectError(await http(suite.base, 'DELETE', path('4711', 'no-such-tenant')), 404);
    });

    it('forgets the devices of a deleted tenant, also when the tenant is created again', async function () {
      await registerDevice(suite.base, TENANT, '4711');
      expectNoContent(await http(suite.base, 'DELETE', `/tenant/${TENANT}`));
      expectError(await get('4711'), 404);
      await createTenant(suite.base, TENANT);
      expectError(await get('4711'), 404);
      await registerDevice(suite.base, TENANT, '4711');
    });
  });

  describe('device ids that need URL encoding', function () {
    for (const deviceId of ['a/b', 'x y', 'ü', 'sensor?#%&+=;:@ü/1']) {
      it(`round-trips the device id ${JSON.stringify(deviceId)} through POST, Location, GET, PUT and DELETE`, async function () {
        const res = await http(suite.base, 'POST', path(), { 'device-id': deviceId, label: 'L' });
        expectCreated(res, `/registration/${TENANT}/${encodeURIComponent(deviceId)}`);
        const location = res.headers.get('location') as string;
        expect(expectOk(await http(suite.base, 'GET', location))).to.deep.equal({ 'device-id': deviceId, data: { enabled: true, label: 'L' } });
        expectNoContent(await http(suite.base, 'PUT', location, { label: 'M' }));
        expect(expectOk(await http(suite.base, 'GET', location)).data).to.deep.equal({ enabled: true, label: 'M' });
        expectNoContent(await http(suite.base, 'DELETE', location));
        expectError(await http(suite.base, 'GET', location), 404);
      });
    }

    it('keeps devices whose ids differ only by an encoded slash apart', async function () {
      await registerDevice(suite.base, TENANT, 'a/b', { which: 'slash' });
      await registerDevice(suite.base, TENANT, 'a%2Fb', { which: 'literal' });
      expect(expectOk(await get('a/b')).data).to.deep.include({ which: 'slash' });
      expect(expectOk(await get('a%2Fb')).data).to.deep.include({ which: 'literal' });
    });
  });
});
