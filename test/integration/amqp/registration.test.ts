/**
 * Device Registration API over real AMQP listeners and real Redis (docs/amqp-api.md §4, §11 D),
 * including the legacy `assertion` JWT (§4.2, #40, §14.12).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { expect } from 'chai';
import type { AmqpClient } from '../../helpers/amqp-client.js';
import { http } from '../../helpers/registry.js';
import { ADAPTER_AND_ADMIN, ADMIN_USER, createTenant, expectAnswer, expectRejected, registerDevice, TENANT, useAmqpRegistry, type Json } from './support.js';

const REG = `registration/${TENANT}`;

function assertOn(client: AmqpClient, deviceId: string | undefined, gatewayId?: string, address = REG) {
  const applicationProperties: Json = {};
  if (deviceId !== undefined) applicationProperties.device_id = deviceId;
  if (gatewayId !== undefined) applicationProperties.gateway_id = gatewayId;
  return client.request(address, { subject: 'assert', applicationProperties });
}

describe('AMQP Device Registration API', function () {
  this.timeout(20_000);

  describe('assert', function () {
    const suite = useAmqpRegistry();

    it('asserts an enabled device: device-id, tenant_id/device_id properties, cache_control', async function () {
      await registerDevice(suite.base, TENANT, '4711');
      const res = await assertOn(await suite.client(), '4711');
      const body = expectAnswer(res, 200) as Json;
      expect(body['device-id']).to.equal('4711');
      expect(body).to.not.have.property('assertion');
      expect(res.properties).to.include({ tenant_id: TENANT, device_id: '4711', cache_control: 'max-age=180' });
    });

    it('treats a device without enabled as enabled and echoes its defaults', async function () {
      await registerDevice(suite.base, TENANT, 'with-defaults', { defaults: { 'content-type': 'application/vnd.acme+json', ttl: 60 } });
      const body = expectAnswer(await assertOn(await suite.client(), 'with-defaults'), 200) as Json;
      expect(body.defaults).to.deep.equal({ 'content-type': 'application/vnd.acme+json', ttl: 60 });
    });

    it('answers 404 for an unknown and for a disabled device (also with a fine gateway)', async function () {
      await registerDevice(suite.base, TENANT, 'off', { enabled: false, via: 'gw' });
      await registerDevice(suite.base, TENANT, 'gw');
      const client = await suite.client();
      expectAnswer(await assertOn(client, 'unknown'), 404);
      expectAnswer(await assertOn(client, 'off'), 404);
      expectAnswer(await assertOn(client, 'off', 'gw'), 404);
    });

    it('accepts a gateway listed in via as a string, and answers via as an array', async function () {
      await registerDevice(suite.base, TENANT, 'gw-1');
      await registerDevice(suite.base, TENANT, 'dev', { via: 'gw-1' });
      const client = await suite.client();
      const body = expectAnswer(await assertOn(client, 'dev', 'gw-1'), 200) as Json;
      expect(body.via).to.deep.equal(['gw-1']);
      // the device connecting directly is fine, and via is still an array
      expect((expectAnswer(await assertOn(client, 'dev'), 200) as Json).via).to.deep.equal(['gw-1']);
    });

    it('accepts a gateway listed in a via array, echoing the full list in order', async function () {
      await registerDevice(suite.base, TENANT, 'gw-1');
      await registerDevice(suite.base, TENANT, 'gw-7');
      await registerDevice(suite.base, TENANT, 'dev', { via: ['gw-7', 'gw-1'] });
      const body = expectAnswer(await assertOn(await suite.client(), 'dev', 'gw-1'), 200) as Json;
      expect(body.via).to.deep.equal(['gw-7', 'gw-1']);
    });

    it('answers 403 for a disabled, an unknown, and an unlisted gateway, and for a device without via', async function () {
      await registerDevice(suite.base, TENANT, 'gw-off', { enabled: false });
      await registerDevice(suite.base, TENANT, 'gw-other');
      await registerDevice(suite.base, TENANT, 'dev', { via: ['gw-off', 'gw-gone'] });
      await registerDevice(suite.base, TENANT, 'plain');
      const client = await suite.client();
      expectAnswer(await assertOn(client, 'dev', 'gw-off'), 403);
      expectAnswer(await assertOn(client, 'dev', 'gw-gone'), 403);
      expectAnswer(await assertOn(client, 'dev', 'gw-other'), 403);
      expectAnswer(await assertOn(client, 'plain', 'gw-other'), 403);
    });

    it('authorises a gateway through viaGroups and memberOf', async function () {
      await registerDevice(suite.base, TENANT, 'group-gw', { memberOf: ['g1'] });
      await registerDevice(suite.base, TENANT, 'other-gw', { memberOf: ['g2'] });
      await registerDevice(suite.base, TENANT, 'grouped', { viaGroups: ['g1'] });
      const client = await suite.client();
      const body = expectAnswer(await assertOn(client, 'grouped', 'group-gw'), 200) as Json;
      expect(body.via).to.be.an('array').that.includes('group-gw');
      expectAnswer(await assertOn(client, 'grouped', 'other-gw'), 403);
    });

    it('scopes devices by the tenant of the link target', async function () {
      await createTenant(suite.base, 'other');
      await registerDevice(suite.base, 'other', 'only-there');
      const client = await suite.client();
      expectAnswer(await assertOn(client, 'only-there', undefined, 'registration/other'), 200);
      expectAnswer(await assertOn(client, 'only-there'), 404);
      // a tenant_id application property does not change the tenant
      expectAnswer(await client.request(REG, { subject: 'assert', applicationProperties: { device_id: 'only-there', tenant_id: 'other' } }), 404);
    });

    it('rejects an assert without device_id or with an unknown subject', async function () {
      const client = await suite.client();
      expectRejected(await assertOn(client, undefined));
      expectRejected(await client.request(REG, { subject: 'frobnicate', applicationProperties: { device_id: 'x' } }));
      expectRejected(await client.request(REG, { subject: 'assert', applicationProperties: { device_id: 'x' }, body: 'amqp-value' }));
    });

    it('accepts the pre-0.5 link target registration/<tenant>/<device> when device_id matches it', async function () {
      await registerDevice(suite.base, TENANT, '4711');
      expectAnswer(await assertOn(await suite.client(), '4711', undefined, `${REG}/4711`), 200);
    });

    it('rejects a device_id that differs from the device of a registration/<tenant>/<device> target', async function () {
      await registerDevice(suite.base, TENANT, '4711');
      await registerDevice(suite.base, TENANT, 'other');
      expectRejected(await assertOn(await suite.client(), 'other', undefined, `${REG}/4711`));
    });

    it('sees a device disabled over HTTP on the very next assert', async function () {
      await registerDevice(suite.base, TENANT, 'flip');
      const client = await suite.client();
      expectAnswer(await assertOn(client, 'flip'), 200);
      expect((await http(suite.base, 'PUT', `/registration/${TENANT}/flip`, { enabled: false })).status).to.equal(204);
      expectAnswer(await assertOn(client, 'flip'), 404);
    });
  });

  describe('management operations', function () {
    const suite = useAmqpRegistry({}, { accounts: ADAPTER_AND_ADMIN });

    it('answers 403 to a protocol adapter (no EXECUTE on registration/*:register)', async function () {
      const res = await (await suite.client()).request(REG, { subject: 'register', applicationProperties: { device_id: 'm1' } });
      expectAnswer(res, 403);
      expect(res.properties).to.include({ tenant_id: TENANT, device_id: 'm1' });
      expect((await http(suite.base, 'GET', `/registration/${TENANT}/m1`)).status).to.equal(404);
    });

    it('gets, registers, updates and deregisters devices', async function () {
      const client = await suite.client({ username: ADMIN_USER });
      const op = (subject: string, deviceId: string, body?: Json) => client.request(REG, { subject, applicationProperties: { device_id: deviceId }, ...(body === undefined ? {} : { body }) });
      expectAnswer(await op('register', 'm1', { ep: 'x' }), 201);
      expectAnswer(await op('register', 'm1'), 409);
      expectAnswer(await op('register', 'm2', { via: 42 }), 400);
      expect(expectAnswer(await op('get', 'm1'), 200)).to.deep.equal({ 'device-id': 'm1', data: { enabled: true, ep: 'x' } });
      expectAnswer(await op('get', 'missing'), 404);
      expectAnswer(await op('update', 'm1', { enabled: false }), 204);
      expectAnswer(await assertOn(client, 'm1'), 404);
      expectAnswer(await op('update', 'missing', {}), 404);
      expectAnswer(await op('deregister', 'm1'), 204);
      expectAnswer(await op('deregister', 'm1'), 404);
      expect((await http(suite.base, 'GET', `/registration/${TENANT}/m1`)).status).to.equal(404);
    });

    it('answers 403 to register beyond the tenant\'s registration-limits max-devices', async function () {
      await createTenant(suite.base, 'limited', { 'registration-limits': { 'max-devices': 1 } });
      const client = await suite.client({ username: ADMIN_USER });
      const register = (deviceId: string) => client.request('registration/limited', { subject: 'register', applicationProperties: { device_id: deviceId } });
      expectAnswer(await register('first'), 201);
      expectAnswer(await register('second'), 403);
      expect((await http(suite.base, 'GET', '/registration/limited/second')).status).to.equal(404);
    });
  });

  describe('legacy assertion JWT (REGISTRY_ASSERTION_SECRET)', function () {
    const SECRET = 'a-very-secret-secret-of-at-least-32-chars';
    const LIFETIME = 120;
    const suite = useAmqpRegistry({ REGISTRY_ASSERTION_SECRET: SECRET, REGISTRY_ASSERTION_LIFETIME: String(LIFETIME) });

    it('adds an HS256 assertion with sub, ten and a future exp, and caches no longer than its lifetime', async function () {
      await registerDevice(suite.base, TENANT, '4711');
      const res = await assertOn(await suite.client(), '4711');
      const body = expectAnswer(res, 200) as Json;
      const token = body.assertion;
      expect(token).to.be.a('string');
      const [header, payload, signature] = (token as string).split('.') as [string, string, string];
      expect(JSON.parse(Buffer.from(header, 'base64url').toString())).to.include({ alg: 'HS256' });
      const expected = createHmac('sha256', Buffer.from(SECRET, 'utf8')).update(`${header}.${payload}`).digest();
      expect(timingSafeEqual(Buffer.from(signature, 'base64url'), expected), 'signature').to.equal(true);
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Json;
      expect(claims).to.include({ sub: '4711', ten: TENANT });
      expect(claims.exp).to.be.a('number').above(Date.now() / 1000);
      const maxAge = /^max-age=(\d+)$/.exec(String(res.properties.cache_control));
      expect(maxAge, String(res.properties.cache_control)).to.not.equal(null);
      expect(Number(maxAge?.[1])).to.be.within(1, LIFETIME);
    });
  });

  describe('1.x profile', function () {
    const suite = useAmqpRegistry({ REGISTRY_HONO_API: '1.x', REGISTRY_ASSERTION_SECRET: 'a-very-secret-secret-of-at-least-32-chars' });

    it('sends no assertion', async function () {
      await registerDevice(suite.base, TENANT, '4711');
      expect(expectAnswer(await assertOn(await suite.client(), '4711'), 200)).to.not.have.property('assertion');
    });

    it('sends the downstream mapper under the names of Hono 1.3 and 1.8, and the upstream mapper', async function () {
      await registerDevice(suite.base, TENANT, 'old-name', { mapper: 'decoder-a' });
      await registerDevice(suite.base, TENANT, 'new-names', { 'downstream-message-mapper': 'decoder-b', 'upstream-message-mapper': 'encoder-b' });
      await registerDevice(suite.base, TENANT, 'no-mapper');
      const client = await suite.client();
      expect(expectAnswer(await assertOn(client, 'old-name'), 200)).to.include({ mapper: 'decoder-a', 'downstream-message-mapper': 'decoder-a' });
      expect(expectAnswer(await assertOn(client, 'new-names'), 200)).to.include({
        mapper: 'decoder-b', 'downstream-message-mapper': 'decoder-b', 'upstream-message-mapper': 'encoder-b',
      });
      const plain = expectAnswer(await assertOn(client, 'no-mapper'), 200) as Json;
      expect(plain).to.not.have.any.keys('mapper', 'downstream-message-mapper', 'upstream-message-mapper');
    });
  });
});
