/**
 * A registry killed with undelivered notifications (docs/notifications.md "Delivery guarantee"):
 * the built registry runs as its own process, the messaging network refuses (releases) what it
 * sends so that entries stay pending and their outbox leased, the process is SIGKILLed, and a
 * new process on the same store delivers every notification, in order, once the lease expired.
 * Also: an outbox whose doorbell was lost is found by the start-up sweep.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createLogger } from '../../../src/log.js';
import { keys } from '../../../src/store/keys.js';
import { connectRedis, createRedisStore } from '../../../src/store/redis.js';
import { NETWORK_PASSWORD, NETWORK_USER, startAmqpNetwork, type AmqpNetwork } from '../../helpers/amqp-network.js';
import { startRegistryProcess, type RegistryProcess } from '../../helpers/process.js';
import { freePort, startTestRedis, type TestRedis } from '../../helpers/redis-server.js';
import { http } from '../../helpers/registry.js';
import { CREATION, deviceJson } from '../store-contract.js';

describe('notifications: a killed registry loses none', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let network: AmqpNetwork;
  let dataDir: string;
  const processes: RegistryProcess[] = [];

  before(async () => {
    redis = await startTestRedis();
  });
  after(() => redis.destroy());
  beforeEach(async () => {
    await redis.command('FLUSHALL');
    network = await startAmqpNetwork();
    dataDir = mkdtempSync(join(tmpdir(), 'registry-notify-kill-'));
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.stop('SIGKILL');
    await network.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<string> {
    const httpPort = await freePort();
    const registry = startRegistryProcess({
      REGISTRY_REDIS_URL: redis.url, REGISTRY_DATA_DIR: dataDir, REGISTRY_HTTP_PORT: String(httpPort), REGISTRY_AMQP_PORT: '0',
      REGISTRY_HTTP_AUTH: 'none', REGISTRY_BCRYPT_COST: '4', REGISTRY_AMQP_ANONYMOUS: 'true', REGISTRY_LOG_FORMAT: 'json',
      REGISTRY_NOTIFICATION_AMQP_URL: `amqp://127.0.0.1:${network.port}`, REGISTRY_NOTIFICATION_AMQP_USERNAME: NETWORK_USER, REGISTRY_NOTIFICATION_AMQP_PASSWORD: NETWORK_PASSWORD,
      REGISTRY_NOTIFICATION_LEASE_MS: '1000', REGISTRY_NOTIFICATION_POLL_MS: '100', REGISTRY_NOTIFICATION_RETRY_MIN_MS: '50', REGISTRY_NOTIFICATION_RETRY_MAX_MS: '200',
    });
    processes.push(registry);
    await registry.waitFor(/AMQP 1.0 listening/, 30_000);
    return `http://127.0.0.1:${httpPort}`;
  }

  it('SIGKILLed with pending notifications: a restart delivers every one, in order', async function () {
    network.outcome = 'release';
    const base = await start();
    await http(base, 'POST', '/tenant', { 'tenant-id': 'k' });
    await http(base, 'POST', '/registration/k', { 'device-id': 'd' });
    for (let i = 0; i < 10; i++) expect((await http(base, 'PUT', '/registration/k/d', { enabled: i % 2 === 0 })).status).to.equal(204);
    await processes[0]?.waitFor(/did not take them/);
    await processes[0]?.stop('SIGKILL');
    network.outcome = 'accept';
    await start();
    await network.waitFor(13);
    const device = network.received.filter((n) => n.body['device-id'] === 'd');
    expect(device.map((n) => n.body.change)).to.deep.equal(['CREATE', ...Array<string>(10).fill('UPDATE')]);
    expect(device.map((n) => n.body.enabled)).to.deep.equal([true, true, false, true, false, true, false, true, false, true, false]);
    expect(network.received.filter((n) => n.body['tenant-id'] === 'k' && n.body.type === 'tenant-change-v1')).to.have.length(1);
  });

  it('finds an outbox whose doorbell was lost (a crash between the write and its ring) at start-up', async function () {
    const store = createRedisStore(await connectRedis(redis.url, 1000, createLogger('silent')), { outbox: { maxPending: 100 } });
    try {
      await store.createTenant('lost', JSON.stringify({ 'tenant-id': 'lost' }), []);
      await redis.command('SET tenant:{lost} 1');
      await store.createDevice('lost', 'd', deviceJson('d'), CREATION);
    } finally {
      await store.close();
    }
    await redis.command(`DEL ${keys.pendingOutboxes()}`);
    await start();
    await network.waitFor(3);
    expect(network.received.map((n) => `${String(n.body.type)}/${String(n.body['device-id'] ?? n.body['tenant-id'])}`)).to.include.members(['tenant-change-v1/lost', 'device-change-v1/d']);
  });
});
