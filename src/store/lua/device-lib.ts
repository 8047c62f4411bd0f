/**
 * Lua functions of every script that writes a device (docs/management-v1.md "How search is indexed"):
 * the record's `status` with the time of Redis, and the search index entries derived from the old
 * and the new record by the leaf rules of model/device-index.ts (the constants come from there).
 * Index keys, in this order: device-ids, device-fields, device-unindexed, via-refs.
 */
import { V1_DEVICE_MEMBERS } from '../../model/device.js';
import { INDEX_LIMITS, UNINDEXED_POINTERS } from '../../model/device-index.js';
import { VERSION_LUA } from '../../model/version.js';

const luaSet = (names: readonly string[]) => `{${names.map((n) => `[${JSON.stringify(n)}]=true`).join(', ')}}`;

/** `iso_time(ms)`: the ISO-8601 UTC time of epoch milliseconds, as JavaScript's toISOString writes it. */
export const TIME_LUA = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function iso_time(ms)
  local s = math.floor(ms / 1000)
  local days = math.floor(s / 86400)
  local rem = s - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%03dZ', y, m, d, math.floor(rem / 3600), math.floor(rem % 3600 / 60), rem % 60, ms % 1000)
end
`;

/** `device_entries(id, json)`: the index entries of a record ({list, complete, via}), by the leaf rules. */
export const INDEX_LUA = `
local IDX_MEMBERS = ${luaSet(V1_DEVICE_MEMBERS)}
local IDX_SKIP = ${luaSet(UNINDEXED_POINTERS)}
local function idx_escape(token)
  return (string.gsub(string.gsub(token, '~', '~0'), '/', '~1'))
end
local function idx_leaf(out, ptr, v)
  local tv, typed = type(v), nil
  if tv == 'string' then typed = 's:' .. v
  elseif tv == 'boolean' then typed = v and 'b:true' or 'b:false'
  elseif tv == 'number' then
    if v ~= math.floor(v) or v > 9007199254740992 or v < -9007199254740992 then return true end
    typed = 'n:' .. string.format('%d', v)
  else return true end
  if IDX_SKIP[ptr] then return true end
  if (tv == 'string' and #v > ${INDEX_LIMITS.valueBytes}) or #ptr > ${INDEX_LIMITS.pointerBytes} or string.find(typed, '\\0', 1, true) or string.find(ptr, '\\0', 1, true) then return false end
  local entry = ptr .. '\\0' .. typed
  if not out.seen[entry] then
    out.seen[entry] = true
    out.n = out.n + 1
    out.list[out.n] = entry
  end
  return out.n <= ${INDEX_LIMITS.leaves}
end
local function idx_walk(out, node, ptr, depth)
  if type(node) ~= 'table' then return idx_leaf(out, ptr, node) end
  if node[1] ~= nil or next(node) == nil then
    for _, element in ipairs(node) do
      if type(element) == 'table' or not idx_leaf(out, ptr, element) then return false end
    end
    return true
  end
  if depth >= ${INDEX_LIMITS.depth} then return false end
  for key, value in pairs(node) do
    if not idx_walk(out, value, ptr .. '/' .. idx_escape(key), depth + 1) then return false end
  end
  return true
end
local function device_entries(id, json)
  local out = {seen = {}, list = {}, n = 0, complete = true, via = {}, members = {}}
  if not json then return out end
  local doc = cjson.decode(json)
  local ext = doc['ext']
  local ext_object = type(ext) == 'table' and (next(ext) == nil or ext[1] == nil)
  for key, value in pairs(doc) do
    local ptr, depth = nil, 1
    if key == 'ext' then
      if ext_object then ptr = '/ext' else ptr, depth = '/ext/ext', 2 end
    elseif IDX_MEMBERS[key] then ptr = '/' .. idx_escape(key)
    elseif not (ext_object and ext[key] ~= nil) then ptr, depth = '/ext/' .. idx_escape(key), 2 end
    if ptr and out.complete then out.complete = idx_walk(out, value, ptr, depth) end
  end
  local via = doc['via']
  if type(via) == 'string' then out.via = {via}
  elseif type(via) == 'table' then
    for _, gateway in ipairs(via) do if type(gateway) == 'string' then out.via[#out.via + 1] = gateway end end
  end
  if out.complete then
    for i, entry in ipairs(out.list) do out.members[i] = entry .. '\\0' .. id end
  end
  return out
end
`;

/**
 * \`index_device(k, id, old, new)\`: moves the device's index entries from those of \`old\` to those of
 * \`new\` (either may be false: created, deleted). \`k\`: the four index keys.
 */
export const INDEX_WRITE_LUA = `${INDEX_LUA}
local function index_device(k, id, old, new)
  local before, after = device_entries(id, old), device_entries(id, new)
  local keep, gone, added = {}, {}, {}
  for _, m in ipairs(after.members) do keep[m] = true end
  for _, m in ipairs(before.members) do if not keep[m] then gone[#gone + 1] = m end end
  for _, m in ipairs(after.members) do added[#added + 1] = 0; added[#added + 1] = m end
  if #gone > 0 then redis.call('ZREM', k[2], unpack(gone)) end
  if #added > 0 then redis.call('ZADD', k[2], unpack(added)) end
  if new then redis.call('ZADD', k[1], 0, id) else redis.call('ZREM', k[1], id) end
  if new and not after.complete then redis.call('ZADD', k[3], 0, id) elseif old and not before.complete then redis.call('ZREM', k[3], id) end
  for _, g in ipairs(before.via) do
    if redis.call('HINCRBY', k[4], g, -1) <= 0 then redis.call('HDEL', k[4], g) end
  end
  for _, g in ipairs(after.via) do redis.call('HINCRBY', k[4], g, 1) end
end
`;

/**
 * \`device_record(old, body, user, provisioned)\`: the record to store, the body (JSON object text
 * without \`status\`) with its status: \`created\` (kept from \`old\`), \`updated\` (when \`old\`
 * exists), \`last-user\`, the auto-provisioning flags (kept; \`provisioned\` sets the first on a
 * creation). Its version always differs from the old one's: a write that would store the very same
 * bytes in the same millisecond takes the next millisecond.
 */
export const STATUS_LUA = `${TIME_LUA}
local function status_json(old, user, provisioned, at)
  local created, ap, sent = at, provisioned, false
  if old then
    created = nil
    local s = cjson.decode(old)['status']
    if type(s) == 'table' then
      if type(s['created']) == 'string' then created = s['created'] end
      ap = s['auto-provisioned'] == true
      sent = s['auto-provisioning-notification-sent'] == true
    end
  end
  local parts = {}
  if created then parts[#parts + 1] = '"created":' .. cjson.encode(created) end
  if old then parts[#parts + 1] = '"updated":' .. cjson.encode(at) end
  parts[#parts + 1] = '"last-user":' .. cjson.encode(user)
  if ap then parts[#parts + 1] = '"auto-provisioned":true' end
  if sent then parts[#parts + 1] = '"auto-provisioning-notification-sent":true' end
  return '{' .. table.concat(parts, ',') .. '}'
end
local function with_status(body, status)
  if body == '{}' then return '{"status":' .. status .. '}' end
  return string.sub(body, 1, -2) .. ',"status":' .. status .. '}'
end
local function device_record(old, body, user, provisioned)
  local ms = now_ms()
  local record = with_status(body, status_json(old, user, provisioned, iso_time(ms)))
  while old and record == old do
    ms = ms + 1
    record = with_status(body, status_json(old, user, provisioned, iso_time(ms)))
  end
  return record
end
`;

/** Everything a device-writing script includes: versions, status, the index. */
export const DEVICE_LUA = `${VERSION_LUA}${STATUS_LUA}${INDEX_WRITE_LUA}`;
