/**
 * Delivery of the outboxes over AMQP 1.0 (docs/notifications.md), with the registry in-process
 * and a real AMQP peer as the messaging network (test/helpers/amqp-network.ts): changes made over
 * HTTP arrive as Hono's notifications on Hono's addresses; per device in the order of the changes;
 * a network outage during writes loses nothing; two instances on one store deliver each
 * notification once; metrics and log lines. The same deliverer runs against a real Kafka and a
 * real ActiveMQ Artemis in test/brokers/ (make test-notifications).
 */
import { expect } from 'chai';
import { keys } from '../../../src/store/keys.js';
import { NETWORK_PASSWORD, type AmqpNetwork } from '../../helpers/amqp-network.js';
import { eventually } from '../../helpers/eventually.js';
import { sample } from '../../helpers/metrics.js';
import { useNotifyingRegistries } from '../../helpers/notifying-registries.js';
import { http } from '../../helpers/registry.js';
import { sharedRedis } from '../../helpers/root-hooks.js';

describe('notifications: delivery over AMQP 1.0', function () {
  const registries = useNotifyingRegistries();
  const start = registries.start;
  let network: AmqpNetwork;
  beforeEach(() => (network = registries.network()));
  const ofDevice = (d: string) => network.received.filter((n) => n.body['device-id'] === d);

  it('announces tenant, device and credentials changes made over HTTP as Hono does', async function () {
    const { base, logs } = await start();
    await network.waitFor(1); // the seeded DEFAULT_TENANT
    expect((await http(base, 'POST', '/tenant', { 'tenant-id': 'acme', ext: { 'invalidate-cache-on-update': true } })).status).to.equal(201);
    expect((await http(base, 'POST', '/registration/acme', { 'device-id': 'd1' })).status).to.equal(201);
    expect((await http(base, 'POST', '/credentials/acme', { 'device-id': 'd1', type: 'hashed-password', 'auth-id': 'd1', secrets: [{ 'pwd-plain': 'password-of-d1' }] })).status).to.equal(201);
    expect((await http(base, 'DELETE', '/registration/acme/d1')).status).to.equal(204);
    await network.waitFor(5);
    const [seed, tenant, created, credentials, deleted] = network.received;
    expect(seed?.body).to.include({ type: 'tenant-change-v1', change: 'CREATE', 'tenant-id': 'DEFAULT_TENANT' });
    expect(tenant).to.deep.include({ address: 'notification/registry-tenant', contentType: 'application/json' });
    expect(tenant?.body).to.deep.include({ type: 'tenant-change-v1', source: 'device-registry', change: 'CREATE', 'tenant-id': 'acme', enabled: true, 'invalidate-cache-on-update': true });
    expect(tenant?.body['creation-time']).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(created).to.deep.include({ address: 'notification/registry-device' });
    expect(created?.body).to.deep.include({ type: 'device-change-v1', change: 'CREATE', 'tenant-id': 'acme', 'device-id': 'd1', enabled: true });
    expect(credentials?.body).to.deep.include({ type: 'credentials-change-v1', 'tenant-id': 'acme', 'device-id': 'd1' });
    expect(deleted?.body, 'a deleted (denied) device: DELETE, enabled false').to.deep.include({ type: 'device-change-v1', change: 'DELETE', 'device-id': 'd1', enabled: false });
    expect(logs.join('\n')).to.not.include(NETWORK_PASSWORD);
  });

  it('announces /v1 and bulk device changes as Hono does: a deleted device DELETE with enabled false, all devices of a tenant at once', async function () {
    const { base } = await start();
    await http(base, 'POST', '/tenant', { 'tenant-id': 'v' });
    expect((await http(base, 'POST', '/v1/devices/v/a', {})).status).to.equal(201);
    expect((await http(base, 'PATCH', '/v1/devices/v/a', { enabled: false }, { 'Content-Type': 'application/merge-patch+json' })).status).to.equal(204);
    expect((await http(base, 'PUT', '/v1/devices/v/a', { enabled: true })).status).to.equal(204);
    const bulk = await http(base, 'POST', '/v1/bulk/devices/v/create', { items: [{ id: 'b' }, { id: 'c', device: { enabled: false } }] });
    expect((bulk.json as { results: { status: number }[] }).results.map((r) => r.status)).to.deep.equal([201, 201]);
    expect((await http(base, 'DELETE', '/v1/devices/v/a')).status).to.equal(204);
    expect((await http(base, 'DELETE', '/v1/devices/v')).status).to.equal(204);
    const ofTenant = () => network.received.filter((n) => n.address === 'notification/registry-device' && n.body['tenant-id'] === 'v');
    await eventually('every change delivered', async () => expect(ofTenant()).to.have.length(7));
    expect(ofTenant().map((n) => [n.body.type, n.body.change, n.body['device-id'], n.body.enabled])).to.deep.equal([
      ['device-change-v1', 'CREATE', 'a', true],
      ['device-change-v1', 'UPDATE', 'a', false],
      ['device-change-v1', 'UPDATE', 'a', true],
      ['device-change-v1', 'CREATE', 'b', true],
      ['device-change-v1', 'CREATE', 'c', false],
      ['device-change-v1', 'DELETE', 'a', false],
      ['all-devices-of-tenant-deleted-v1', undefined, undefined, undefined],
    ]);
  });

  it('announces a /v1 PUT of a credentials set as Hono: credentials-change-v1 of the device, none for a refused one', async function () {
    const { base } = await start();
    await http(base, 'POST', '/tenant', { 'tenant-id': 'vc' });
    expect((await http(base, 'POST', '/v1/devices/vc/d', {})).status).to.equal(201);
    const set = [{ type: 'hashed-password', 'auth-id': 'd', secrets: [{ 'pwd-plain': 'password-of-d' }] }];
    expect((await http(base, 'PUT', '/v1/credentials/vc/d', set)).status).to.equal(204);
    expect((await http(base, 'PUT', '/v1/credentials/vc/d', [], { 'If-Match': '"not-the-version"' })).status).to.equal(412);
    expect((await http(base, 'PUT', '/v1/credentials/vc/d', [])).status).to.equal(204);
    const ofTenant = () => network.received.filter((n) => n.address === 'notification/registry-device' && n.body['tenant-id'] === 'vc');
    await eventually('every change delivered', async () => expect(ofTenant()).to.have.length(3));
    expect(ofTenant().map((n) => [n.body.type, n.body.change, n.body['device-id']])).to.deep.equal([
      ['device-change-v1', 'CREATE', 'd'],
      ['credentials-change-v1', undefined, 'd'],
      ['credentials-change-v1', undefined, 'd'],
    ]);
  });

  it('delivers the notifications of one device in the order of its changes', async function () {
    const { base } = await start();
    await http(base, 'POST', '/tenant', { 'tenant-id': 'o' });
    await http(base, 'POST', '/registration/o', { 'device-id': 'd' });
    const expected: boolean[] = [true];
    for (let i = 0; i < 30; i++) {
      const enabled = i % 2 === 1;
      await http(base, 'PUT', '/registration/o/d', { enabled, n: i });
      expected.push(enabled);
    }
    await eventually('every change delivered', async () => expect(ofDevice('d')).to.have.length(31));
    expect(ofDevice('d').map((n) => n.body.enabled)).to.deep.equal(expected);
    expect(ofDevice('d').map((n) => n.body.change)).to.deep.equal(['CREATE', ...Array<string>(30).fill('UPDATE')]);
  });

  it('keeps every change made while the network is down, delivers it in order after the outage, and stays ready', async function () {
    const { base, logs, registry } = await start();
    await network.waitFor(1);
    await network.down();
    await http(base, 'POST', '/tenant', { 'tenant-id': 'down' });
    for (let i = 0; i < 20; i++) expect((await http(base, 'POST', '/registration/down', { 'device-id': `d${i}` })).status).to.equal(201);
    await http(base, 'PUT', '/registration/down/d0', { enabled: false });
    expect((await http(base, 'GET', '/ready')).status, 'an outage of the messaging network does not make the registry unready').to.equal(200);
    await eventually('a failed attempt', async () => expect(logs.some((l) => l.includes('did not take them; retrying with backoff'))).to.equal(true));
    await network.up();
    await network.waitFor(23); // the seeded tenant, then 22 made during the outage
    expect(network.received.filter((n) => n.body['tenant-id'] === 'down')).to.have.length(22);
    expect(ofDevice('d0').map((n) => n.body.change)).to.deep.equal(['CREATE', 'UPDATE']);
    // Entries leave the outbox after the acknowledgement was counted.
    await eventually('the outboxes are empty', async () => expect(await (await sharedRedis()).command(`EXISTS ${keys.outbox('down')}`)).to.match(/^:0/));
    const metrics = await registry.metrics.exposition();
    expect(sample(metrics.text, 'registry_notifications_failed_total', { transport: 'amqp' })).to.be.greaterThan(0);
    expect(sample(metrics.text, 'registry_notifications_sent_total', { transport: 'amqp' })).to.be.at.least(22);
    expect(logs.some((l) => l.includes('amqp takes notifications again'))).to.equal(true);
  });

  it('sends again what the network released, and warns once the backlog reaches its level', async function () {
    const { base, logs, registry } = await start({ REGISTRY_NOTIFICATION_BACKLOG_WARN: '5' });
    await network.waitFor(1);
    network.outcome = 'release';
    await http(base, 'POST', '/tenant', { 'tenant-id': 'r' });
    for (let i = 0; i < 6; i++) await http(base, 'POST', '/registration/r', { 'device-id': `d${i}` });
    await eventually('a backlog warning', async () => expect(logs.some((l) => /"level":40.*notifications: \d+ undelivered/.test(l))).to.equal(true));
    await eventually('the gauges see the backlog', async () => {
      const text = (await registry.metrics.exposition()).text;
      expect(sample(text, 'registry_notifications_pending')).to.be.at.least(6);
      expect(sample(text, 'registry_notifications_oldest_pending_age_seconds')).to.be.greaterThan(0);
    });
    network.outcome = 'accept';
    await network.waitFor(8);
    // The tenant's notification is in the registry outbox, its devices' in the tenant's: ordered within each.
    expect(network.received.filter((n) => n.body['device-id'] !== undefined).map((n) => n.body['device-id'])).to.deep.equal(['d0', 'd1', 'd2', 'd3', 'd4', 'd5']);
  });

  it('two instances on one store deliver each notification once, and one takes over what a stopped one left', async function () {
    const first = await start();
    const second = await start();
    await network.waitFor(1);
    await http(first.base, 'POST', '/tenant', { 'tenant-id': 'two' });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) writes.push(http(i % 2 === 0 ? first.base : second.base, 'POST', '/registration/two', { 'device-id': `d${i}` }));
    await Promise.all(writes);
    await network.waitFor(42);
    const ids = network.received.map((n) => `${String(n.body.type)}/${String(n.body['device-id'] ?? n.body['tenant-id'])}`);
    expect(new Set(ids).size, 'no duplicates without a crash').to.equal(ids.length);

    await network.down();
    await http(first.base, 'PUT', '/registration/two/d0', { enabled: false });
    await registries.stop(first);
    await network.up();
    await eventually('the other instance delivers it', async () => expect(ofDevice('d0').map((n) => n.body.change)).to.deep.equal(['CREATE', 'UPDATE']));
  });
});
