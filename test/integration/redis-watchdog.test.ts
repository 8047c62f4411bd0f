/**
 * The Redis command timeout and command metrics (src/store/redis-watchdog.ts): one watchdog per
 * connection instead of a timer per command. Against a real redis-server that is frozen (SIGSTOP),
 * so that commands go out and wait unanswered.
 */
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { createLogger } from '../../src/log.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { connectRedis } from '../../src/store/redis.js';
import { sample } from '../helpers/metrics.js';
import { startTestRedis, type TestRedis } from '../helpers/redis-server.js';

const TIMEOUT_MS = 300;

/** The outcome of a command: its value, or the message it failed with. */
const outcome = (command: Promise<unknown>): Promise<unknown> => command.then((value) => ({ value }), (err: Error) => ({ failed: err.message }));
const timedOut = { failed: 'Command timed out' };
/** Active (referenced) timers of this process. */
const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
/** Lets the client write what it queued this turn (auto-pipelining sends on setImmediate). */
const written = (): Promise<void> => new Promise((resolve) => setImmediate(() => setImmediate(resolve)));

describe('Redis command watchdog', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let client: Redis;
  let metrics: Metrics;

  before(async function () {
    redis = await startTestRedis();
    metrics = createMetrics();
    client = await connectRedis(redis.url, TIMEOUT_MS, createLogger('silent'), (command, seconds, failed) => metrics.redisCommand(command, seconds, failed));
  });

  after(async function () {
    client.disconnect();
    await redis.destroy();
  });

  /** Runs `work` with the server frozen, and waits until the connection answers again after the thaw. */
  async function frozen<T>(work: () => Promise<T>): Promise<T> {
    await client.ping();
    redis.freeze();
    try {
      return await work();
    } finally {
      redis.thaw();
      await client.ping();
    }
  }

  it('fails a command that waits longer than the timeout, and the ones sent after it, then serves again', async function () {
    await client.set('watchdog:k', 'v');
    const [first, second, third] = await frozen(async () => {
      const early = outcome(client.get('watchdog:k'));
      const firstOutcome = await early;
      // Sent after the first one failed: the watchdog waits for these too.
      const later = [outcome(client.get('watchdog:k')), outcome(client.hget('watchdog:h', 'f'))];
      return [firstOutcome, ...(await Promise.all(later))];
    });
    expect([first, second, third]).to.deep.equal([timedOut, timedOut, timedOut]);
    // The late replies to the failed commands do not reach the commands sent since.
    expect(await client.get('watchdog:k')).to.equal('v');
    expect(await client.hget('watchdog:h', 'f')).to.equal(null);
  });

  it('holds one timer for all the commands that wait, not one per command', async function () {
    const idle = timers();
    const outcomes = await frozen(async () => {
      const waiting = Array.from({ length: 200 }, (_, i) => outcome(client.get(`watchdog:${i}`)));
      await written();
      expect(timers() - idle).to.be.at.most(1);
      return Promise.all(waiting);
    });
    expect(outcomes).to.deep.equal(Array.from({ length: 200 }, () => timedOut));
  });

  it('observes every command once, the ones that timed out as errors', async function () {
    const count = async (command: string) => sample((await metrics.exposition()).text, 'registry_redis_command_duration_seconds_count', { command });
    const errors = async (command: string) => sample((await metrics.exposition()).text, 'registry_redis_command_errors_total', { command });
    const [hexists, failures] = [await count('hexists'), await errors('hexists')];
    await Promise.all(Array.from({ length: 20 }, () => client.hexists('watchdog:h', 'f')));
    const failed = await frozen(() => Promise.all(Array.from({ length: 7 }, () => outcome(client.hexists('watchdog:h', 'f')))));
    expect(failed).to.deep.equal(Array.from({ length: 7 }, () => timedOut));
    expect(await count('hexists')).to.equal(hexists + 27);
    expect(await errors('hexists')).to.equal(failures + 7);
  });
});
