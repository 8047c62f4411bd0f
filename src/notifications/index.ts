/**
 * Hono's change notifications (docs/notifications.md): the transports the configuration names
 * and the deliverer of the outboxes. registry.ts starts it when a messaging system is configured.
 */
import type { NotificationConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { OutboxStore } from '../store/store.js';
import { createAmqpTransport } from './amqp.js';
import { startDeliverer, type Deliverer } from './deliverer.js';
import { createKafkaTransport } from './kafka.js';
import type { Transport } from './transport.js';

export type { Deliverer } from './deliverer.js';

/** The transports of the configuration: Kafka, AMQP, or both (then each notification goes to both). */
export function createTransports(config: NotificationConfig, log: Logger): Transport[] {
  const transports: Transport[] = [];
  if (config.kafka !== undefined) transports.push(createKafkaTransport(config.kafka, log));
  if (config.amqp !== undefined) transports.push(createAmqpTransport(config.amqp));
  return transports;
}

/** Starts delivering the outboxes of `store` through the configured messaging systems. */
export function startNotifications(store: OutboxStore, config: NotificationConfig, log: Logger, metrics?: Metrics): Deliverer {
  const transports = createTransports(config, log);
  const where = [
    ...(config.kafka === undefined ? [] : [`Kafka ${config.kafka.brokers.join(',')}`]),
    ...(config.amqp === undefined ? [] : [`AMQP ${config.amqp.tls === undefined ? 'amqp' : 'amqps'}://${config.amqp.host}:${config.amqp.port}`]),
  ];
  log.info({ transports: transports.map((t) => t.name) }, `notifications: announcing every change to ${where.join(' and ')}`);
  return startDeliverer({ store, transports, config, log, ...(metrics === undefined ? {} : { metrics }) });
}
