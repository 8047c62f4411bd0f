/**
 * The AMQP APIs while Redis is down: requests are accepted and answered with status 503 (no
 * hang, no crash), and the registry recovers by itself once Redis is back. Uses a private
 * redis-server with an append-only file, so data survives its restarts.
 */
import { expect } from 'chai';
import { openClient, type AmqpClient, type Response } from '../../helpers/amqp-client.js';
import { eventually } from '../../helpers/eventually.js';
import { http, startTestRegistry, type TestRegistry } from '../../helpers/registry.js';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.js';
import { ADAPTER_USER, adapterPassword, expectAnswer, TENANT } from './support.js';

const REG = `registration/${TENANT}`;
const CRED = `credentials/${TENANT}`;

describe('AMQP while Redis is down', function () {
  this.timeout(60_000);
  let redis: TestRedis | undefined;
  let registry: TestRegistry | undefined;
  let client: AmqpClient | undefined;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  before(async function () {
    process.on('unhandledRejection', onRejection);
    redis = await startTestRedis(['--appendonly', 'yes']);
    registry = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url, REGISTRY_REDIS_COMMAND_TIMEOUT_MS: '1000' });
    expect((await http(registry.base, 'POST', `/registration/${TENANT}`, { 'device-id': '4711' })).status).to.equal(201);
    expect((await http(registry.base, 'POST', `/credentials/${TENANT}`, { 'device-id': '4711', type: 'psk', 'auth-id': 'p', secrets: [{ key: 'c2VjcmV0S2V5' }] })).status).to.equal(201);
  });

  after(async function () {
    await client?.close();
    await registry?.stop();
    await redis?.destroy();
    process.off('unhandledRejection', onRejection);
  });

  const requests = (c: AmqpClient): Promise<Response>[] => [
    c.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT } }),
    c.request(REG, { subject: 'assert', applicationProperties: { device_id: '4711' } }),
    c.request(CRED, { subject: 'get', body: { type: 'psk', 'auth-id': 'p' } }),
    c.request(`device_con/${TENANT}`, { subject: 'get-last-gw', applicationProperties: { device_id: '4711' } }),
  ];

  /** Waits until a Tenant get is answered 200 again. */
  function recovery(c: AmqpClient): Promise<void> {
    return eventually('the registry answering again', async () => {
      const res = await c.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT } });
      expect(res.status).to.equal(200);
    });
  }

  it('answers 503 while Redis is down and recovers after its restart', async function () {
    const r = redis as TestRedis;
    const reg = registry as TestRegistry;
    client = await openClient({ port: reg.registry.amqpPort, username: ADAPTER_USER, password: adapterPassword(reg) });
    const [tenant, assert, cred, devcon] = await Promise.all(requests(client));
    expectAnswer(tenant as Response, 200);
    expectAnswer(assert as Response, 200);
    expectAnswer(cred as Response, 200);
    expectAnswer(devcon as Response, 404);

    for (const hard of [false, true]) {
      await r.stop(hard);
      for (let round = 0; round < 2; round++) {
        const answers = await Promise.all(requests(client));
        for (const res of answers) expectAnswer(res, 503);
        // the APIs with a tenant in the link target name it in the answer
        for (const res of answers.slice(1)) expect(res.properties.tenant_id).to.equal(TENANT);
      }
      // a new connection can still be opened and is answered 503 too
      const during = await openClient({ port: reg.registry.amqpPort, username: ADAPTER_USER, password: adapterPassword(reg) });
      try {
        expectAnswer(await during.request(REG, { subject: 'assert', applicationProperties: { device_id: '4711' } }), 503);
      } finally {
        await during.close();
      }
      await r.restart();
      await recovery(client);
      for (const res of await Promise.all(requests(client))) expect(res.status).to.be.oneOf([200, 404]);
      expectAnswer((await Promise.all(requests(client)))[1] as Response, 200);
    }
    expect(rejections).to.deep.equal([]);
  });
});
