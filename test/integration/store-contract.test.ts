/**
 * The Store contract against the run's standalone redis-server, plus checks that only make sense
 * on one standalone node: key layout and hash tags, purge batching, recovery of half-done state
 * written by hand, and behaviour while the server is down.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createLogger } from '../../src/log.js';
import { credentialSearchPrefix, escapeId, keys, tenantDataKeys, tenantSortedSets } from '../../src/store/keys.js';
import * as deviceLua from '../../src/store/lua/device-scripts.js';
import * as lua from '../../src/store/lua/scripts.js';
import * as security from '../../src/store/lua/security-scripts.js';
import * as tenantScripts from '../../src/store/lua/tenant-scripts.js';
import { connectRedis, createRedisStore, scriptSha } from '../../src/store/redis.js';
import type { Store } from '../../src/store/store.js';
import { sharedRedis } from '../helpers/root-hooks.js';
import { eventually } from '../helpers/eventually.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';
import { CREATION, credJson, dataOf, deviceJson, expectRegistryError, storeContract, tenantJson } from './store-contract.js';

const logger = createLogger('silent');

async function openStore(url: string, options: { purgeBatchSize?: number } = {}): Promise<Store> {
  return createRedisStore(await connectRedis(url, 1000, logger), options);
}

/** Every key of one tenant, as keys.ts builds them. */
const tenantKeys = (t: string): string[] => [keys.tenantMarker(t), ...tenantDataKeys(t), ...tenantSortedSets(t)];
const registryKeys = (): string[] => [keys.tenants(), keys.tenantCas(), keys.caIndex(), keys.caShared(), keys.tenantAliases(), keys.tenantsDeleting(), keys.initialised()];

async function hdelCalls(raw: Redis): Promise<number> {
  const info = await raw.info('commandstats');
  const match = /^cmdstat_hdel:calls=(\d+)/m.exec(info);
  return match === null ? 0 : Number(match[1]);
}

async function inChunks<T>(items: readonly T[], size: number, work: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

/**
 * A TCP proxy in front of Redis for one client connection that can hold back what the client
 * sends next, so a test can run other work between two round trips of one store call.
 */
interface HoldingProxy {
  readonly url: string;
  /** Starts holding client → server data as soon as the next server reply passes; resolves then. */
  holdAfterNextReply(): Promise<void>;
  /** Forwards everything held and stops holding. */
  release(): void;
  close(): Promise<void>;
}

async function startHoldingProxy(targetPort: number): Promise<HoldingProxy> {
  const sockets = new Set<Socket>();
  let upstream: Socket | undefined;
  let armed: (() => void) | undefined;
  let holding = false;
  const held: Buffer[] = [];
  const server = createServer((client) => {
    const up = createConnection(targetPort, '127.0.0.1');
    upstream = up;
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
    client.on('data', (data: Buffer) => (holding ? held.push(data) : up.write(data)));
    up.on('data', (data: Buffer) => {
      if (armed !== undefined) {
        holding = true;
        armed();
        armed = undefined;
      }
      client.write(data);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `redis://127.0.0.1:${port}`,
    holdAfterNextReply: () => new Promise<void>((resolve) => (armed = resolve)),
    release: () => {
      holding = false;
      for (const data of held.splice(0)) upstream?.write(data);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

storeContract('redis standalone', async () => {
  const redis = await sharedRedis();
  const store = await openStore(redis.url);
  return {
    store,
    flush: async () => {
      expect(await redis.command('FLUSHALL')).to.equal('+OK');
    },
    teardown: () => store.close(),
  };
});

describe('Redis store, standalone only', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let raw: Redis;
  let store: Store;

  before(async function () {
    redis = await sharedRedis();
    raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await raw.connect();
    store = await openStore(redis.url);
  });
  beforeEach(async function () {
    await raw.flushall();
  });
  after(async function () {
    await store?.close();
    await raw?.quit();
  });

  describe('Lua scripts', function () {
    const someScripts = () => [lua.getInTenant, deviceLua.createDevice, lua.provisionDevice, security.denyDevice, security.authenticate].map(scriptSha);

    it('are loaded when the store connects, and still run after SCRIPT FLUSH', async function () {
      await raw.script('FLUSH');
      const fresh = await openStore(redis.url);
      try {
        expect(await raw.script('EXISTS', ...someScripts())).to.deep.equal([1, 1, 1, 1, 1]);
        await raw.script('FLUSH');
        await fresh.createTenant('t1', tenantJson('t1'), []);
        await fresh.createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        expect(dataOf(await fresh.getDevice('t1', 'd1'))).to.equal(deviceJson('d1'));
      } finally {
        await fresh.close();
      }
    });
  });

  describe('tenant purge', function () {
    let batched: Store;
    before(async function () {
      batched = await openStore(redis.url, { purgeBatchSize: 100 });
    });
    after(async function () {
      await batched?.close();
    });

    it("deleteTenant of a tenant with 2,500 devices and 2,500 credentials removes every one of its keys, in batches", async function () {
      const t = 'big';
      await batched.createTenant(t, tenantJson(t), ['CN=big-ca']);
      await batched.createTenant('other', tenantJson('other'), []);
      await batched.createDevice('other', 'd0', deviceJson('d0'), CREATION);
      await batched.addCredentials('other', 'psk', 'a0', 'd0', credJson('d0', 'psk', 'a0'));
      const ids = Array.from({ length: 2500 }, (_, i) => `d${i}`);
      await inChunks(ids, 250, async (d) => {
        await batched.createDevice(t, d, deviceJson(d), CREATION);
        await batched.addCredentials(t, 'psk', `${d}-auth`, d, credJson(d, 'psk', `${d}-auth`));
      });
      expect(await raw.hlen(keys.devices(t))).to.equal(2500);
      expect(await raw.hlen(keys.credentials(t))).to.equal(2500);
      expect(await raw.hlen(keys.deviceCredentials(t))).to.equal(2500);

      const before = await hdelCalls(raw);
      await batched.deleteTenant(t);
      const calls = (await hdelCalls(raw)) - before;
      // 7,500 hash fields at 100 per HDEL: far more than 25 calls; one big HDEL per hash would be 3.
      expect(calls, `HDEL calls during the purge: ${calls}`).to.be.at.least(25);

      for (const key of tenantKeys(t)) expect(await raw.exists(key), key).to.equal(0);
      expect(await raw.hexists(keys.tenantsDeleting(), t)).to.equal(0);
      expect(await raw.hexists(keys.tenants(), t)).to.equal(0);
      expect(await raw.hexists(keys.tenantCas(), t)).to.equal(0);
      expect(await raw.hexists(keys.caIndex(), 'CN=big-ca')).to.equal(0);
      // Nothing else in the database carries the tenant's hash tag.
      const left = await raw.keys('*');
      expect(left.filter((k) => k.includes(`{${escapeId(t)}}`))).to.deep.equal([]);
      expect(left.every((k) => registryKeys().includes(k) || tenantKeys('other').includes(k)), left.join(', ')).to.equal(true);
      // The other tenant is untouched.
      expect(dataOf(await batched.getDevice('other', 'd0'))).to.equal(deviceJson('d0'));
      expect(await batched.getDeviceCredentials('other', 'd0')).to.deep.equal([credJson('d0', 'psk', 'a0')]);
    });
  });

  describe('tenant creation racing with its deletion', function () {
    // createTenant writes the tenant (registry slot) and then its marker (tenant slot). A deletion
    // in between is refused with CONFLICT until the marker is written, so no orphan marker can remain.
    it('refuses to delete a tenant whose creation is still finishing, and leaves no orphan marker', async function () {
      const proxy = await startHoldingProxy(redis.port);
      const creator = await openStore(proxy.url);
      try {
        await creator.createTenant('warm-up', tenantJson('warm-up'), []); // loads the script
        const held = proxy.holdAfterNextReply();
        const creating = creator.createTenant('t1', tenantJson('t1'), []);
        await held; // the create script has run; the store's next command is held back
        expect(await store.getTenant('t1')).to.equal(tenantJson('t1'));
        await expectRegistryError(store.deleteTenant('t1'), 'CONFLICT', /being created/);
        proxy.release();
        await creating;
        await store.deleteTenant('t1');

        expect(await store.getTenant('t1')).to.equal(null);
        await expectRegistryError(store.createDevice('t1', 'd1', deviceJson('d1'), CREATION), 'NOT_FOUND', /t1/);
        await store.recover();
        await store.createTenant('t1', tenantJson('t1'), []);
        expect((await store.lookupDevices('t1', ['d1'])).map(dataOf)).to.deep.equal([null]);
      } finally {
        await creator.close();
        await proxy.close();
      }
    });
  });

  describe('key layout', function () {
    const weird = ['a', 'a}', 'a%7D', '{a}', '}{', 'x:y', '50%', 'st*r', 'with space', 'ünïcödé', '日本', '😀', '~registry', '{~registry}'];

    it('keys of ids with { } : % * spaces and unicode all share the tenant hash tag', async function () {
      // Redis 7.0 refuses CLUSTER KEYSLOT with cluster support disabled, so a throw-away
      // cluster-enabled node (no slots assigned; KEYSLOT only hashes) does the computing.
      const node = await startTestRedis(['--cluster-enabled', 'yes']);
      const slotter = new Redis(node.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await slotter.connect();
        const slot = (key: string) => slotter.call('CLUSTER', 'KEYSLOT', key);
        const registrySlot = await slot('~registry');
        for (const key of registryKeys()) expect(await slot(key), key).to.equal(registrySlot);
        const tenantSlots = new Set<unknown>();
        for (const t of weird) {
          const tag = escapeId(t);
          expect(tag, t).to.match(/^[A-Za-z0-9._%-]+$/);
          const tagSlot = await slot(tag);
          tenantSlots.add(tagSlot);
          for (const key of tenantKeys(t)) {
            expect(key.indexOf('{'), key).to.equal(key.lastIndexOf('{'));
            expect(key.slice(key.indexOf('{') + 1, key.indexOf('}')), key).to.equal(tag);
            expect(await slot(key), `${key} of tenant ${JSON.stringify(t)}`).to.equal(tagSlot);
          }
        }
        // Sanity check that the slots really are computed per tag (not all the same).
        expect(tenantSlots.size).to.be.greaterThan(1);
      } finally {
        await slotter.quit();
        await node.destroy();
      }
    });

    it('tenants a, a} and a%7D (and other look-alikes) never share a key, and their data stays apart', async function () {
      const all = weird.flatMap((t) => tenantKeys(t));
      expect(new Set(all).size).to.equal(all.length);
      for (const key of registryKeys()) expect(all).to.not.include(key);

      const deviceIds = ['d', 'd}', '{d}', 'd:x', '50%', '*', 'a b', 'ü✓', '😀'];
      for (const t of weird) {
        await store.createTenant(t, tenantJson(t), []);
        for (const d of deviceIds) {
          await store.createDevice(t, d, deviceJson(d, { tenant: t }), CREATION);
          await store.addCredentials(t, 'psk', d, d, credJson(d, 'psk', d, { tenant: t }));
        }
      }
      for (const t of weird) {
        expect(await store.getTenant(t)).to.equal(tenantJson(t));
        expect((await store.lookupDevices(t, deviceIds)).map(dataOf)).to.deep.equal(deviceIds.map((d) => deviceJson(d, { tenant: t })));
        for (const d of deviceIds) {
          expect(await store.getDeviceCredentials(t, d)).to.deep.equal([credJson(d, 'psk', d, { tenant: t })]);
          expect(dataOf(await raw.hget(keys.devices(t), d))).to.equal(deviceJson(d, { tenant: t }));
        }
      }
      // Every key in the database is one keys.ts builds for a known tenant or the registry.
      const expected = new Set([...registryKeys(), ...all]);
      const actual = await raw.keys('*');
      expect(actual.filter((k) => !expected.has(k))).to.deep.equal([]);
      // Deleting one look-alike leaves the others intact.
      await store.deleteTenant('a}');
      expect((await store.lookupDevices('a', ['d'])).map(dataOf)).to.deep.equal([deviceJson('d', { tenant: 'a' })]);
      expect((await store.lookupDevices('a%7D', ['d'])).map(dataOf)).to.deep.equal([deviceJson('d', { tenant: 'a%7D' })]);
      expect((await store.lookupDevices('a}', ['d'])).map(dataOf)).to.deep.equal([null]);
    });
  });

  describe('recover', function () {
    it('finishes a tenant deletion left half-done', async function () {
      const t = 'half';
      await store.createTenant(t, tenantJson(t), []);
      for (const d of ['d1', 'd2', 'd3']) {
        await store.createDevice(t, d, deviceJson(d), CREATION);
        await store.addCredentials(t, 'psk', d, d, credJson(d, 'psk', d));
      }
      await store.createTenant('keep', tenantJson('keep'), []);
      await store.createDevice('keep', 'd1', deviceJson('d1'), CREATION);
      // The state beginTenantDeletion leaves: the tenant moved to tenants-deleting, data still there.
      await raw.hdel(keys.tenants(), t);
      await raw.hset(keys.tenantsDeleting(), t, tenantJson(t));
      expect(await raw.exists(...tenantDataKeys(t))).to.equal(3);
      // While it is being deleted, the id cannot be taken again.
      await expectRegistryError(store.createTenant(t, tenantJson(t), []), 'CONFLICT', /deleted/);

      await store.recover();

      for (const key of tenantKeys(t)) expect(await raw.exists(key), key).to.equal(0);
      expect(await raw.hexists(keys.tenantsDeleting(), t)).to.equal(0);
      expect(dataOf(await store.getDevice('keep', 'd1'))).to.equal(deviceJson('d1'));
      await store.createTenant(t, tenantJson(t), []);
      expect((await store.lookupDevices(t, ['d1', 'd2', 'd3'])).map(dataOf)).to.deep.equal([null, null, null]);
      expect(await store.getDeviceCredentials(t, 'd1')).to.deep.equal([]);
    });

    it('builds the credentials search index of records written before it existed, leaving other tenants alone', async function () {
      await store.createTenant('t1', tenantJson('t1'), []);
      await store.createTenant('t2', tenantJson('t2'), []);
      for (let i = 0; i < 1200; i++) await store.addCredentials('t1', 'psk', `a${i}`, `d${i % 7}`, credJson(`d${i % 7}`, 'psk', `a${i}`));
      await store.addCredentials('t2', 'psk', 'kept', 'd', credJson('d', 'psk', 'kept'));
      await raw.del(keys.credentialsSearch('t1'));
      await raw.zadd(keys.credentialsSearch('t2'), 0, 'a\0marker-of-a-live-index\0psk');
      expect((await store.searchCredentials('t1', credentialSearchPrefix({ type: 'psk', authIdPrefix: '' }), 0, 1)).total).to.equal(0);

      await store.recover();

      const page = await store.searchCredentials('t1', credentialSearchPrefix({ type: 'psk', authIdPrefix: 'a119' }), 0, 20);
      expect(page.total).to.equal(11);
      expect(page.entries[0]?.json).to.equal(credJson('d0', 'psk', 'a119'));
      expect(await raw.zcard(keys.credentialsSearch('t1'))).to.equal(2400);
      // A tenant whose index exists is not rebuilt (the stray member stays for the consistency check to find).
      expect(await raw.zscore(keys.credentialsSearch('t2'), 'a\0marker-of-a-live-index\0psk')).to.equal('0');
    });

    it('restores a missing tenant marker of a tenant in the tenants hash', async function () {
      await store.createTenant('t1', tenantJson('t1'), []);
      await store.createDevice('t1', 'd1', deviceJson('d1'), CREATION);
      await raw.del(keys.tenantMarker('t1'));
      await expectRegistryError(store.createDevice('t1', 'd2', deviceJson('d2'), CREATION), 'NOT_FOUND', /t1/);

      await store.recover();

      expect(await raw.exists(keys.tenantMarker('t1'))).to.equal(1);
      await store.createDevice('t1', 'd2', deviceJson('d2'), CREATION);
      expect(dataOf(await store.getDevice('t1', 'd1'))).to.equal(deviceJson('d1'));
    });
  });

  describe('when the Redis server is down', function () {
    let own: TestRedis;
    let downStore: Store;

    before(async function () {
      own = await startTestRedis();
      downStore = await openStore(own.url);
    });
    after(async function () {
      await downStore?.close();
      await own?.destroy();
    });

    it('store calls reject with UNAVAILABLE while the server is down, and the store works again after a restart', async function () {
      await downStore.createTenant('t1', tenantJson('t1'), []);
      await own.stop();

      const calls: [string, () => Promise<unknown>][] = [
        ['ping', () => downStore.ping()],
        ['getTenant', () => downStore.getTenant('t1')],
        ['createTenant', () => downStore.createTenant('t2', tenantJson('t2'), [])],
        ['getTenantByCa', () => downStore.getTenantByCa('CN=x')],
        ['createDevice', () => downStore.createDevice('t1', 'd1', deviceJson('d1'), CREATION)],
        ['getDevice', () => downStore.getDevice('t1', 'd1')],
        ['lookupDevices', () => downStore.lookupDevices('t1', ['d1'])],
        ['lookupCredentials', () => downStore.lookupCredentials('t1', 'psk', 'a')],
        ['getDeviceCredentials', () => downStore.getDeviceCredentials('t1', 'd1')],
        ['deleteTenant', () => downStore.deleteTenant('t1')],
        ['isInitialised', () => downStore.isInitialised()],
        ['recover', () => downStore.recover()],
      ];
      // Each call gives up by itself: the server stays down until every one has been answered.
      for (const [name, call] of calls) {
        const err = await expectRegistryError(call(), 'UNAVAILABLE');
        expect(err.status, name).to.equal(503);
      }

      await own.restart();
      await eventually('the store reconnecting', () => downStore.ping());
      // The restarted server is empty (no persistence): the reconnection loaded the scripts again.
      const shas = [lua.getInTenant, tenantScripts.createTenant].map(scriptSha);
      await eventually('the scripts being loaded again', async () => {
        expect((await own.command(`SCRIPT EXISTS ${shas.join(' ')}`)).replace(/\s+/g, ' ')).to.equal('*2 :1 :1');
      });
      await downStore.createTenant('t1', tenantJson('t1'), []);
      await downStore.createDevice('t1', 'd1', deviceJson('d1'), CREATION);
      expect(dataOf(await downStore.getDevice('t1', 'd1'))).to.equal(deviceJson('d1'));
      expect((await downStore.lookupDevices('t1', ['d1'])).map(dataOf)).to.deep.equal([deviceJson('d1')]);
    });

    it('store calls reject with UNAVAILABLE while the server does not answer, and work again once it does', async function () {
      await downStore.ping();
      own.freeze();
      try {
        // The connection stays open and the commands go out; nothing comes back until the thaw.
        const calls = [() => downStore.ping(), () => downStore.getTenant('t1'), () => downStore.lookupDevices('t1', ['d1']), () => downStore.getDevice('t1', 'd1')];
        await Promise.all(calls.map((call) => expectRegistryError(call(), 'UNAVAILABLE')));
      } finally {
        own.thaw();
      }
      await downStore.ping();
      await downStore.createTenant('t9', tenantJson('t9'), []);
      expect(await downStore.getTenant('t9')).to.equal(tenantJson('t9'));
    });
  });
});
