/**
 * A large import prepares its entries in a worker thread (src/service/transfer-prepare-pool.ts):
 * the same entries give the same counts, the same failures in the same order and the same stored
 * records as an import prepared entirely in the importing thread.
 */
import { expect } from 'chai';
import { createLogger } from '../../src/log.js';
import { createBcryptHasher } from '../../src/service/password-hasher.js';
import { createTransferService, type DeviceEntry, type ImportFailure } from '../../src/service/transfer.js';
import { PreparePool } from '../../src/service/transfer-prepare-pool.js';
import { connectRedis, createRedisStore } from '../../src/store/redis.js';
import type { Store } from '../../src/store/store.js';
import { sharedRedis } from '../helpers/root-hooks.js';
import { dataOf } from './store-contract.js';

const COUNT = 4500;
const HASH = Buffer.alloc(64, 7).toString('base64');
const SALT = Buffer.alloc(16, 3).toString('base64');

/** Mostly valid devices with a hashed password, and every 97th entry broken, duplicated or with a plain password. */
function* entries(tenant: string): Generator<DeviceEntry> {
  for (let i = 0; i < COUNT; i++) {
    const device = i % 499 === 5 ? `dev-${i - 1}` : `dev-${i}`; // listed twice
    const secret = i % 97 === 3 ? { 'pwd-plain': `secret-${i}` } : { 'hash-function': 'sha-512', 'pwd-hash': i % 97 === 7 ? 'not base64!' : HASH, salt: SALT };
    const record = i % 97 === 11 ? { 'auth-id': `auth-${i}`, secrets: [secret] } : { type: 'hashed-password', 'auth-id': `auth-${i}`, secrets: [secret] };
    const data = i % 97 === 13 ? { enabled: 'yes' } : i % 10 === 0 ? { via: ['gw-1'], ext: { n: i } } : {};
    yield { at: `entry ${i}`, tenant: i % 97 === 17 ? 'no-such-tenant' : tenant, deviceId: device, data, credentials: [{ at: `entry ${i}`, record }] };
  }
}

describe('import preparation in a worker thread', function () {
  this.timeout(60_000);
  let store: Store;

  before(async function () {
    const redis = await sharedRedis();
    store = createRedisStore(await connectRedis(redis.url, 5000, createLogger('warn')));
  });

  after(async function () {
    await store.close();
  });

  beforeEach(async function () {
    await (await sharedRedis()).command('FLUSHALL');
    for (const t of ['in-thread', 'in-worker']) await store.createTenant(t, JSON.stringify({ 'tenant-id': t, enabled: true }), []);
  });

  async function importAs(tenant: string, prepareInWorker: boolean): Promise<{ counts: object; failures: ImportFailure[] }> {
    const transfer = createTransferService(store, { maxBcryptCost: 10, hasher: createBcryptHasher(4) });
    const failures: ImportFailure[] = [];
    const counts = await transfer.importDevices(entries(tenant), { replace: false, prepareInWorker, onFailure: (f) => failures.push(f) });
    return { counts, failures };
  }

  it('gives the same counts, failures and stored records as preparing in the importing thread', async function () {
    const before = PreparePool.answered;
    const inThread = await importAs('in-thread', false);
    expect(PreparePool.answered, 'entries answered by a worker when it is off').to.equal(before);
    const inWorker = await importAs('in-worker', true);
    // The first chunk (1000 entries) is prepared in the importing thread, the rest by the worker.
    expect(PreparePool.answered - before, 'entries answered by the worker').to.equal(COUNT - 1000);

    expect(inWorker.counts).to.deep.equal(inThread.counts);
    expect((inThread.counts as { failed: number }).failed).to.be.greaterThan(100);
    expect((inThread.counts as { hashed: number }).hashed).to.be.greaterThan(40);
    const neutral = (list: ImportFailure[]) => list.map((f) => ({ at: f.at, reason: f.reason.replaceAll('in-worker', 'T').replaceAll('in-thread', 'T') }));
    expect(neutral(inWorker.failures)).to.deep.equal(neutral(inThread.failures));
    expect(inThread.failures.map((f) => f.reason).join('\n'))
      .to.include('listed more than once')
      .and.to.include('credentials entry 7:')
      .and.to.include('credentials entry 11:')
      .and.to.include('tenant "no-such-tenant" not found');

    for (const i of [0, 1, 10, 3, 500, 2003, COUNT - 1]) {
      // The records without their status, whose creation time differs between the two imports.
      const [a, b] = await Promise.all(['in-thread', 'in-worker'].map(async (t) => (await store.lookupDevices(t, [`dev-${i}`])).map(dataOf)));
      expect(b, `device ${i}`).to.deep.equal(a);
      const [ca, cb] = await Promise.all(['in-thread', 'in-worker'].map((t) => store.lookupCredentials(t, 'hashed-password', `auth-${i}`)));
      if (i % 97 === 3) expect(JSON.parse(cb as string).secrets[0]['pwd-hash']).to.match(/^\$2a\$04\$/);
      else expect(cb, `credentials ${i}`).to.equal(ca);
    }
  });
});
