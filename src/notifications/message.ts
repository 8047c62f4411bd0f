/**
 * Hono's change notifications (Notification API of Hono 1.11+ and 2.x; docs/notifications.md):
 * an outbox entry (store/lua/outbox.ts) becomes the JSON object, key and address Hono's own
 * registries publish. Pure functions, no I/O.
 */
import type { OutboxEntry } from '../store/store.js';

/** Hono's `source` of every registry notification. */
const SOURCE = 'device-registry';

/** Notification address (`registry-tenant`, `registry-device`): Kafka topic `hono.notification.<address>`, AMQP `notification/<address>`. */
export type NotificationAddress = 'registry-tenant' | 'registry-device';

export interface HonoNotification {
  readonly address: NotificationAddress;
  /** Kafka record key: the tenant id (tenant and all-devices notifications) or the device id. */
  readonly key: string;
  /** The JSON body, as Hono's Jackson mapping writes it. */
  readonly body: string;
}

/** Kafka topic of an address (Hono's HonoTopic of type NOTIFICATION). */
export const kafkaTopic = (address: NotificationAddress): string => `hono.notification.${address}`;

/** AMQP 1.0 target address of an address (Hono's NotificationAddressHelper). */
export const amqpAddress = (address: NotificationAddress): string => `notification/${address}`;

/**
 * Hono's `creation-time`: an ISO 8601 instant in UTC to the second (`2024-05-01T10:00:00Z`),
 * the pattern of Hono's timestamp serializer. The time is that of the write, from the entry id.
 */
export function creationTime(entryId: string): string {
  const ms = Number(entryId.slice(0, entryId.indexOf('-')));
  return `${new Date(ms - (ms % 1000)).toISOString().slice(0, 19)}Z`;
}

/** Thrown for an entry that is not one of the four types (written by something other than lua/outbox.ts). */
export class MalformedEntryError extends Error {}

const bool = (value: string | undefined): boolean => value === 'true';

function field(entry: OutboxEntry, name: string): string {
  const value = entry.fields[name];
  if (value === undefined) throw new MalformedEntryError(`outbox entry ${entry.id} has no ${name}`);
  return value;
}

/**
 * The notifications of one outbox entry, in order: one, or for a device change that came with a
 * change of its credentials (`credentials` field) the device's notification, then its credentials'.
 * `tenantId` is the tenant of the outbox the entry came from (undefined for the registry outbox).
 */
export function toNotifications(entry: OutboxEntry, tenantId: string | undefined): HonoNotification[] {
  const first = toNotification(entry, tenantId);
  if (entry.fields['type'] !== 'device-change-v1' || entry.fields['credentials'] === undefined) return [first];
  return [first, toNotification({ id: entry.id, fields: { type: 'credentials-change-v1', 'device-id': field(entry, 'device-id') } }, tenantId)];
}

/** The single notification of an entry's `type`. */
function toNotification(entry: OutboxEntry, tenantId: string | undefined): HonoNotification {
  const type = entry.fields['type'];
  const common = { type, source: SOURCE, 'creation-time': creationTime(entry.id) };
  const tenant = (): string => tenantId ?? field(entry, 'tenant-id');
  switch (type) {
    case 'tenant-change-v1': {
      const id = field(entry, 'tenant-id');
      const body = { change: field(entry, 'change'), 'tenant-id': id, enabled: bool(entry.fields['enabled']), 'invalidate-cache-on-update': bool(entry.fields['invalidate-cache-on-update']) };
      return { address: 'registry-tenant', key: id, body: JSON.stringify({ ...common, ...body }) };
    }
    case 'device-change-v1': {
      const device = field(entry, 'device-id');
      const body = { change: field(entry, 'change'), 'tenant-id': tenant(), 'device-id': device, enabled: bool(entry.fields['enabled']) };
      return { address: 'registry-device', key: device, body: JSON.stringify({ ...common, ...body }) };
    }
    case 'credentials-change-v1': {
      const device = field(entry, 'device-id');
      return { address: 'registry-device', key: device, body: JSON.stringify({ ...common, 'tenant-id': tenant(), 'device-id': device }) };
    }
    case 'all-devices-of-tenant-deleted-v1':
      return { address: 'registry-device', key: tenant(), body: JSON.stringify({ ...common, 'tenant-id': tenant() }) };
    default:
      throw new MalformedEntryError(`outbox entry ${entry.id} has the unknown type ${String(type)}`);
  }
}
