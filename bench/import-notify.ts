/**
 * What the notification outbox costs the import path (docs/notifications.md "Write cost"): the
 * same data set imported through `device-registry import`'s transfer service with notifications
 * off (no outbox key: the scripts skip the prelude's work) and on (one XADD per announced change,
 * a doorbell SADD per script call), in alternating rounds on one redis-server, each round into a
 * fresh tenant. Prints devices per second of each round and the median ratio. Not a test.
 * Run: npx tsx bench/import-notify.ts [devices per round, default 20000] [rounds, default 5]
 */
import { createLogger } from '../src/log.js';
import { createBcryptHasher } from '../src/service/password-hasher.js';
import { createTransferService } from '../src/service/transfer.js';
import { connectRedis, createRedisStore } from '../src/store/redis.js';
import { startTestRedis } from '../test/helpers/redis-server.js';
import * as data from './dataset.js';

const devices = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const redis = await startTestRedis();
const log = createLogger('silent');
try {
  const stores = {
    off: createRedisStore(await connectRedis(redis.url, 5000, log)),
    on: createRedisStore(await connectRedis(redis.url, 5000, log), { outbox: { maxPending: 100_000_000 } }),
  };
  const rates: Record<'off' | 'on', number[]> = { off: [], on: [] };
  for (let round = 0; round < rounds; round++) {
    for (const mode of (round % 2 === 0 ? ['off', 'on'] : ['on', 'off']) as ('off' | 'on')[]) {
      const store = stores[mode];
      const tenant = `bench-${mode}-${round}`;
      await store.createTenant(tenant, data.tenantJson(tenant), []);
      const transfer = createTransferService(store, { maxBcryptCost: 10, hasher: createBcryptHasher(10) });
      const naming = { tenant: () => tenant, device: (i: number) => `dev-${i}`, auth: (i: number) => `auth-${i}` };
      const started = performance.now();
      await data.importDevices(transfer, 0, devices, naming);
      const rate = devices / ((performance.now() - started) / 1000);
      rates[mode].push(rate);
      console.log(`round ${round + 1} notifications ${mode}: ${Math.round(rate)} devices/s`);
    }
  }
  const pending = await redis.command('XLEN outbox:{bench-on-0}');
  const paired = rates.on.map((on, i) => on / (rates.off[i] as number));
  console.log(`median off ${Math.round(median(rates.off))}/s, on ${Math.round(median(rates.on))}/s; median of the rounds' on/off ratios ${median(paired).toFixed(3)} (outbox of one round: ${pending.replace(/^:/, '').trim()} entries)`);
  await stores.off.close();
  await stores.on.close();
} finally {
  await redis.destroy();
}
