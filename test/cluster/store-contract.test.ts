/**
 * The Store contract (test/integration/store-contract.ts) on the run's 3-master Redis Cluster:
 * every script, MULTI and lookup must work when the registry's keys are spread over three masters.
 */
import { expect } from 'chai';
import { createLogger } from '../../src/log.js';
import { keys } from '../../src/store/keys.js';
import { connectRedisCluster, createRedisStore } from '../../src/store/redis.js';
import { parseClusterNodes } from '../../src/config.js';
import { startTestCluster } from '../helpers/redis-cluster.js';
import { sharedStore } from '../helpers/root-hooks.js';
import type { TestCluster } from '../helpers/redis-cluster.js';
import { storeContract } from '../integration/store-contract.js';

async function clusterStore(cluster: Pick<TestCluster, 'seeds'>) {
  const config = parseClusterNodes(cluster.seeds, []) ?? { nodes: [] };
  return createRedisStore(await connectRedisCluster(config, 1000, createLogger('silent')));
}

storeContract('redis cluster (3 masters)', async () => {
  const cluster = (await sharedStore()) as TestCluster;
  const store = await clusterStore(cluster);
  return {
    store,
    flush: async () => {
      expect(await cluster.command('FLUSHALL')).to.equal('+OK');
    },
    teardown: () => store.close(),
  };
});

describe('Redis store on a cluster: key placement', function () {
  this.timeout(60_000);

  it('spreads tenants over the masters, keeps each tenant on one master, and the registry and auth records on one each', async function () {
    const cluster = (await sharedStore()) as TestCluster;
    const owners = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const t = `tenant-${i}`;
      const master = await cluster.masterOf(keys.devices(t));
      owners.add(master.port);
      for (const key of [keys.tenantMarker(t), keys.credentials(t), keys.deviceCredentials(t), keys.credentialsSearch(t), keys.deniedDevices(t), keys.deniedIndex(t), keys.lastGateways(t)]) {
        expect((await cluster.masterOf(key)).port, key).to.equal(master.port);
      }
    }
    expect(owners.size, 'tenants on distinct masters').to.equal(3);
    const registry = await cluster.masterOf(keys.tenants());
    for (const key of [keys.tenantCas(), keys.caIndex(), keys.tenantsDeleting(), keys.tenantsCreating(), keys.initialised()]) {
      expect((await cluster.masterOf(key)).port, key).to.equal(registry.port);
    }
    const auth = await cluster.masterOf(keys.tokenIds());
    for (const key of [keys.token('ab'), keys.tokenLastUsed(), keys.authFailures('127.0.0.1'), keys.authBlocked('::1'), keys.audit()]) {
      expect((await cluster.masterOf(key)).port, key).to.equal(auth.port);
    }
  });

  it('refuses to connect when no seed node answers (UNAVAILABLE), and connects through any one live seed', async function () {
    const cluster = await startTestCluster({ masters: 3 });
    try {
      const [first] = cluster.nodes;
      const seeds = `127.0.0.1:1,${cluster.seeds.split(',')[1] as string}`;
      const store = await clusterStore({ seeds });
      await store.ping();
      await store.createTenant('t', '{"tenant-id":"t"}', []);
      expect(await store.getTenant('t')).to.equal('{"tenant-id":"t"}');
      await store.close();
      await cluster.stopAll();
      const err = await clusterStore({ seeds: `127.0.0.1:${(first as { port: number }).port}` }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.have.property('code', 'UNAVAILABLE');
    } finally {
      await cluster.destroy();
    }
  });
});
