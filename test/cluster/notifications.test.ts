/**
 * Notifications on a Redis Cluster (docs/notifications.md): tenants' outboxes live on different
 * masters; two instances deliver every change made through either of them once, in order per device,
 * and the start-up sweep finds outboxes on every master when the doorbell was lost.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { keys } from '../../src/store/keys.js';
import type { AmqpNetwork } from '../helpers/amqp-network.js';
import { useNotifyingRegistries } from '../helpers/notifying-registries.js';
import { http } from '../helpers/registry.js';
import { sharedStore } from '../helpers/root-hooks.js';

const TENANTS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];

describe('notifications on a Redis Cluster', function () {
  this.timeout(60_000);
  const registries = useNotifyingRegistries();
  const start = () => registries.start();
  let network: AmqpNetwork;
  beforeEach(() => (network = registries.network()));

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
    await registries.stop(first);
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
