/**
 * Waiting for something that has no event to wait on (a client reconnecting by itself, a script
 * cache refilled): the attempt is repeated until it succeeds. The limit only ends a wait that
 * would never end, well inside the test's own timeout; it is not what the test checks.
 */
const GIVE_UP_AFTER_MS = 15_000;
const PAUSE_MS = 50;

/**
 * Resolves with the first result of `attempt` that does not throw; rejects with the last error once
 * it gives up, or at once with an error `retryable` refuses.
 */
export async function eventually<T>(what: string, attempt: () => Promise<T>, retryable: (err: unknown) => boolean = () => true): Promise<T> {
  const giveUp = performance.now() + GIVE_UP_AFTER_MS;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!retryable(err)) throw err;
      if (performance.now() > giveUp) throw new Error(`${what} did not happen`, { cause: err });
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
  }
}
