/**
 * Kafka transport of Hono's notifications (kafkajs, pure JavaScript): topic
 * `hono.notification.<address>`, the record key Hono uses (tenant or device id) and the JSON as
 * the value, produced with acks=all. Records of one key go to one partition, so a device's
 * notifications keep their order.
 */
import { readFileSync } from 'node:fs';
import { Kafka, Partitioners, logLevel, type LogEntry, type Producer, type SASLOptions } from 'kafkajs';
import type { KafkaNotificationConfig } from '../config.js';
import type { Logger } from '../log.js';
import { kafkaTopic } from './message.js';
import type { Transport } from './transport.js';

/** How long a produce request may wait for the brokers' acknowledgement. */
const ACK_TIMEOUT_MS = 10_000;

function tlsOptions(config: KafkaNotificationConfig): { ca?: Buffer; cert?: Buffer; key?: Buffer } | undefined {
  const tls = config.tls;
  if (tls === undefined) return undefined;
  return {
    ...(tls.caFile === undefined ? {} : { ca: readFileSync(tls.caFile) }),
    ...(tls.certFile === undefined ? {} : { cert: readFileSync(tls.certFile) }),
    ...(tls.keyFile === undefined ? {} : { key: readFileSync(tls.keyFile) }),
  };
}

function saslOptions(config: KafkaNotificationConfig): SASLOptions | undefined {
  const sasl = config.sasl;
  if (sasl === undefined) return undefined;
  const { username, password } = sasl;
  if (sasl.mechanism === 'plain') return { mechanism: 'plain', username, password };
  return sasl.mechanism === 'scram-sha-256' ? { mechanism: 'scram-sha-256', username, password } : { mechanism: 'scram-sha-512', username, password };
}

/** kafkajs's own lines go to the debug level: the deliverer logs outages once, with their cause. */
function logCreator(log: Logger) {
  return () => (entry: LogEntry) => {
    const { message, error } = entry.log as { message?: string; error?: string };
    log.debug({ kafkaLevel: entry.level, error }, `kafkajs: ${message ?? ''}`);
  };
}

/** A Kafka producer for the notifications; connects on first send. */
export function createKafkaTransport(config: KafkaNotificationConfig, log: Logger): Transport {
  const ssl = tlsOptions(config);
  const sasl = saslOptions(config);
  const kafka = new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    ...(ssl === undefined ? {} : { ssl }),
    ...(sasl === undefined ? {} : { sasl }),
    connectionTimeout: 3000,
    requestTimeout: ACK_TIMEOUT_MS,
    // The deliverer retries with its own backoff, from the first unacknowledged notification.
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.INFO,
    logCreator: logCreator(log),
  });
  let producer: Producer | undefined;
  let connecting: Promise<Producer> | undefined;
  const connect = (): Promise<Producer> => {
    connecting ??= (async () => {
      const fresh = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true, maxInFlightRequests: 1 });
      try {
        await fresh.connect();
      } catch (err) {
        await fresh.disconnect().catch(() => undefined);
        throw err;
      }
      producer = fresh;
      return fresh;
    })().finally(() => (connecting = undefined));
    return connecting;
  };
  const reset = async () => {
    const old = producer;
    producer = undefined;
    await old?.disconnect().catch(() => undefined);
  };
  return {
    name: 'kafka',
    async send(batch) {
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (const n of batch) {
        const topic = kafkaTopic(n.address);
        const messages = byTopic.get(topic) ?? [];
        messages.push({ key: n.key, value: n.body });
        byTopic.set(topic, messages);
      }
      const active = producer ?? (await connect());
      try {
        await active.sendBatch({ acks: -1, timeout: ACK_TIMEOUT_MS, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      } catch (err) {
        // A fresh connection on the next attempt: the brokers may have moved or restarted.
        await reset();
        throw err;
      }
    },
    close: reset,
  };
}
