/**
 * Bulk import: many devices of one tenant, each with its credentials, in one script call. One
 * tenant per call keeps every key in the tenant's slot (Redis Cluster). Each device is applied
 * all-or-nothing: its checks run first, and a device with a conflict writes nothing.
 */
import { DEVICE_LUA } from './device-lib.js';
import { announcing } from './outbox.js';
import { INDEX_HELPERS, type LuaScript } from './scripts.js';

/**
 * Whether a stored device record holds the registration data of an import: equal as JSON values,
 * the record's `status` (which the registry keeps) left out.
 */
const SAME_DEVICE = `
local function json_same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= 'table' then return a == b end
  for k, v in pairs(a) do if not json_same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end
local function same_device(stored, data)
  local record = cjson.decode(stored)
  record['status'] = nil
  return json_same(record, cjson.decode(data))
end
`;

/**
 * KEYS: marker, devices, credentials, device-credentials, denied-devices, denied-identities,
 * device-ids, device-fields, device-unindexed, via-refs, credentials-search.
 * ARGV[1]: 'create' (differing records are conflicts) or 'replace' (they are overwritten).
 * Then per device: device id, registration JSON ('' = leave the registration alone), n, and n
 * pairs of credential field and credentials JSON. Devices are written with their status
 * (last-user `import`) and search index entries (device-lib.ts).
 * Answers 'TENANT_NOT_FOUND', or one word per device: CREATED, UPDATED (records added to an
 * existing device), REPLACED, UNCHANGED, DENIED, DEVICE_DIFFERS, RESERVED:<k>,
 * CREDENTIALS_DIFFER:<k>, OWNED:<k>:<owner> (k: 0-based credential of the device).
 */
export const importDevices: LuaScript = announcing({
  name: 'import-devices',
  numberOfKeys: 11,
  source: `${INDEX_HELPERS}${DEVICE_LUA}${SAME_DEVICE}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
local replace = ARGV[1] == 'replace'
local out = {}

local function check(device, djson, first, n, olds)
  if redis.call('HEXISTS', KEYS[5], device) == 1 then return 'DENIED' end
  local old_device = false
  if djson ~= '' then
    old_device = redis.call('HGET', KEYS[2], device)
    if old_device and not replace and not same_device(old_device, djson) then return 'DEVICE_DIFFERS' end
  end
  olds[0] = old_device
  for k = 0, n - 1 do
    local field, json = ARGV[first + 2 * k], ARGV[first + 2 * k + 1]
    if redis.call('HEXISTS', KEYS[6], field) == 1 then return 'RESERVED:' .. k end
    local old = redis.call('HGET', KEYS[3], field)
    olds[k + 1] = old
    if old and old ~= json and not replace then
      local owner = cjson.decode(old)['device-id']
      if owner ~= device then return 'OWNED:' .. k .. ':' .. tostring(owner) end
      return 'CREDENTIALS_DIFFER:' .. k
    end
  end
  return nil
end

local function apply(device, djson, first, n, olds)
  local added, replaced, kept = 0, 0, 0
  local credentials_changed, device_change, stored = false, nil, nil
  if djson ~= '' then
    local old = olds[0]
    if old and same_device(old, djson) then
      kept = kept + 1
    else
      if old then replaced = replaced + 1 else added = added + 1 end
      local record = device_record(old, djson, 'import', false)
      redis.call('HSET', KEYS[2], device, record)
      index_device({KEYS[7], KEYS[8], KEYS[9], KEYS[10]}, device, old, record)
      device_change, stored = old and 'UPDATE' or 'CREATE', record
    end
  end
  for k = 0, n - 1 do
    local field, json, old = ARGV[first + 2 * k], ARGV[first + 2 * k + 1], olds[k + 1]
    if not old then
      redis.call('HSET', KEYS[3], field, json)
      index_add(KEYS[4], device, field)
      search_add(KEYS[11], field)
      added = added + 1
      credentials_changed = true
    elseif old ~= json then
      redis.call('HSET', KEYS[3], field, json)
      local owner = cjson.decode(old)['device-id']
      if owner ~= device then
        index_remove(KEYS[4], owner, field)
        index_add(KEYS[4], device, field)
        notify_credentials(owner)
      end
      replaced = replaced + 1
      credentials_changed = true
    else
      kept = kept + 1
    end
  end
  -- One entry per device: its change, and whether its credentials changed too.
  if device_change then notify_device(device_change, device, stored, credentials_changed)
  elseif credentials_changed then notify_credentials(device) end
  if replaced > 0 then return 'REPLACED' end
  if added == 0 then return 'UNCHANGED' end
  if kept > 0 then return 'UPDATED' end
  return 'CREATED'
end

local i = 2
while i <= #ARGV do
  local device, djson, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local first = i + 3
  i = first + 2 * n
  local olds = {}
  local refused = check(device, djson, first, n, olds)
  out[#out + 1] = refused or apply(device, djson, first, n, olds)
end
return out`,
});
