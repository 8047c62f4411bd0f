/**
 * The hooks of a suite whose registries announce their changes to an AMQP messaging network
 * (test/helpers/amqp-network.ts): before each test the run's store is flushed and a fresh network
 * started; after it every registry the test started and the network are stopped. Short poll, lease
 * and backoff settings, so that takeovers and retries happen within a test.
 */
import { NETWORK_PASSWORD, NETWORK_USER, startAmqpNetwork, type AmqpNetwork } from './amqp-network.js';
import { startTestRegistry, type TestRegistry } from './registry.js';
import { sharedStore } from './root-hooks.js';

export interface NotifyingRegistries {
  /** This test's network. */
  network(): AmqpNetwork;
  /** Starts a registry on the run's store announcing to the network. */
  start(extra?: Record<string, string>): Promise<TestRegistry>;
  /** Stops a registry before the test ends (then the hooks leave it alone). */
  stop(registry: TestRegistry): Promise<void>;
}

export function useNotifyingRegistries(): NotifyingRegistries {
  let network: AmqpNetwork | undefined;
  const running: TestRegistry[] = [];
  beforeEach(async function () {
    await (await sharedStore()).command('FLUSHALL');
    network = await startAmqpNetwork();
  });
  afterEach(async function () {
    for (const registry of running.splice(0)) await registry.stop();
    await network?.close();
  });
  const current = (): AmqpNetwork => {
    if (network === undefined) throw new Error('no network outside a test');
    return network;
  };
  return {
    network: current,
    async start(extra = {}) {
      const registry = await startTestRegistry({
        ...(await sharedStore()).env,
        REGISTRY_NOTIFICATION_AMQP_URL: `amqp://${NETWORK_USER}:${NETWORK_PASSWORD}@127.0.0.1:${current().port}`,
        REGISTRY_NOTIFICATION_POLL_MS: '100', REGISTRY_NOTIFICATION_LEASE_MS: '1000',
        REGISTRY_NOTIFICATION_RETRY_MIN_MS: '50', REGISTRY_NOTIFICATION_RETRY_MAX_MS: '400',
        ...extra,
      });
      running.push(registry);
      return registry;
    },
    async stop(registry) {
      running.splice(running.indexOf(registry), 1);
      await registry.stop();
    },
  };
}
