/**
 * Bulk writes of devices (beyond Hono; docs/management-v1.md "Bulk"): up to 1000 creates,
 * replacements or deletions of one tenant's devices in one request. Each item is one atomic write,
 * exactly as the single operation (devices-v1.ts), and answered with that operation's status; an
 * item that fails changes nothing and does not stop the others. Items run in order, so an item
 * sees what the items before it did.
 */
import { RegistryError, badRequest, toRegistryError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../model/device.js';
import { etagOf, parseIfMatch } from '../model/version.js';
import type { TenantStore } from '../store/store.js';
import { maxDevices } from './devices.js';
import type { DeviceV1Service } from './devices-v1.js';

export type BulkOperation = 'create' | 'update' | 'delete';

/** The answer to one item. */
export interface BulkItemResult {
  readonly id?: string;
  readonly status: number;
  /** The new version as an entity tag (creates and updates). */
  readonly etag?: string;
  readonly error?: string;
}

export interface DeviceBulk {
  /**
   * Runs the operation for every item of the body (`{"items": [...]}`, 1 to 1000) and answers
   * `{"results": [...]}` JSON text, one result per item in their order. BAD_REQUEST for a body
   * that is not such a list; every problem of an item is that item's result.
   */
  bulk(tenantId: string, operation: BulkOperation, body: unknown, user: string): Promise<string>;
}

export const MAX_BULK_ITEMS = 1000;

const ITEM_MEMBERS: Readonly<Record<BulkOperation, readonly string[]>> = {
  create: ['id', 'device'],
  update: ['id', 'device', 'ifMatch'],
  delete: ['id', 'ifMatch'],
};

/** The items of a bulk body. BAD_REQUEST for anything but 1 to 1000 items. */
function itemsOf(body: unknown): unknown[] {
  const items = isJsonObject(body) ? body.items : undefined;
  if (!isJsonObject(body) || Object.keys(body).some((k) => k !== 'items') || !Array.isArray(items)) throw badRequest('the body must be {"items": [...]}');
  if (items.length === 0 || items.length > MAX_BULK_ITEMS) throw badRequest(`items must hold 1 to ${MAX_BULK_ITEMS} entries, not ${items.length}`);
  return items;
}

/** An item checked for its operation: its members, a string id where one is needed. BAD_REQUEST. */
function checkItem(operation: BulkOperation, item: unknown): JsonObject {
  if (!isJsonObject(item)) throw badRequest('an item must be a JSON object');
  const unknown = Object.keys(item).filter((k) => !ITEM_MEMBERS[operation].includes(k));
  if (unknown.length > 0) throw badRequest(`a ${operation} item takes only ${ITEM_MEMBERS[operation].join(', ')}; not ${unknown.join(', ')}`);
  if (item.id !== undefined && typeof item.id !== 'string') throw badRequest('id must be a string');
  if (operation !== 'create' && typeof item.id !== 'string') throw badRequest(`a ${operation} item needs the id`);
  if (operation === 'update' && item.device === undefined) throw badRequest('an update item needs the device');
  if (item.ifMatch !== undefined && typeof item.ifMatch !== 'string') throw badRequest('ifMatch must be a string');
  return item;
}

export function createDeviceBulk(devices: DeviceV1Service, tenants: TenantStore): DeviceBulk {
  /** One item: the single operation's outcome. */
  async function run(tenantId: string, operation: BulkOperation, raw: unknown, user: string, limit: number): Promise<BulkItemResult> {
    const item = checkItem(operation, raw);
    const id = item.id as string | undefined;
    const ifMatch = parseIfMatch(item.ifMatch as string | undefined);
    if (operation === 'create') {
      const created = await devices.create(tenantId, id, item.device, user, limit);
      return { id: created.id, status: 201, etag: etagOf(created.version) };
    }
    if (operation === 'update') return { id, status: 204, etag: etagOf(await devices.replace(tenantId, id as string, item.device, user, ifMatch)) };
    await devices.remove(tenantId, id as string, user, ifMatch);
    return { id, status: 204 };
  }

  return {
    async bulk(tenantId, operation, body, user) {
      const items = itemsOf(body);
      if ((await tenants.getTenant(tenantId)) === null) throw new RegistryError('NOT_FOUND', `tenant "${tenantId}" not found`);
      const limit = operation === 'create' ? await maxDevices(tenants, tenantId) : -1;
      const results: BulkItemResult[] = [];
      for (const item of items) {
        try {
          results.push(await run(tenantId, operation, item, user, limit));
        } catch (thrown) {
          const err = toRegistryError(thrown);
          const id = isJsonObject(item) && typeof item.id === 'string' ? item.id : undefined;
          results.push({ ...(id === undefined ? {} : { id }), status: err.status, error: err.publicMessage });
        }
      }
      return JSON.stringify({ results });
    },
  };
}
