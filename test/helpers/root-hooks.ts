/**
 * Mocha root hooks: one real redis-server for the whole run, on a free port with a temp dir.
 * Integration suites use `sharedRedis()` and flush it (it is the run's own server) before each test.
 */
import { startTestRedis, type TestRedis } from './redis-server.js';

let redis: TestRedis | undefined;

/** The run's redis-server, started lazily by the first suite that asks for it. */
export async function sharedRedis(): Promise<TestRedis> {
  redis ??= await startTestRedis();
  return redis;
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await redis?.destroy();
    redis = undefined;
  },
};
