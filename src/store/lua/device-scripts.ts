/**
 * The scripts that create and update devices (both faces): each writes the record with its
 * `status`, checks `If-Match` against the current version and moves the search index entries, in
 * one atomic step within the tenant's slot (device-lib.ts). Deletion onto the denied list and the
 * restore are in security-scripts.ts, imports in transfer-scripts.ts; they use the same library.
 * Answers: {'OK', version} or an outcome word (TENANT_NOT_FOUND, NOT_FOUND, EXISTS, DENIED,
 * LIMIT: the tenant's max-devices is reached, PRECONDITION_FAILED: If-Match does not hold).
 */
import { DEVICE_LUA } from './device-lib.js';
import { announcing } from './outbox.js';
import type { LuaScript } from './scripts.js';

/**
 * KEYS: marker, devices, denied-devices, device-ids, device-fields, device-unindexed, via-refs.
 * ARGV: device id, body (JSON object without status), last-user, most devices of the tenant
 * (-1: no limit), '1' when auto-provisioned.
 */
export const createDevice: LuaScript = announcing({
  name: 'create-device',
  numberOfKeys: 7,
  source: `${DEVICE_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 'DENIED' end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 'EXISTS' end
local max = tonumber(ARGV[4])
if max >= 0 and redis.call('HLEN', KEYS[2]) >= max then return 'LIMIT' end
local record = device_record(false, ARGV[2], ARGV[3], ARGV[5] == '1')
redis.call('HSET', KEYS[2], ARGV[1], record)
index_device({KEYS[4], KEYS[5], KEYS[6], KEYS[7]}, ARGV[1], false, record)
notify_device('CREATE', ARGV[1], record)
return {'OK', version_of(record)}`,
});

/**
 * KEYS: marker, devices, device-ids, device-fields, device-unindexed, via-refs.
 * ARGV: device id, body (JSON object without status), last-user, If-Match argument (model/version.ts).
 */
export const updateDevice: LuaScript = announcing({
  name: 'update-device',
  numberOfKeys: 6,
  source: `${DEVICE_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if not old then return 'NOT_FOUND' end
if not if_match_ok(old, ARGV[4]) then return 'PRECONDITION_FAILED' end
local record = device_record(old, ARGV[2], ARGV[3], false)
redis.call('HSET', KEYS[2], ARGV[1], record)
index_device({KEYS[3], KEYS[4], KEYS[5], KEYS[6]}, ARGV[1], old, record)
notify_device('UPDATE', ARGV[1], record)
return {'OK', version_of(record)}`,
});

/**
 * Indexes the devices of a tenant that are not in its id index yet (records written before the
 * indexes existed); devices already indexed are left alone, so it may run while others write.
 * KEYS: devices, device-ids, device-fields, device-unindexed, via-refs. ARGV: device ids.
 * Answers how many it indexed.
 */
export const indexDevices: LuaScript = {
  name: 'index-devices',
  numberOfKeys: 5,
  source: `${DEVICE_LUA}
local n = 0
for _, id in ipairs(ARGV) do
  if not redis.call('ZSCORE', KEYS[2], id) then
    local record = redis.call('HGET', KEYS[1], id)
    if record then
      index_device({KEYS[2], KEYS[3], KEYS[4], KEYS[5]}, id, false, record)
      n = n + 1
    end
  end
end
return n`,
};

/**
 * One page of a lexicographic range of an index at any offset, by rank: ZRANGE BYLEX with LIMIT
 * walks `offset` entries one by one, which on a deep page of a big range holds Redis up; here two
 * counts (O(log N)) give the ranks, and ZRANGE by rank reads only the page. Read-only.
 * KEYS: the sorted set. ARGV: the bound just below the range (the range's min with its
 * inclusiveness flipped), min, max, offset, count. Answers the page in ascending order.
 */
export const rangePage: LuaScript = {
  name: 'range-page',
  numberOfKeys: 1,
  source: `
local below = redis.call('ZLEXCOUNT', KEYS[1], '-', ARGV[1])
local size = redis.call('ZLEXCOUNT', KEYS[1], ARGV[2], ARGV[3])
local offset, count = tonumber(ARGV[4]), tonumber(ARGV[5])
if offset >= size or count <= 0 then return {} end
return redis.call('ZRANGE', KEYS[1], below + offset, below + math.min(offset + count, size) - 1)`,
};
