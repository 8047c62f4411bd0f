/**
 * Notifications on a Redis Cluster (docs/notifications.md): tenants' outboxes live on different
 * masters; two instances deliver every change made through either of them once, in order per device,
 * and the start-up sweep finds outboxes on every master when the doorbell was lost.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { keys } from '../../src/store/keys.js';
import { NETWORK_PASSWORD, NETWORK_USER, startAmqpNetwork, type AmqpNetwork } from '../helpers/amqp-network.js';
import { http, startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { sharedStore } from '../helpers/root-hooks.js';

const TENANTS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];

describe('notifications on a Redis Cluster', function () {
  this.timeout(60_000);
  let network: AmqpNetwork;
  const running: TestRegistry[] = [];
  const start = async () => {
    const store = await sharedStore();
    const registry = await startTestRegistry({
      ...store.env, REGISTRY_NOTIFICATION_AMQP_URL: `amqp://${NETWORK_USER}:${NETWORK_PASSWORD}@127.0.0.1:${network.port}`,
      REGISTRY_NOTIFICATION_POLL_MS: '100', REGISTRY_NOTIFICATION_LEASE_MS: '1000', REGISTRY_NOTIFICATION_RETRY_MIN_MS: '50', REGISTRY_NOTIFICATION_RETRY_MAX_MS: '400',
    });
    running.push(registry);
    return registry;
  };

  beforeEach(async function () {
    await (await sharedStore()).command('FLUSHALL');
    network = await startAmqpNetwork();
  });
  afterEach(async function () {
    for (const r of running.splice(0)) await r.stop();
    await network.close();
  });

  it('two instances deliver the changes of tenants on every master once, in order per device', async function () {
    const [a, b] = [await start(), await start()];
    for (const t of TENANTS) await http(a.base, 'POST', '/tenant', { 'tenant-id': t });
    await Promise.all(TENANTS.map(async (t, i) => {
      const via = i % 2 === 0 ? a : b;
      await http(via.base, 'POST', `/registration/${t}`, { 'device-id': 'd' });
      for (let n = 0; n < 5; n++) await http(via.base, 'PUT', `/registration/${t}/d`, { enabled: n % 2 === 0 });
    }));
    await network.waitFor(1 + TENANTS.length * 7);
    for (const t of TENANTS) {
      const device = network.received.filter((n) => n.body['tenant-id'] === t && n.body.type === 'device-change-v1');
      expect(device.map((n) => n.body.enabled), t).to.deep.equal([true, true, false, true, false, true]);
    }
    expect(network.received).to.have.length(1 + TENANTS.length * 7);
  });

  it('finds the outboxes on every master when the doorbell was lost', async function () {
    const first = await start();
    network.outcome = 'release';
    for (const t of TENANTS) {
      await http(first.base, 'POST', '/tenant', { 'tenant-id': t });
      await http(first.base, 'POST', `/registration/${t}`, { 'device-id': 'd' });
    }
    await first.stop();
    running.splice(0);
    for (const url of await (await sharedStore()).masterUrls()) {
      const node = new Redis(url, { lazyConnect: true });
      await node.connect();
      // Only the master that owns the doorbell's slot deletes it; the others answer MOVED.
      await node.del(keys.pendingOutboxes()).catch(() => undefined);
      node.disconnect();
    }
    network.outcome = 'accept';
    await start();
    await network.waitFor(1 + TENANTS.length * 2);
    expect(network.received.filter((n) => n.body.type === 'device-change-v1').map((n) => n.body['tenant-id'])).to.have.members(TENANTS);
  });
});
