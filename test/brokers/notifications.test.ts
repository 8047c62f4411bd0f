/**
 * Notifications through real messaging systems (make test-notifications; docs/notifications.md):
 * a single-node Kafka in KRaft mode and an ActiveMQ Artemis, both from Maven Central, each started
 * once for the suite on loopback ports (test/helpers/brokers.ts). Against each: every change kind
 * arrives as Hono's message on Hono's topic or address with Hono's key; the notifications of one
 * device arrive in the order of its changes; the broker down for 10 s during writes, then every
 * notification delivered; the registry SIGKILLed with pending notifications, then delivered by
 * the next process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startArtemis, startKafka, type Broker } from '../helpers/brokers.js';
import { startRegistryProcess, type RegistryProcess } from '../helpers/process.js';
import { freePort, startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { http, startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { amqpConsumer, kafkaConsumer, type NotificationConsumer, type Received } from './consumers.js';

interface Kind {
  readonly name: 'Kafka' | 'ActiveMQ Artemis (AMQP 1.0)';
  start(): Promise<Broker>;
  env(broker: Broker): Record<string, string>;
  consumer(broker: Broker, name: string): Promise<NotificationConsumer & { reattach?(): Promise<void> }>;
}

const KINDS: Kind[] = [
  {
    name: 'Kafka',
    start: startKafka,
    env: (broker) => ({ REGISTRY_NOTIFICATION_KAFKA_BROKERS: broker.address }),
    consumer: (broker, name) => kafkaConsumer(broker.address, name),
  },
  {
    name: 'ActiveMQ Artemis (AMQP 1.0)',
    start: startArtemis,
    env: (broker) => ({ REGISTRY_NOTIFICATION_AMQP_URL: `amqp://127.0.0.1:${broker.port}` }),
    consumer: (broker, name) => amqpConsumer(broker.port, name),
  },
];

const FAST = { REGISTRY_NOTIFICATION_POLL_MS: '100', REGISTRY_NOTIFICATION_LEASE_MS: '2000', REGISTRY_NOTIFICATION_RETRY_MIN_MS: '100', REGISTRY_NOTIFICATION_RETRY_MAX_MS: '1000' };
const ofTenant = (t: string) => (r: readonly Received[]) => r.filter((n) => n.body['tenant-id'] === t);
const label = (n: Received) => `${String(n.body.type)} ${String(n.body.change ?? '')} ${String(n.body['device-id'] ?? n.body['tenant-id'])}`.replace('  ', ' ');

for (const kind of KINDS) {
  describe(`notifications through ${kind.name}`, function () {
    this.timeout(120_000);
    let broker: Broker;
    let redis: TestRedis;
    let consumer: NotificationConsumer & { reattach?(): Promise<void> };
    const registries: TestRegistry[] = [];
    const processes: RegistryProcess[] = [];
    const start = async () => {
      const registry = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url, ...kind.env(broker), ...FAST });
      registries.push(registry);
      return registry;
    };

    before(async function () {
      // One after the other: a JVM starting takes both cores of a small machine.
      redis = await startTestRedis();
      broker = await kind.start();
      consumer = await kind.consumer(broker, `suite-${Date.now()}`);
    });
    after(async function () {
      await consumer?.close();
      await broker?.destroy();
      await redis?.destroy();
    });
    afterEach(async function () {
      for (const r of registries.splice(0)) await r.stop();
      for (const p of processes.splice(0)) await p.stop('SIGKILL');
    });

    it('delivers every change kind as Hono\'s message, on Hono\'s topic or address, with Hono\'s key', async function () {
      const { base } = await start();
      const steps: [string, string, unknown?][] = [
        ['POST', '/tenant', { 'tenant-id': 'kinds', ext: { 'invalidate-cache-on-update': true } }],
        ['PUT', '/tenant/kinds', { enabled: false }],
        ['POST', '/registration/kinds', { 'device-id': 'd' }],
        ['PUT', '/registration/kinds/d', { enabled: false }],
        ['POST', '/credentials/kinds', { 'device-id': 'd', type: 'psk', 'auth-id': 'a', secrets: [{ key: 'c2VjcmV0' }] }],
        ['PUT', '/credentials/kinds/a/psk', { 'device-id': 'd', type: 'psk', 'auth-id': 'a', secrets: [{ key: 'b3RoZXI=' }] }],
        ['DELETE', '/credentials/kinds/a/psk'],
        ['DELETE', '/registration/kinds/d'],
        ['DELETE', '/denied-devices/kinds/d'],
        ['POST', '/v1/devices/kinds/e', {}],
        ['PUT', '/v1/devices/kinds/e', { enabled: false }],
        ['PUT', '/v1/credentials/kinds/e', [{ type: 'psk', 'auth-id': 'e', secrets: [{ key: 'c2VjcmV0' }] }]],
        ['DELETE', '/v1/devices/kinds'],
        ['DELETE', '/tenant/kinds'],
      ];
      for (const [method, path, body] of steps) expect((await http(base, method, path, body)).status, `${method} ${path}`).to.be.within(200, 299);
      await consumer.until((r) => ofTenant('kinds')(r).length >= 14);
      const got = ofTenant('kinds')(consumer.received);
      expect(got.map(label)).to.have.members([
        'tenant-change-v1 CREATE kinds', 'tenant-change-v1 UPDATE kinds', 'tenant-change-v1 DELETE kinds',
        'device-change-v1 CREATE d', 'device-change-v1 UPDATE d', 'credentials-change-v1 d', 'credentials-change-v1 d', 'credentials-change-v1 d',
        'device-change-v1 DELETE d', 'device-change-v1 CREATE d',
        'device-change-v1 CREATE e', 'device-change-v1 UPDATE e', 'credentials-change-v1 e', 'all-devices-of-tenant-deleted-v1 kinds',
      ]);
      for (const n of got) {
        expect(n.body.source).to.equal('device-registry');
        const tenantChange = n.body.type === 'tenant-change-v1';
        expect(n.where).to.match(tenantChange ? /^(hono\.notification\.|notification\/)registry-tenant$/ : /^(hono\.notification\.|notification\/)registry-device$/);
        const byTenant = tenantChange || n.body.type === 'all-devices-of-tenant-deleted-v1';
        if (n.key !== undefined) expect(n.key).to.equal(byTenant ? 'kinds' : n.body['device-id']);
        else expect(n.contentType).to.equal('application/json');
      }
      const deleted = got.find((n) => n.body.change === 'DELETE' && n.body.type === 'device-change-v1');
      expect(deleted?.body.enabled, 'a deleted device: enabled false, so adapters close its connections').to.equal(false);
      expect(got.find((n) => n.body.change === 'CREATE' && n.body.type === 'tenant-change-v1')?.body['invalidate-cache-on-update']).to.equal(true);
    });

    it('delivers the notifications of each device in the order of its changes', async function () {
      const { base } = await start();
      await http(base, 'POST', '/tenant', { 'tenant-id': 'order' });
      for (const d of ['a', 'b']) await http(base, 'POST', '/registration/order', { 'device-id': d });
      await Promise.all(['a', 'b'].map(async (d) => {
        for (let i = 0; i < 25; i++) await http(base, 'PUT', `/registration/order/${d}`, { enabled: i % 2 === 0, n: i });
      }));
      await consumer.until((r) => ofTenant('order')(r).length >= 53);
      for (const d of ['a', 'b']) {
        const device = ofTenant('order')(consumer.received).filter((n) => n.body['device-id'] === d);
        expect(device.map((n) => n.body.enabled), d).to.deep.equal([true, ...Array.from({ length: 25 }, (_, i) => i % 2 === 0)]);
      }
    });

    it('keeps what is written while the broker is down for 10 s and delivers all of it afterwards, in order', async function () {
      const { base } = await start();
      await http(base, 'POST', '/tenant', { 'tenant-id': 'outage' });
      await http(base, 'POST', '/registration/outage', { 'device-id': 'd' });
      await consumer.until((r) => ofTenant('outage')(r).length >= 2);
      await broker.stop();
      const until = Date.now() + 10_000;
      let writes = 0;
      while (Date.now() < until) {
        expect((await http(base, 'PUT', '/registration/outage/d', { enabled: writes % 2 === 0 })).status, 'writes go on while the broker is down').to.equal(204);
        writes++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await broker.start();
      await consumer.reattach?.();
      await consumer.until((r) => ofTenant('outage')(r).length >= 2 + writes);
      const updates = ofTenant('outage')(consumer.received).filter((n) => n.body.change === 'UPDATE');
      expect(updates.map((n) => n.body.enabled), 'every change, in order').to.deep.equal(Array.from({ length: writes }, (_, i) => i % 2 === 0));
    });

    it('a registry SIGKILLed with pending notifications: the next process delivers them', async function () {
      const dataDir = mkdtempSync(join(tmpdir(), 'notify-broker-kill-'));
      try {
        const launch = async () => {
          const httpPort = await freePort();
          const p = startRegistryProcess({
            REGISTRY_REDIS_URL: redis.url, REGISTRY_DATA_DIR: dataDir, REGISTRY_HTTP_PORT: String(httpPort), REGISTRY_AMQP_PORT: '0', REGISTRY_HTTP_AUTH: 'none',
            REGISTRY_AMQP_ANONYMOUS: 'true', REGISTRY_LOG_FORMAT: 'json', ...kind.env(broker), ...FAST,
          });
          processes.push(p);
          await p.waitFor(/AMQP 1.0 listening/, 30_000);
          return { p, base: `http://127.0.0.1:${httpPort}` };
        };
        await broker.stop();
        const first = await launch();
        await http(first.base, 'POST', '/tenant', { 'tenant-id': 'killed' });
        for (let i = 0; i < 10; i++) await http(first.base, 'POST', '/registration/killed', { 'device-id': `d${i}` });
        await first.p.stop('SIGKILL');
        await broker.start();
        await consumer.reattach?.();
        await launch();
        await consumer.until((r) => ofTenant('killed')(r).length >= 11);
        // Ten devices, ten keys: Kafka orders per partition, so only per device (one each here).
        expect(ofTenant('killed')(consumer.received).filter((n) => n.body.type === 'device-change-v1').map((n) => n.body['device-id'])).to.have.members(Array.from({ length: 10 }, (_, i) => `d${i}`));
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
