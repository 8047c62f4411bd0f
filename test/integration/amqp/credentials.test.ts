/**
 * Credentials API and Device Connection API over real AMQP listeners and real Redis
 * (docs/amqp-api.md §5, §6, §11 E, F), including the management operations, which share the
 * HTTP API's validation.
 */
import { expect } from 'chai';
import type { AmqpClient, Response } from '../../helpers/amqp-client.js';
import { http } from '../../helpers/registry.js';
import {
  ADAPTER_AND_ADMIN, ADMIN_USER, addCredentials, createTenant, expectAnswer, expectRejected, TENANT, useAmqpRegistry, type Json,
} from './support.js';

const CRED = `credentials/${TENANT}`;
const SHA_SECRET = { 'hash-function': 'sha-256', salt: 'aG9ubw==', 'pwd-hash': 'Qo6ThIjb5lEXBodKiw4ztW8DNsHlDw2Lh0vkG0Yf0zU=', 'not-before': '2017-05-01T14:00:00+01:00', 'not-after': '2037-06-01T14:00:00+01:00' };
const COST_11_HASH = '$2a$11$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';

const sensor1 = (extra: Json = {}): Json => ({ 'device-id': '4711', type: 'hashed-password', 'auth-id': 'sensor1', secrets: [SHA_SECRET], ...extra });

function get(client: AmqpClient, query: Json, address = CRED): Promise<Response> {
  return client.request(address, { subject: 'get', body: query });
}

describe('AMQP Credentials API', function () {
  this.timeout(20_000);

  describe('get (legacy profile)', function () {
    const suite = useAmqpRegistry();

    it('returns the record with device_id, echoed type and auth-id, unmodified secrets, no-cache', async function () {
      await addCredentials(suite.base, TENANT, sensor1());
      const res = await get(await suite.client(), { type: 'hashed-password', 'auth-id': 'sensor1' });
      const body = expectAnswer(res, 200) as Json;
      expect(body).to.include({ 'device-id': '4711', type: 'hashed-password', 'auth-id': 'sensor1', enabled: true });
      expect(body.secrets).to.deep.equal([SHA_SECRET]);
      expect(res.properties).to.include({ tenant_id: TENANT, device_id: '4711', cache_control: 'no-cache' });
    });

    it('answers 404 for an unknown auth-id and for a known auth-id of another type', async function () {
      await addCredentials(suite.base, TENANT, sensor1());
      const client = await suite.client();
      expectAnswer(await get(client, { type: 'hashed-password', 'auth-id': 'nobody' }), 404);
      expectAnswer(await get(client, { type: 'psk', 'auth-id': 'sensor1' }), 404);
    });

    it('matches the client context strictly against top-level string members (legacy profile)', async function () {
      await addCredentials(suite.base, TENANT, sensor1({ 'client-id': 'gadget', region: 'eu' }));
      const client = await suite.client();
      const query = { type: 'hashed-password', 'auth-id': 'sensor1' };
      expectAnswer(await get(client, { ...query, 'client-id': 'gadget' }), 200);
      expectAnswer(await get(client, { ...query, 'client-id': 'gadget', region: 'eu' }), 200);
      expectAnswer(await get(client, { ...query, 'client-id': 'other' }), 404);
      expectAnswer(await get(client, { ...query, 'client-id': 'gadget', missing: 'x' }), 404);
      expectAnswer(await get(client, { ...query, 'client-id': 1 }), 404);
    });

    it('returns disabled credentials with enabled:false', async function () {
      await addCredentials(suite.base, TENANT, sensor1({ enabled: false }));
      expect(expectAnswer(await get(await suite.client(), { type: 'hashed-password', 'auth-id': 'sensor1' }), 200)).to.include({ enabled: false });
    });

    it('normalises x509-cert auth-ids to the RFC 2253 form', async function () {
      await addCredentials(suite.base, TENANT, { 'device-id': 'x509-dev', type: 'x509-cert', 'auth-id': 'CN=device-1, O=ACME Corporation', secrets: [{}] });
      const client = await suite.client();
      for (const dn of ['CN=device-1,O=ACME Corporation', 'CN=device-1, O=ACME Corporation', 'cn=device-1,o=ACME Corporation']) {
        const body = expectAnswer(await get(client, { type: 'x509-cert', 'auth-id': dn }), 200) as Json;
        expect(body).to.include({ 'device-id': 'x509-dev', 'auth-id': 'CN=device-1,O=ACME Corporation' });
        expect(body.secrets).to.deep.equal([{}]);
      }
    });

    it('lists all credentials of a device with {"type":"*","device-id"}', async function () {
      await addCredentials(suite.base, TENANT, sensor1());
      await addCredentials(suite.base, TENANT, { 'device-id': '4711', type: 'psk', 'auth-id': 'little-sensor2', secrets: [{ key: 'c2VjcmV0S2V5' }] });
      const client = await suite.client();
      const res = await get(client, { type: '*', 'device-id': '4711' });
      const body = expectAnswer(res, 200) as { total: number; credentials: Json[] };
      expect(body.total).to.equal(2);
      expect(body.credentials.map((c) => c.type).sort()).to.deep.equal(['hashed-password', 'psk']);
      expect(res.properties.device_id).to.equal('4711');
      expectAnswer(await get(client, { type: '*', 'device-id': 'none' }), 404);
    });

    it('answers 400 to a get without type, without auth-id, or with both auth-id and device-id', async function () {
      const client = await suite.client();
      expectAnswer(await get(client, { 'auth-id': 'sensor1' }), 400);
      expectAnswer(await get(client, { type: 'hashed-password' }), 400);
      expectAnswer(await get(client, { type: 'hashed-password', 'auth-id': 'sensor1', 'device-id': '4711' }), 400);
    });

    it('rejects requests without a Data body, with an AmqpValue body or with an unknown subject', async function () {
      const client = await suite.client();
      expectRejected(await client.request(CRED, { subject: 'get' }));
      expectRejected(await client.request(CRED, { subject: 'get', body: 'amqp-value' }));
      expectRejected(await client.request(CRED, { subject: 'frobnicate', body: { type: 'psk', 'auth-id': 'a' } }));
      expectRejected(await client.request(CRED, { subject: 'get', body: Buffer.from('[1,2]') }));
    });

    it('scopes credentials by the tenant of the link target', async function () {
      await createTenant(suite.base, 'other');
      await addCredentials(suite.base, 'other', sensor1());
      const client = await suite.client();
      expectAnswer(await get(client, { type: 'hashed-password', 'auth-id': 'sensor1' }, 'credentials/other'), 200);
      expectAnswer(await get(client, { type: 'hashed-password', 'auth-id': 'sensor1' }), 404);
    });

    it('sees credentials deleted over HTTP on the very next request', async function () {
      await addCredentials(suite.base, TENANT, sensor1());
      const client = await suite.client();
      expectAnswer(await get(client, { type: 'hashed-password', 'auth-id': 'sensor1' }), 200);
      expect((await http(suite.base, 'DELETE', `/credentials/${TENANT}/sensor1/hashed-password`)).status).to.equal(204);
      expectAnswer(await get(client, { type: 'hashed-password', 'auth-id': 'sensor1' }), 404);
    });
  });

  describe('get (1.x profile, REGISTRY_HONO_API=1.x)', function () {
    const suite = useAmqpRegistry({ REGISTRY_HONO_API: '1.x' });

    it('answers 404 for disabled credentials and for records whose secrets are all disabled', async function () {
      await addCredentials(suite.base, TENANT, sensor1({ enabled: false }));
      await addCredentials(suite.base, TENANT, { 'device-id': 'd2', type: 'psk', 'auth-id': 'all-off', secrets: [{ key: 'c2VjcmV0S2V5', enabled: false }] });
      const client = await suite.client();
      const res = await get(client, { type: 'hashed-password', 'auth-id': 'sensor1' });
      expectAnswer(res, 404);
      expectAnswer(await get(client, { type: 'psk', 'auth-id': 'all-off' }), 404);
    });

    it('matches the client context against ext, as Hono 1.4+ registries do: what ext lacks does not matter (§5.2)', async function () {
      await addCredentials(suite.base, TENANT, sensor1());
      await addCredentials(suite.base, TENANT, { ...sensor1(), 'auth-id': 'gw', ext: { 'client-id': 'gateway-one' } });
      const client = await suite.client();
      // Hono's 1.x and 2.x MQTT adapters send the MQTT client id as client context.
      expectAnswer(await get(client, { type: 'hashed-password', 'auth-id': 'sensor1', 'client-id': 'mqtt-1' }), 200);
      expectAnswer(await get(client, { type: 'hashed-password', 'auth-id': 'gw', 'client-id': 'gateway-one', other: 'x' }), 200);
      expectAnswer(await get(client, { type: 'hashed-password', 'auth-id': 'gw', 'client-id': 'gateway-two' }), 404);
    });

    it('describes errors in a text/plain body', async function () {
      const res = await get(await suite.client(), { 'auth-id': 'sensor1' });
      expectAnswer(res, 400);
      expect(res.contentType).to.equal('text/plain');
      expect(res.body).to.be.a('string');
      expect(String(res.body).trim()).to.not.equal('');
    });

    it('strips disabled secrets and lets adapters cache hashed-password answers', async function () {
      await addCredentials(suite.base, TENANT, sensor1({ secrets: [SHA_SECRET, { ...SHA_SECRET, enabled: false }] }));
      const res = await get(await suite.client(), { type: 'hashed-password', 'auth-id': 'sensor1' });
      expect((expectAnswer(res, 200) as Json).secrets).to.deep.equal([SHA_SECRET]);
      expect(res.properties.cache_control).to.equal('max-age=180');
    });
  });

  describe('management operations', function () {
    const suite = useAmqpRegistry({ REGISTRY_BCRYPT_COST: '10' }, { accounts: ADAPTER_AND_ADMIN });
    const op = (client: AmqpClient, subject: string, body: Json) => client.request(CRED, { subject, body });

    it('answers 403 to a protocol adapter (no EXECUTE on credentials/*:add)', async function () {
      expectAnswer(await op(await suite.client(), 'add', sensor1()), 403);
    });

    it('validates like the HTTP API: bcrypt cost above the maximum → 400, invalid records → 400, duplicates → 409', async function () {
      const client = await suite.client({ username: ADMIN_USER });
      expectAnswer(await op(client, 'add', sensor1({ secrets: [{ 'hash-function': 'bcrypt', 'pwd-hash': COST_11_HASH }] })), 400);
      expectAnswer(await op(client, 'add', sensor1({ secrets: [] })), 400);
      expectAnswer(await op(client, 'add', sensor1({ secrets: [{ 'hash-function': 'sha-256' }] })), 400);
      expectAnswer(await op(client, 'add', sensor1({ secrets: [{ ...SHA_SECRET, 'not-before': '2030-01-01T00:00:00Z', 'not-after': '2020-01-01T00:00:00Z' }] })), 400);
      expectAnswer(await op(client, 'add', { type: 'psk', 'auth-id': 'no-device', secrets: [{ key: 'c2VjcmV0S2V5' }] }), 400);
      expect((await http(suite.base, 'GET', `/credentials/${TENANT}/sensor1/hashed-password`)).status).to.equal(404);
      expectAnswer(await op(client, 'add', sensor1()), 201);
      expectAnswer(await op(client, 'add', sensor1()), 409);
    });

    it('replaces pwd-plain by a $2a$ bcrypt hash that verifies the password', async function () {
      const client = await suite.client({ username: ADMIN_USER });
      expectAnswer(await op(client, 'add', sensor1({ secrets: [{ 'pwd-plain': 'hono-secret' }] })), 201);
      const body = expectAnswer(await get(client, { type: 'hashed-password', 'auth-id': 'sensor1' }), 200) as { secrets: Json[] };
      const [secret] = body.secrets;
      expect(secret).to.not.have.property('pwd-plain');
      expect(secret?.['hash-function']).to.equal('bcrypt');
      expect(String(secret?.['pwd-hash'])).to.match(/^\$2a\$10\$/);
      const bcrypt = (await import('bcrypt')).default;
      expect(await bcrypt.compare('hono-secret', String(secret?.['pwd-hash']))).to.equal(true);
      const stored = await http(suite.base, 'GET', `/credentials/${TENANT}/sensor1/hashed-password`);
      expect(stored.text).to.not.include('hono-secret');
    });

    it('updates and removes records', async function () {
      const client = await suite.client({ username: ADMIN_USER });
      expectAnswer(await op(client, 'add', sensor1()), 201);
      expectAnswer(await op(client, 'update', sensor1({ 'device-id': '4712' })), 204);
      expect(expectAnswer(await get(client, { type: 'hashed-password', 'auth-id': 'sensor1' }), 200)).to.include({ 'device-id': '4712' });
      expectAnswer(await op(client, 'update', sensor1({ 'auth-id': 'unknown' })), 404);
      expectAnswer(await op(client, 'remove', { type: 'hashed-password', 'auth-id': 'sensor1' }), 204);
      expectAnswer(await op(client, 'remove', { type: 'hashed-password', 'auth-id': 'sensor1' }), 404);
      expectAnswer(await op(client, 'add', sensor1()), 201);
      expectAnswer(await op(client, 'remove', { type: '*', 'device-id': '4711' }), 204);
      expectAnswer(await get(client, { type: 'hashed-password', 'auth-id': 'sensor1' }), 404);
      expectAnswer(await op(client, 'remove', { type: 'psk' }), 400);
    });

    it('correlates out-of-order answers: a slow bcrypt add interleaved with fast gets on one link', async function () {
      const client = await suite.client({ username: ADMIN_USER });
      const link = await client.link(CRED);
      for (let i = 0; i < 10; i++) await addCredentials(suite.base, TENANT, { 'device-id': `dev-${i}`, type: 'psk', 'auth-id': `psk-${i}`, secrets: [{ key: 'c2VjcmV0S2V5' }] });
      const order: string[] = [];
      const track = (name: string, p: Promise<Response>) => p.then((r) => (order.push(name), r));
      const adds = [0, 1].map((n) => track(`add-${n}`, link.request({ subject: 'add', body: sensor1({ 'auth-id': `slow-${n}`, secrets: [{ 'pwd-plain': 'hono-secret' }] }) })));
      const gets = Array.from({ length: 30 }, (_, i) => track(`get-${i}`, link.request({ subject: 'get', body: { type: 'psk', 'auth-id': `psk-${i % 12}` } })));
      const [addAnswers, getAnswers] = await Promise.all([Promise.all(adds), Promise.all(gets)]);
      for (const res of addAnswers) expectAnswer(res, 201);
      getAnswers.forEach((res, i) => {
        if (i % 12 >= 10) return expectAnswer(res, 404);
        const body = expectAnswer(res, 200) as Json;
        expect(body).to.include({ 'auth-id': `psk-${i % 12}`, 'device-id': `dev-${i % 12}` });
        expect(res.properties.device_id).to.equal(`dev-${i % 12}`);
      });
      // the adds were sent first but answered after gets (bcrypt runs off the event loop)
      expect(order[0], order.join(',')).to.match(/^get-/);
    });
  });
});

describe('AMQP Device Connection API', function () {
  this.timeout(20_000);
  const suite = useAmqpRegistry();
  const DC = `device_con/${TENANT}`;

  it('sets and gets the last gateway; a later set wins; never-set → 404; missing gateway_id → 400', async function () {
    const client = await suite.client();
    const op = (subject: string, props: Json) => client.request(DC, { subject, applicationProperties: props });
    expectAnswer(await op('get-last-gw', { device_id: '4711' }), 404);
    const set = await op('set-last-gw', { device_id: '4711', gateway_id: 'gw-1' });
    expectAnswer(set, 204);
    expect(set.properties).to.include({ tenant_id: TENANT, device_id: '4711' });
    const got = await op('get-last-gw', { device_id: '4711' });
    const body = expectAnswer(got, 200) as Json;
    expect(body['gateway-id']).to.equal('gw-1');
    expect(Number.isNaN(Date.parse(String(body['last-updated'])))).to.equal(false);
    expect(String(body['last-updated'])).to.match(/(Z|[+-]\d\d:\d\d)$/);
    expectAnswer(await op('set-last-gw', { device_id: '4711', gateway_id: 'gw-2' }), 204);
    expect(expectAnswer(await op('get-last-gw', { device_id: '4711' }), 200)).to.include({ 'gateway-id': 'gw-2' });
    expectAnswer(await op('set-last-gw', { device_id: '4711' }), 400);
    expectAnswer(await op('frobnicate', { device_id: '4711' }), 400);
  });

  it('rejects requests without device_id and keeps tenants apart', async function () {
    await createTenant(suite.base, 'other');
    const client = await suite.client();
    expectRejected(await client.request(DC, { subject: 'get-last-gw', applicationProperties: {} }));
    expectAnswer(await client.request(DC, { subject: 'set-last-gw', applicationProperties: { device_id: 'd', gateway_id: 'g' } }), 204);
    expectAnswer(await client.request('device_con/other', { subject: 'get-last-gw', applicationProperties: { device_id: 'd' } }), 404);
  });
});
