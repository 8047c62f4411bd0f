/**
 * Consumers of the notification tests, one per messaging system: a kafkajs consumer of both
 * `hono.notification.*` topics, and an AMQP durable subscription (rhea, the test clients' copy) to
 * both `notification/*` addresses of Artemis, which outlives a broker restart.
 */
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { Connection, EventContext } from 'rhea';
import { clientRhea } from '../helpers/fresh-rhea.js';

export interface Received {
  /** Kafka topic or AMQP address. */
  readonly where: string;
  /** Kafka record key (undefined on AMQP). */
  readonly key: string | undefined;
  readonly contentType: string | undefined;
  readonly body: Record<string, unknown>;
}

export interface NotificationConsumer {
  readonly received: Received[];
  /** Resolves once `predicate` holds for what was received. */
  until(predicate: (received: readonly Received[]) => boolean): Promise<void>;
  close(): Promise<void>;
}

function collector(): { received: Received[]; push(r: Received): void; until: NotificationConsumer['until'] } {
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  return {
    received,
    push(r) {
      received.push(r);
      for (const w of [...waiters]) w();
    },
    until(predicate) {
      return new Promise((resolve) => {
        const check = () => {
          if (!predicate(received)) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

const TOPICS = ['hono.notification.registry-tenant', 'hono.notification.registry-device'];

export async function kafkaConsumer(brokers: string, group: string): Promise<NotificationConsumer> {
  const c = collector();
  const kafka = new Kafka({ clientId: 'notification-test', brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: TOPICS.map((topic) => ({ topic, numPartitions: 3 })) });
  await admin.disconnect();
  const consumer: Consumer = kafka.consumer({ groupId: group, retry: { retries: 100, maxRetryTime: 1000 } });
  await consumer.connect();
  await consumer.subscribe({ topics: TOPICS, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const headers = message.headers ?? {};
      c.push({ where: topic, key: message.key?.toString(), contentType: headers['content-type']?.toString(), body: JSON.parse(String(message.value)) as Record<string, unknown> });
    },
  });
  return { received: c.received, until: c.until, close: () => consumer.disconnect() };
}

/** A durable subscription to both addresses: Artemis keeps what arrives while it is detached or restarting. */
export async function amqpConsumer(port: number, name: string): Promise<NotificationConsumer & { reattach(): Promise<void> }> {
  const c = collector();
  const container = clientRhea.rhea.create_container({ id: `notification-test-${name}` });
  container.on('disconnected', () => undefined);
  container.on('message', (context: EventContext) => {
    const message = context.message;
    const body = message?.body as { content?: Buffer } | Buffer | string;
    const raw = Buffer.isBuffer(body) ? body : (body as { content?: Buffer }).content ?? Buffer.from(String(body));
    c.push({ where: String(context.receiver?.source?.address), key: undefined, contentType: message?.content_type, body: JSON.parse(raw.toString('utf8')) as Record<string, unknown> });
  });
  let connection: Connection | undefined;
  const attach = async () => {
    connection = container.connect({ host: '127.0.0.1', port, reconnect: false, tcp_no_delay: true } as never);
    const opened = ['notification/registry-tenant', 'notification/registry-device'].map((address) => new Promise<void>((resolve, reject) => {
      const receiver = connection?.open_receiver({ name: `sub-${address.split('/')[1]}`, source: { address, durable: 2, expiry_policy: 'never', capabilities: ['topic'] } as never });
      receiver?.once('receiver_open', () => resolve());
      receiver?.once('receiver_error', () => reject(new Error(`subscription to ${address} refused`)));
    }));
    await Promise.all(opened);
  };
  await attach();
  const detach = async () => {
    const old = connection;
    connection = undefined;
    if (old === undefined || !old.is_open()) return;
    await new Promise<void>((resolve) => {
      old.once('connection_close', () => resolve());
      old.once('disconnected', () => resolve());
      old.close();
    });
  };
  return { received: c.received, until: c.until, reattach: async () => { await detach(); await attach(); }, close: detach };
}
