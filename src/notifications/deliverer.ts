/**
 * Delivers the notification outboxes (docs/notifications.md). Every registry instance runs one:
 *  - it learns of outboxes with pending entries from its own writes (a kick), from the doorbell
 *    set other instances ring (read every poll interval), and from a sweep of every Redis node
 *    (at start-up and every sweep interval) for outboxes whose doorbell was lost in a crash;
 *  - one instance at a time delivers an outbox: it holds the outbox's lease and renews it;
 *  - it sends the oldest entries in order, waits until every transport acknowledged them, and
 *    only then removes them (a script that checks the lease): the order of an outbox is the
 *    order of the writes, and an entry leaves it only once delivered;
 *  - a failed send is retried from the first unacknowledged entry after a backoff that doubles
 *    up to a cap, for as long as it takes. Writes go on meanwhile; /ready does not look here.
 */
import { randomUUID } from 'node:crypto';
import type { NotificationConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics, NotificationBacklog } from '../metrics.js';
import { outboxTenant } from '../store/keys.js';
import type { OutboxEntry, OutboxStore } from '../store/store.js';
import { MalformedEntryError, toNotifications, type HonoNotification } from './message.js';
import type { Transport } from './transport.js';

/** Entries sent per round (one acknowledgement wait, one removal script). */
const BATCH = 100;
/** Outboxes one instance delivers at a time; the others wait for a free slot. */
const CONCURRENT_OUTBOXES = 8;
/** Outboxes read from the doorbell set per poll, and looked at for the backlog gauges. */
const POLL_SAMPLE = 64;
const BACKLOG_SAMPLE = 10_000;

export interface Deliverer {
  /** A write appended to this outbox: deliver it soon. */
  kick(outbox: string): void;
  /** The backlog as of the last look (for the metrics). */
  backlog(): NotificationBacklog;
  /** Stops looking for work, lets running rounds end (entries stay pending) and closes the transports. */
  stop(): Promise<void>;
}

export interface DelivererOptions {
  readonly store: OutboxStore;
  readonly transports: readonly Transport[];
  readonly config: NotificationConfig;
  readonly log: Logger;
  readonly metrics?: Metrics;
}

/** Waits `ms`, or less when `stopped` resolves. */
function pause(ms: number, stopped: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), stopped]).finally(() => clearTimeout(timer));
}

/** The wait before attempt `failures + 1`: doubling from the minimum to the cap, with ±20 % jitter so instances do not retry in step. */
export function backoffMs(failures: number, minMs: number, maxMs: number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

/** Starts delivering. The first sweep runs at once. */
export function startDeliverer(options: DelivererOptions): Deliverer {
  const { store, transports, config, log, metrics } = options;
  const owner = `instance-${randomUUID()}`;
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  const waiting = new Set<string>();
  let stopping = false;
  let signalStop = (): void => undefined;
  const stopped = new Promise<void>((resolve) => (signalStop = resolve));
  let backlog: NotificationBacklog = { pending: 0, oldestSeconds: 0 };
  const outage = new Map<string, number>();

  /** Sends a batch through every transport, each retried until it acknowledged (an acknowledged one is not sent again). */
  async function deliver(batch: readonly HonoNotification[], lost: () => boolean): Promise<boolean> {
    const pending = new Set(transports);
    let failures = 0;
    while (pending.size > 0) {
      for (const transport of [...pending]) {
        try {
          await transport.send(batch);
          pending.delete(transport);
          metrics?.notificationsSent(transport.name, batch.length);
          if (outage.delete(transport.name)) log.info({ transport: transport.name }, `notifications: ${transport.name} takes notifications again`);
        } catch (err) {
          metrics?.notificationsFailed(transport.name, batch.length);
          if (!outage.has(transport.name)) log.warn({ transport: transport.name, err: (err as Error).message }, `notifications: ${transport.name} did not take them; retrying with backoff, nothing is lost`);
          outage.set(transport.name, (outage.get(transport.name) ?? 0) + 1);
        }
      }
      if (pending.size === 0) break;
      if (stopping || lost()) return false;
      await pause(backoffMs(++failures, config.retryMinMs, config.retryMaxMs), stopped);
      if (stopping || lost()) return false;
    }
    return true;
  }

  /** The notifications of a round; malformed entries (not written by lua/outbox.ts) are logged and dropped. */
  function prepare(outbox: string, entries: readonly OutboxEntry[]): HonoNotification[] {
    const tenant = outboxTenant(outbox);
    const out: HonoNotification[] = [];
    for (const entry of entries) {
      try {
        out.push(...toNotifications(entry, tenant));
      } catch (err) {
        if (!(err instanceof MalformedEntryError)) throw err;
        log.error({ outbox, entry: entry.id }, `notifications: ${err.message}; removed`);
      }
    }
    return out;
  }

  /** Delivers an outbox until it is empty, while holding its lease. */
  async function drain(outbox: string): Promise<void> {
    if (!(await store.leaseOutbox(outbox, owner, config.leaseMs))) return;
    let lost = false;
    const renew = setInterval(() => {
      store.leaseOutbox(outbox, owner, config.leaseMs).then((held) => (lost ||= !held), () => undefined);
    }, Math.max(100, Math.floor(config.leaseMs / 3)));
    try {
      while (!stopping && !lost) {
        const entries = await store.readOutbox(outbox, BATCH);
        if (entries.length === 0) {
          if ((await store.settleOutbox(outbox)) === 0) break;
          continue;
        }
        if (!(await deliver(prepare(outbox, entries), () => lost))) break;
        const left = await store.ackOutbox(outbox, owner, entries.map((e) => e.id), config.leaseMs);
        if (left === undefined) lost = true;
      }
    } finally {
      clearInterval(renew);
      if (!lost) await store.releaseOutbox(outbox, owner).catch(() => undefined);
    }
  }

  function start(outbox: string): void {
    const run = drain(outbox)
      .catch((err: unknown) => log.warn({ outbox, err: (err as Error).message }, 'notifications: delivery round failed; the outbox stays pending'))
      .finally(() => {
        running.delete(outbox);
        const next = again.delete(outbox) ? outbox : waiting.values().next().value;
        if (next !== undefined) {
          waiting.delete(next);
          kick(next);
        }
      });
    running.set(outbox, run);
  }

  function kick(outbox: string): void {
    if (stopping) return;
    if (running.has(outbox)) again.add(outbox);
    else if (running.size >= CONCURRENT_OUTBOXES) waiting.add(outbox);
    else start(outbox);
  }

  let warnAt = config.backlogWarn;
  /** Reads the backlog for the gauges and warns when it grows past the next tenfold. */
  async function look(): Promise<void> {
    const rows = await store.outboxBacklog(await store.pendingOutboxes(BACKLOG_SAMPLE));
    const pending = rows.reduce((sum, row) => sum + row.pending, 0);
    const oldest = Math.min(...rows.map((row) => row.oldestMs ?? Infinity));
    backlog = { pending, oldestSeconds: Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : 0 };
    if (pending >= warnAt) {
      log.warn({ pending, oldestSeconds: Math.round(backlog.oldestSeconds) }, `notifications: ${pending} undelivered (warning at ${config.backlogWarn} and each tenfold)`);
      while (warnAt <= pending) warnAt *= 10;
    } else if (pending < config.backlogWarn && warnAt > config.backlogWarn) {
      log.info({ pending }, 'notifications: the backlog is below its warning level again');
      warnAt = config.backlogWarn;
    }
  }

  const quietly = (what: string) => (err: unknown) => log.debug({ err: (err as Error).message }, `notifications: ${what} failed; next time`);
  const poll = async () => {
    for (const outbox of await store.pendingOutboxes(POLL_SAMPLE)) kick(outbox);
  };
  const sweep = async () => {
    for (const outbox of await store.sweepOutboxes()) kick(outbox);
  };
  const pollTimer = setInterval(() => void poll().catch(quietly('poll')), config.pollMs);
  const sweepTimer = setInterval(() => void sweep().catch(quietly('sweep')), config.sweepMs);
  // The gauges cost two commands per pending outbox: looked at every fifth poll.
  const lookTimer = setInterval(() => void look().catch(quietly('backlog look')), config.pollMs * 5);
  void sweep().then(poll).then(look).catch(quietly('first sweep'));
  metrics?.notificationGauges(() => backlog);

  return {
    kick,
    backlog: () => backlog,
    async stop() {
      stopping = true;
      signalStop();
      clearInterval(pollTimer);
      clearInterval(sweepTimer);
      clearInterval(lookTimer);
      await Promise.all(running.values());
      await Promise.all(transports.map((t) => t.close().catch(() => undefined)));
    },
  };
}
