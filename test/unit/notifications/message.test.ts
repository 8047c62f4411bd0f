/**
 * Outbox entries become Hono's notifications (docs/notifications.md "Messages"): the JSON fields,
 * record key and address of Hono 2.7's clients/notification module, `creation-time` to the second.
 */
import { expect } from 'chai';
import { amqpAddress, creationTime, kafkaTopic, MalformedEntryError, toNotifications, type HonoNotification } from '../../../src/notifications/message.js';
import type { OutboxEntry } from '../../../src/store/store.js';

const ID = '1714557600123-0'; // 2024-05-01T10:00:00.123Z

/** The one notification of an entry. */
function toNotification(entry: OutboxEntry, tenant: string | undefined): HonoNotification {
  const all = toNotifications(entry, tenant);
  expect(all).to.have.length(1);
  return all[0] as HonoNotification;
}

describe('notification messages', function () {
  it('writes creation-time as an ISO instant in UTC to the second, from the entry id', function () {
    expect(creationTime(ID)).to.equal('2024-05-01T10:00:00Z');
    expect(creationTime('999-3')).to.equal('1970-01-01T00:00:00Z');
  });

  it('names Kafka topics and AMQP addresses as Hono does', function () {
    expect(kafkaTopic('registry-device')).to.equal('hono.notification.registry-device');
    expect(amqpAddress('registry-tenant')).to.equal('notification/registry-tenant');
  });

  it('turns a tenant entry into tenant-change-v1 keyed by the tenant', function () {
    const n = toNotification({ id: ID, fields: { type: 'tenant-change-v1', change: 'UPDATE', 'tenant-id': 'acme', enabled: 'false', 'invalidate-cache-on-update': 'true' } }, undefined);
    expect(n.address).to.equal('registry-tenant');
    expect(n.key).to.equal('acme');
    expect(JSON.parse(n.body)).to.deep.equal({
      type: 'tenant-change-v1', source: 'device-registry', 'creation-time': '2024-05-01T10:00:00Z', change: 'UPDATE', 'tenant-id': 'acme', enabled: false, 'invalidate-cache-on-update': true,
    });
  });

  it('turns device entries into device-change-v1 and credentials-change-v1 keyed by the device, with the outbox tenant', function () {
    const change = toNotification({ id: ID, fields: { type: 'device-change-v1', change: 'DELETE', 'device-id': 'd:1', enabled: 'false' } }, 'acme');
    expect(change).to.include({ address: 'registry-device', key: 'd:1' });
    expect(JSON.parse(change.body)).to.deep.equal({ type: 'device-change-v1', source: 'device-registry', 'creation-time': '2024-05-01T10:00:00Z', change: 'DELETE', 'tenant-id': 'acme', 'device-id': 'd:1', enabled: false });
    const creds = toNotification({ id: ID, fields: { type: 'credentials-change-v1', 'device-id': 'd:1' } }, 'acme');
    expect(creds).to.include({ address: 'registry-device', key: 'd:1' });
    expect(JSON.parse(creds.body)).to.deep.equal({ type: 'credentials-change-v1', source: 'device-registry', 'creation-time': '2024-05-01T10:00:00Z', 'tenant-id': 'acme', 'device-id': 'd:1' });
  });

  it('turns a device change that came with a change of its credentials into both messages, the device\'s first', function () {
    const both = toNotifications({ id: ID, fields: { type: 'device-change-v1', change: 'CREATE', 'device-id': 'd', enabled: 'true', credentials: 'changed' } }, 'acme');
    expect(both.map((n) => (JSON.parse(n.body) as { type: string }).type)).to.deep.equal(['device-change-v1', 'credentials-change-v1']);
    expect(JSON.parse(both[0]?.body ?? '{}')).to.not.have.property('credentials');
    expect(both.map((n) => n.key)).to.deep.equal(['d', 'd']);
  });

  it('keys all-devices-of-tenant-deleted-v1 by the tenant', function () {
    const n = toNotification({ id: ID, fields: { type: 'all-devices-of-tenant-deleted-v1' } }, 'acme');
    expect(n).to.include({ address: 'registry-device', key: 'acme' });
    expect(JSON.parse(n.body)).to.deep.equal({ type: 'all-devices-of-tenant-deleted-v1', source: 'device-registry', 'creation-time': '2024-05-01T10:00:00Z', 'tenant-id': 'acme' });
  });

  it('refuses entries that are none of the four types or lack a field', function () {
    expect(() => toNotification({ id: ID, fields: { type: 'other' } }, 'acme')).to.throw(MalformedEntryError, /unknown type/);
    expect(() => toNotification({ id: ID, fields: { type: 'device-change-v1', change: 'CREATE' } }, 'acme')).to.throw(MalformedEntryError, /device-id/);
  });
});
