/**
 * Bulk import: many devices of one tenant, each with its credentials, in one script call. One
 * tenant per call keeps every key in the tenant's slot (Redis Cluster). Each device is applied
 * all-or-nothing: its checks run first, and a device with a conflict writes nothing.
 */
import { INDEX_HELPERS, type LuaScript } from './scripts.js';

/**
 * KEYS: marker, devices, credentials, device-credentials, denied-devices, denied-identities.
 * ARGV[1]: 'create' (differing records are conflicts) or 'replace' (they are overwritten).
 * Then per device: device id, registration JSON ('' = leave the registration alone), n, and n
 * pairs of credential field and credentials JSON.
 * Answers 'TENANT_NOT_FOUND', or one word per device: CREATED, UPDATED (records added to an
 * existing device), REPLACED, UNCHANGED, DENIED, DEVICE_DIFFERS, RESERVED:<k>,
 * CREDENTIALS_DIFFER:<k>, OWNED:<k>:<owner> (k: 0-based credential of the device).
 */
export const importDevices: LuaScript = {
  name: 'import-devices',
  numberOfKeys: 6,
  source: `${INDEX_HELPERS}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
local replace = ARGV[1] == 'replace'
local out = {}

local function check(device, djson, first, n, olds)
  if redis.call('HEXISTS', KEYS[5], device) == 1 then return 'DENIED' end
  local old_device = false
  if djson ~= '' then
    old_device = redis.call('HGET', KEYS[2], device)
    if old_device and old_device ~= djson and not replace then return 'DEVICE_DIFFERS' end
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
  if djson ~= '' then
    if not olds[0] then added = added + 1 elseif olds[0] ~= djson then replaced = replaced + 1 else kept = kept + 1 end
    if olds[0] ~= djson then redis.call('HSET', KEYS[2], device, djson) end
  end
  for k = 0, n - 1 do
    local field, json, old = ARGV[first + 2 * k], ARGV[first + 2 * k + 1], olds[k + 1]
    if not old then
      redis.call('HSET', KEYS[3], field, json)
      index_add(KEYS[4], device, field)
      added = added + 1
    elseif old ~= json then
      redis.call('HSET', KEYS[3], field, json)
      local owner = cjson.decode(old)['device-id']
      if owner ~= device then
        index_remove(KEYS[4], owner, field)
        index_add(KEYS[4], device, field)
      end
      replaced = replaced + 1
    else
      kept = kept + 1
    end
  end
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
};
