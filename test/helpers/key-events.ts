/**
 * Redis keyspace notifications for tests that wait on what Redis does by itself (a key expiring)
 * or on a write made in the background (a hash field set): the test waits for the event instead
 * of sleeping. Turns notifications on for the server while it watches, and off again.
 */
import type { Redis } from 'ioredis';

export interface KeyEvents {
  /** Resolves at the next `event` (`expired`, `hset` …) on `key` after this call. */
  next(event: string, key: string): Promise<void>;
  /** Stops watching and turns the notifications off. */
  close(): Promise<void>;
}

/** Watches keyspace events of every database of the client's server. */
export async function watchKeyEvents(client: Redis): Promise<KeyEvents> {
  // E: keyevent channels; x: expired; h: hash commands.
  await client.config('SET', 'notify-keyspace-events', 'Exh');
  const subscriber = client.duplicate();
  const waiters: { event: string; key: string; resolve: () => void }[] = [];
  subscriber.on('pmessage', (_pattern: string, channel: string, key: string) => {
    const event = channel.slice(channel.indexOf(':') + 1);
    for (const w of waiters.filter((x) => x.event === event && x.key === key)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  await subscriber.psubscribe('__keyevent@*__:*');
  return {
    next: (event, key) => new Promise((resolve) => waiters.push({ event, key, resolve })),
    async close() {
      waiters.length = 0;
      await subscriber.quit();
      await client.config('SET', 'notify-keyspace-events', '');
    },
  };
}
