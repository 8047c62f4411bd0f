/**
 * AMQP 1.0 transport of Hono's notifications: one connection to the messaging network (a Qpid
 * Dispatch Router, ActiveMQ Artemis …), one sender link per address (`notification/registry-tenant`,
 * `notification/registry-device`), unsettled sends with a JSON Data section and content type
 * `application/json`, as Hono's ProtonBasedNotificationSender. A notification counts as delivered
 * when the network answers `accepted`. Messages on one link arrive in the order sent.
 *
 * It uses rhea directly, not src/amqp/ (the registry's server, which nothing but registry.ts
 * imports); the registry's rhea patches, once the server installed them, suit a client too.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import rhea from 'rhea';
import type { Connection, ConnectionOptions, Delivery, EventContext, Sender } from 'rhea';
import type { AmqpNotificationConfig } from '../config.js';
import { amqpAddress } from './message.js';
import type { Transport } from './transport.js';

/** How long a batch may wait for the network's outcomes (and a connection for its open). */
const ACK_TIMEOUT_MS = 10_000;

interface Outcome {
  resolve(): void;
  reject(err: Error): void;
}

/** One open connection with its sender links and the deliveries waiting for an outcome. */
interface Link {
  readonly connection: Connection;
  readonly senders: Map<string, Promise<Sender>>;
  readonly waiting: Map<Delivery, Outcome>;
  failed?: Error;
}

function connectionOptions(config: AmqpNotificationConfig): ConnectionOptions {
  const tls = config.tls;
  const files = tls === undefined ? {} : {
    ...(tls.caFile === undefined ? {} : { ca: readFileSync(tls.caFile) }),
    ...(tls.certFile === undefined ? {} : { cert: readFileSync(tls.certFile) }),
    ...(tls.keyFile === undefined ? {} : { key: readFileSync(tls.keyFile) }),
  };
  return {
    host: config.host,
    port: config.port,
    hostname: config.host,
    transport: tls === undefined ? 'tcp' : 'tls',
    ...(tls === undefined ? {} : { servername: config.host, ...files }),
    ...(config.username === undefined ? {} : { username: config.username, password: config.password }),
    reconnect: false,
    tcp_no_delay: true,
    idle_time_out: 30_000,
  } as ConnectionOptions;
}

/** Fails everything waiting on a link and closes its connection. */
function fail(link: Link, err: Error): void {
  if (link.failed !== undefined) return;
  link.failed = err;
  for (const outcome of link.waiting.values()) outcome.reject(err);
  link.waiting.clear();
  if (link.connection.is_open()) link.connection.close();
}

const describe = (context: EventContext, what: string): Error => {
  const error = (context.sender?.error ?? context.connection?.error) as { condition?: string; description?: string } | undefined;
  return new Error(`${what}${error?.condition === undefined ? '' : `: ${error.condition}`}${error?.description === undefined ? '' : ` (${error.description})`}`);
};

function openConnection(config: AmqpNotificationConfig): Promise<Link> {
  const container = rhea.create_container({ id: `device-registry-notifications-${randomUUID()}` });
  return new Promise<Link>((resolve, reject) => {
    const connection = container.connect(connectionOptions(config));
    const link: Link = { connection, senders: new Map(), waiting: new Map() };
    const timer = setTimeout(() => {
      fail(link, new Error(`no AMQP open from ${config.host}:${config.port} within ${ACK_TIMEOUT_MS} ms`));
      connection.close();
      reject(link.failed);
    }, ACK_TIMEOUT_MS);
    connection.on('connection_open', () => {
      clearTimeout(timer);
      resolve(link);
    });
    const lost = (what: string) => (context: EventContext) => {
      clearTimeout(timer);
      fail(link, describe(context, what));
      reject(link.failed);
    };
    connection.on('connection_error', lost('AMQP connection refused'));
    connection.on('connection_close', lost('AMQP connection closed'));
    connection.on('disconnected', lost(`AMQP connection to ${config.host}:${config.port} lost`));
    connection.on('protocol_error', lost('AMQP protocol error'));
    connection.on('error', lost('AMQP error'));
    const settle = (ok: boolean, what: string) => (context: EventContext) => {
      const outcome = link.waiting.get(context.delivery as Delivery);
      if (outcome === undefined) return;
      link.waiting.delete(context.delivery as Delivery);
      if (ok) outcome.resolve();
      else outcome.reject(new Error(`notification ${what} by the messaging network`));
    };
    connection.on('accepted', settle(true, 'accepted'));
    connection.on('rejected', settle(false, 'rejected'));
    connection.on('released', settle(false, 'released'));
    connection.on('modified', settle(false, 'not taken (modified)'));
    connection.on('sender_error', (context: EventContext) => fail(link, describe(context, 'notification link refused')));
    connection.on('sender_close', (context: EventContext) => fail(link, describe(context, 'notification link closed')));
  });
}

/** The sender of an address, attached once and ready with credit. */
function senderFor(link: Link, address: string): Promise<Sender> {
  let sender = link.senders.get(address);
  if (sender === undefined) {
    sender = new Promise<Sender>((resolve, reject) => {
      const opened = link.connection.open_sender({ target: { address }, snd_settle_mode: 0, autosettle: true });
      opened.once('sender_open', () => resolve(opened));
      opened.once('sender_close', (context: EventContext) => reject(describe(context, `link to ${address} refused`)));
    });
    link.senders.set(address, sender);
  }
  return sender;
}

/** Waits until the sender may send (it has credit), or the link failed. */
async function credit(link: Link, sender: Sender): Promise<void> {
  while (!sender.sendable()) {
    if (link.failed !== undefined) throw link.failed;
    // Woken by new credit, or after a while to look at the link again (it may have failed meanwhile).
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sender.removeListener('sendable', done);
        resolve();
      };
      const timer = setTimeout(done, 100);
      sender.once('sendable', done);
    });
  }
}

/** An AMQP 1.0 sender of notifications; connects on first send and after a failure. */
export function createAmqpTransport(config: AmqpNotificationConfig): Transport {
  let current: Promise<Link> | undefined;
  /** The open connection, or a new one when there is none or it failed (concurrent callers share it). */
  const link = async (): Promise<Link> => {
    for (;;) {
      const pending = (current ??= openConnection(config));
      try {
        const opened = await pending;
        if (opened.failed === undefined) return opened;
      } catch (err) {
        if (current === pending) current = undefined;
        throw err;
      }
      if (current === pending) current = undefined;
    }
  };
  const drop = async () => {
    const old = current;
    current = undefined;
    const opened = await old?.catch(() => undefined);
    if (opened !== undefined) fail(opened, new Error('AMQP transport closed'));
  };
  return {
    name: 'amqp',
    async send(batch) {
      const active = await link();
      const outcomes: Promise<void>[] = [];
      let timer: NodeJS.Timeout | undefined;
      try {
        for (const n of batch) {
          const address = amqpAddress(n.address);
          const sender = await senderFor(active, address);
          await credit(active, sender);
          if (active.failed !== undefined) throw active.failed;
          const delivery = sender.send({ to: address, content_type: 'application/json', body: rhea.message.data_section(Buffer.from(n.body, 'utf8')) });
          outcomes.push(new Promise<void>((resolve, reject) => active.waiting.set(delivery, { resolve, reject })));
        }
        const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no outcome from the messaging network within ${ACK_TIMEOUT_MS} ms`)), ACK_TIMEOUT_MS)));
        await Promise.race([Promise.all(outcomes), deadline]);
      } catch (err) {
        // Outcomes still due will not be waited for: a fresh connection for the next attempt.
        if (current !== undefined && (await current.catch(() => undefined)) === active) await drop();
        throw err;
      } finally {
        clearTimeout(timer);
        for (const outcome of outcomes) outcome.catch(() => undefined);
      }
    },
    close: drop,
  };
}
