/**
 * Mocha root hooks: one real redis-server for the whole run, on a free port with a temp dir, and
 * with TEST_REDIS=cluster (make test-cluster) one 3-master Redis Cluster as well.
 * Integration suites use `sharedRedis()` (always the standalone server) or `sharedStore()` (the
 * cluster under TEST_REDIS=cluster, else the standalone server) and flush it before each test.
 * The console's browser tests share one Chromium (helpers/browser.ts), closed here too.
 */
import { closeBrowser } from './browser.js';
import { startTestCluster, type TestCluster } from './redis-cluster.js';
import { startTestRedis, type TestRedis } from './redis-server.js';

/** What suites that run on either kind of store use. */
export interface SharedStore {
  /** The environment of a registry on this store (REGISTRY_REDIS_URL or REGISTRY_REDIS_CLUSTER_NODES). */
  readonly env: Readonly<Record<string, string>>;
  /** A command on the server, or on every master of the cluster (FLUSHALL). */
  command(line: string): Promise<string>;
  /** `redis://` URLs of the server, or of every master, for raw inspection. */
  masterUrls(): Promise<string[]>;
}

let redis: TestRedis | undefined;
let cluster: TestCluster | undefined;

/** True when the run is `make test-cluster`. */
export const onCluster = process.env.TEST_REDIS === 'cluster';

/** The run's redis-server, started lazily by the first suite that asks for it. */
export async function sharedRedis(): Promise<TestRedis> {
  redis ??= await startTestRedis();
  return redis;
}

/** The run's store: the 3-master cluster under TEST_REDIS=cluster, else the redis-server. */
export async function sharedStore(): Promise<SharedStore> {
  if (!onCluster) {
    const server = await sharedRedis();
    return { env: { REGISTRY_REDIS_URL: server.url }, command: (line) => server.command(line), masterUrls: async () => [server.url] };
  }
  cluster ??= await startTestCluster();
  return cluster;
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await redis?.destroy();
    redis = undefined;
    await cluster?.destroy();
    cluster = undefined;
    await closeBrowser();
  },
};
