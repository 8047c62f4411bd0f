/**
 * Faults of a Redis Cluster under a running registry, each with a private cluster:
 * - every node stopped (then killed): HTTP and AMQP answer 503 within the bound, nothing hangs or
 *   crashes, and service comes back by itself with the data when the nodes return;
 * - the master of a tenant's slot SIGKILLed: while its replica takes over, answers are 200 or
 *   503 (never 500, never a hang); after the promotion, reads and writes succeed again;
 * - a tenant's slot migrated to another master key by key (ASK, TRYAGAIN, then MOVED): answers are
 *   200 or 503 meanwhile, and everything is served from the new master afterwards.
 */
import { expect } from 'chai';
import { keys } from '../../src/store/keys.js';
import { openClient, type AmqpClient, type Response } from '../helpers/amqp-client.js';
import { nodeCommand, startTestCluster, type TestCluster } from '../helpers/redis-cluster.js';
import { connectionAttempt } from '../helpers/redis-server.js';
import { http, startTestRegistry, type HttpResult, type TestRegistry } from '../helpers/registry.js';
import { ADAPTER_USER, adapterPassword } from '../integration/amqp/support.js';

/** Bound on each wait for an answer (not a speed requirement: the registry's timeout is 1 s). */
const BOUND_MS = 2000;

/** Resolves with the answer, or fails when there is none after `ms`. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Faces {
  registry: TestRegistry;
  amqp: AmqpClient;
  get(path: string): Promise<HttpResult>;
  send(method: string, path: string, body?: unknown): Promise<HttpResult>;
  assert(tenant: string, device: string): Promise<Response>;
}

async function startFaces(cluster: TestCluster): Promise<Faces> {
  const registry = await startTestRegistry({ ...cluster.env, REGISTRY_REDIS_COMMAND_TIMEOUT_MS: '1000' });
  const amqp = await openClient({ port: registry.registry.amqpPort, username: ADAPTER_USER, password: adapterPassword(registry) });
  const send = (method: string, path: string, body?: unknown) => within(BOUND_MS, `${method} ${path}`, http(registry.base, method, path, body));
  return {
    registry,
    amqp,
    get: (path) => send('GET', path),
    send,
    assert: (tenant, device) =>
      within(BOUND_MS + 500, `assert ${device}`, amqp.request(`registration/${tenant}`, { subject: 'assert', applicationProperties: { device_id: device } }, { timeoutMs: BOUND_MS })),
  };
}

/** A 503 with a JSON error naming no driver detail. */
function expectUnavailable(res: HttpResult): void {
  expect(res.status, res.text).to.equal(503);
  expect(res.json, res.text).to.have.property('error').that.is.a('string');
  for (const detail of ['ECONNREFUSED', 'ioredis', 'CLUSTERDOWN', 'MOVED', 'Command timed out', '127.0.0.1', '    at ']) expect(res.text).to.not.include(detail);
}

/** Polls until `ok()` holds, each try bounded, for at most `ms`. */
async function eventually(ms: number, what: string, ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown = 'never tried';
  while (Date.now() < deadline) {
    try {
      if (await ok()) return;
      last = 'not yet';
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`${what} did not happen within ${ms} ms (last: ${String(last)})`);
}

describe('registry on a Redis Cluster: faults', function () {
  this.timeout(120_000);
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  before(() => process.on('unhandledRejection', onRejection));
  after(() => process.off('unhandledRejection', onRejection));

  describe('every node stopped', function () {
    let cluster: TestCluster;
    let faces: Faces;

    before(async function () {
      cluster = await startTestCluster({ masters: 3 });
      faces = await startFaces(cluster);
      for (let i = 0; i < 6; i++) expect((await faces.send('POST', '/tenant', { 'tenant-id': `t${i}` })).status).to.equal(201);
      expect((await faces.send('POST', '/registration/t0', { 'device-id': 'd0' })).status).to.equal(201);
    });
    after(async function () {
      await faces?.amqp.close();
      await faces?.registry.stop();
      await cluster?.destroy();
    });

    for (const hard of [false, true]) {
      it(`answers HTTP and AMQP 503 within the bound while every node is ${hard ? 'killed' : 'stopped'}, and recovers with the data when they return`, async function () {
        await cluster.stopAll(hard);
        for (let round = 0; round < 2; round++) {
          expectUnavailable(await faces.get('/tenant/t1'));
          expectUnavailable(await faces.get('/registration/t0/d0'));
          expectUnavailable(await faces.send('POST', '/tenant', { 'tenant-id': 'during' }));
          expectUnavailable(await faces.get('/ready'));
          const answer = await faces.assert('t0', 'd0');
          expect(answer.status, JSON.stringify(answer.body)).to.equal(503);
          expect(answer.statusType).to.be.oneOf(['Int', 'SmallInt']);
          // Asked again once the registry has tried to reach the cluster again.
          if (round === 0) await connectionAttempt((cluster.nodes[0] as { port: number }).port);
        }
        expect((await faces.get('/health')).status).to.equal(200);

        await cluster.restartAll();
        await cluster.waitHealthy();
        await eventually(15_000, 'recovery', async () => (await faces.get('/ready')).status === 200 && (await faces.get('/tenant/t5')).status === 200);
        expect((await faces.get('/registration/t0/d0')).status).to.equal(200);
        expect((await faces.assert('t0', 'd0')).status).to.equal(200);
        expect((await faces.get('/tenant/during')).status).to.equal(404);
        expect((await faces.send('POST', '/tenant', { 'tenant-id': `after-${String(hard)}` })).status).to.equal(201);
      });
    }

    it('did not crash: no unhandled rejection, no fatal log line', function () {
      expect(rejections.map(String)).to.deep.equal([]);
      expect(faces.registry.logs.filter((line) => /"level":60/.test(line))).to.deep.equal([]);
    });
  });

  describe('a master killed', function () {
    let cluster: TestCluster;
    let faces: Faces;
    const T = 'failover-tenant';

    before(async function () {
      cluster = await startTestCluster({ masters: 3, replicas: 1, nodeTimeoutMs: 1000 });
      faces = await startFaces(cluster);
      expect((await faces.send('POST', '/tenant', { 'tenant-id': T })).status).to.equal(201);
      for (let i = 0; i < 20; i++) expect((await faces.send('POST', `/registration/${T}`, { 'device-id': `d${i}` })).status).to.equal(201);
      // Replication is asynchronous: the writes must be on the replica before its master dies.
      await cluster.waitHealthy();
      await cluster.waitReplicated();
    });
    after(async function () {
      await faces?.amqp.close();
      await faces?.registry.stop();
      await cluster?.destroy();
    });

    it('answers 200 or 503 (never 500, never a hang) while a replica takes over, then serves reads and writes again', async function () {
      const victim = await cluster.masterOf(keys.devices(T));
      const registrySlotOwner = await cluster.masterOf(keys.tenants());
      await victim.stop(true);
      const seen = new Map<string, number>();
      const count = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);
      let recovered = false;
      const deadline = Date.now() + 30_000;
      while (!recovered && Date.now() < deadline) {
        const [read, write, amqp] = await Promise.all([
          faces.get(`/registration/${T}/d1`),
          faces.send('PUT', `/registration/${T}/d2`, { ep: `at-${Date.now()}` }),
          faces.assert(T, 'd3'),
        ]);
        for (const [face, status] of [['http read', read.status], ['http write', write.status], ['amqp assert', amqp.status]] as const) {
          expect([200, 204, 503], `${face} answered ${String(status)}`).to.include(status);
          count(`${face} ${String(status)}`);
        }
        if (read.status === 503) expectUnavailable(read);
        recovered = read.status === 200 && write.status === 204 && amqp.status === 200;
        if (!recovered) await sleep(100);
      }
      expect(recovered, `no recovery within 30 s; answers: ${JSON.stringify([...seen])}`).to.equal(true);
      // A replica serves the slot now; everything written before the kill is there.
      expect((await cluster.masterOf(keys.devices(T))).port).to.not.equal(victim.port);
      for (let i = 0; i < 20; i++) expect((await faces.get(`/registration/${T}/d${i}`)).status, `d${i}`).to.equal(200);
      expect((await faces.send('POST', `/registration/${T}`, { 'device-id': 'after-failover' })).status).to.equal(201);
      expect((await faces.assert(T, 'after-failover')).status).to.equal(200);
      await eventually(15_000, '/ready', async () => (await faces.get('/ready')).status === 200);
      // The registry-wide records were elsewhere or failed over too: tenant writes work.
      expect(registrySlotOwner.port).to.be.a('number');
      expect((await faces.send('POST', '/tenant', { 'tenant-id': 'after-failover' })).status).to.equal(201);
      expect(rejections.map(String)).to.deep.equal([]);
    });

    it('the killed master comes back as a replica and the registry keeps serving', async function () {
      const stopped = cluster.nodes.find((n) => !n.running());
      expect(stopped, 'the killed node').to.not.equal(undefined);
      await stopped?.restart();
      await cluster.waitHealthy();
      expect((await faces.get(`/registration/${T}/after-failover`)).status).to.equal(200);
      expect((await faces.get('/ready')).status).to.equal(200);
    });
  });

  describe('a tenant\'s slot migrated to another master', function () {
    let cluster: TestCluster;
    let faces: Faces;
    const T = 'migrating-tenant';

    before(async function () {
      cluster = await startTestCluster({ masters: 3 });
      faces = await startFaces(cluster);
      expect((await faces.send('POST', '/tenant', { 'tenant-id': T })).status).to.equal(201);
      for (let i = 0; i < 10; i++) {
        expect((await faces.send('POST', `/registration/${T}`, { 'device-id': `d${i}` })).status).to.equal(201);
        expect((await faces.send('POST', `/credentials/${T}`, { 'device-id': `d${i}`, type: 'psk', 'auth-id': `p${i}`, secrets: [{ key: 'c2VjcmV0' }] })).status).to.equal(201);
      }
    });
    after(async function () {
      await faces?.amqp.close();
      await faces?.registry.stop();
      await cluster?.destroy();
    });

    it('answers 200 or 503 while the keys move one by one (ASK, TRYAGAIN), and serves everything from the new master afterwards', async function () {
      const slot = (await nodeCommand(cluster.nodes[0]?.port as number, ['CLUSTER', 'KEYSLOT', keys.devices(T)])).trim();
      const source = await cluster.masterOf(keys.devices(T));
      const target = cluster.nodes.find((n) => n.port !== source.port) as (typeof cluster.nodes)[number];
      const id = async (port: number) => (await nodeCommand(port, ['CLUSTER', 'MYID'])).trim();
      const [sourceId, targetId] = [await id(source.port), await id(target.port)];
      await nodeCommand(target.port, ['CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId]);
      await nodeCommand(source.port, ['CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId]);
      const slotKeys = JSON.parse(await nodeCommand(source.port, ['CLUSTER', 'GETKEYSINSLOT', slot, '100'])) as string[];
      expect(slotKeys).to.include(keys.devices(T)).and.include(keys.credentials(T));

      const answers = new Map<string, number>();
      const probe = async () => {
        const [read, amqp, creds] = await Promise.all([
          faces.get(`/registration/${T}/d1`),
          faces.assert(T, 'd2'),
          faces.amqp.request(`credentials/${T}`, { subject: 'get', body: { type: 'psk', 'auth-id': 'p3' } }, { timeoutMs: BOUND_MS }),
        ]);
        for (const [face, status] of [['http read', read.status], ['amqp assert', amqp.status], ['amqp credentials', creds.status]] as const) {
          expect([200, 503], `${face} answered ${String(status)} during the migration`).to.include(status);
          answers.set(`${face} ${String(status)}`, (answers.get(`${face} ${String(status)}`) ?? 0) + 1);
        }
      };
      // Half-moved: some of the tenant's keys are on the target, the others still on the source.
      for (const key of slotKeys) {
        await nodeCommand(source.port, ['MIGRATE', '127.0.0.1', String(target.port), '', '0', '5000', 'KEYS', key]);
        await probe();
      }
      for (const node of cluster.nodes) await nodeCommand(node.port, ['CLUSTER', 'SETSLOT', slot, 'NODE', targetId]);
      await cluster.waitHealthy();

      expect((await cluster.masterOf(keys.devices(T))).port).to.equal(target.port);
      await eventually(10_000, 'service from the new master', async () => (await faces.get(`/registration/${T}/d1`)).status === 200);
      for (let i = 0; i < 10; i++) {
        expect((await faces.get(`/registration/${T}/d${i}`)).status, `d${i}`).to.equal(200);
        expect((await faces.assert(T, `d${i}`)).status, `assert d${i}`).to.equal(200);
      }
      expect((await faces.send('POST', `/registration/${T}`, { 'device-id': 'after-migration' })).status).to.equal(201);
      expect((await faces.send('DELETE', `/registration/${T}/d0`)).status).to.equal(204);
      expect((await faces.assert(T, 'd0')).status).to.equal(404);
      expect(answers.size, 'probes ran').to.be.greaterThan(0);
      expect(rejections.map(String)).to.deep.equal([]);
    });
  });
});
