/**
 * Repairs of the consistency check (`device-registry check --fix`). Each one re-checks, inside
 * Redis, the condition the check found and changes nothing when a concurrent write has already
 * resolved it, so a repair never undoes a change made meanwhile. Same single-slot rule as scripts.ts.
 */
import { SEARCH_FIELD, SEARCH_HELPERS, type LuaScript } from './scripts.js';

const INDEX_HELPERS = `
local function index_list(key, device)
  local raw = redis.call('HGET', key, device)
  return raw and cjson.decode(raw) or {}
end
local function index_has(list, field)
  for _, f in ipairs(list) do if f == field then return true end end
  return false
end
`;

/**
 * Repairs inside one tenant's slot. KEYS: credentials, device-credentials, denied-devices,
 * denied-identities, denied-index, credentials-search. ARGV: repair, device id, credential field
 * (for `search-remove`: the search member).
 * Repairs: `index-add` (a record missing from its device's index), `index-remove` (an index entry
 * naming a record that is gone or names another device), `denied-index` (the paging index out of
 * step with the denied list), `identity-release` (an identity reserved by a device not denied),
 * `search-add` (a record missing from the search index), `search-remove` (a search member naming no record).
 * Answers 1 when it changed something, else 0.
 */
export const repairTenantSlot: LuaScript = {
  name: 'repair-tenant-slot',
  numberOfKeys: 6,
  source: `${INDEX_HELPERS}${SEARCH_HELPERS}${SEARCH_FIELD}
local op, device, field = ARGV[1], ARGV[2], ARGV[3]
local function names_device()
  local json = redis.call('HGET', KEYS[1], field)
  return json and cjson.decode(json)['device-id'] == device
end
if op == 'index-add' then
  local list = index_list(KEYS[2], device)
  if not names_device() or index_has(list, field) then return 0 end
  table.insert(list, field)
  redis.call('HSET', KEYS[2], device, cjson.encode(list))
  return 1
elseif op == 'index-remove' then
  local list, kept = index_list(KEYS[2], device), {}
  if names_device() or not index_has(list, field) then return 0 end
  for _, f in ipairs(list) do if f ~= field then table.insert(kept, f) end end
  if #kept == 0 then redis.call('HDEL', KEYS[2], device) else redis.call('HSET', KEYS[2], device, cjson.encode(kept)) end
  return 1
elseif op == 'denied-index' then
  if redis.call('HEXISTS', KEYS[3], device) == 1 then return redis.call('ZADD', KEYS[5], 0, device) end
  return redis.call('ZREM', KEYS[5], device)
elseif op == 'identity-release' then
  if redis.call('HGET', KEYS[4], field) ~= device or redis.call('HEXISTS', KEYS[3], device) == 1 then return 0 end
  return redis.call('HDEL', KEYS[4], field)
elseif op == 'search-add' then
  if redis.call('HEXISTS', KEYS[1], field) == 0 then return 0 end
  local before = redis.call('ZCARD', KEYS[6])
  search_add(KEYS[6], field)
  return redis.call('ZCARD', KEYS[6]) - before
elseif op == 'search-remove' then
  local named = search_field(field)
  if named and redis.call('HEXISTS', KEYS[1], named) == 1 then return 0 end
  return redis.call('ZREM', KEYS[6], field)
end
return redis.error_reply('unknown repair ' .. op)`,
};

/**
 * Repairs of the registry-wide indexes. KEYS: tenants, tenant-cas, ca-index, tenants-deleting,
 * tenants-creating, tenant-aliases, ca-shared. ARGV: repair, tenant id, CA DN key or alias.
 * Repairs: `abandon-tenant-data` (data of a tenant that does not exist is queued for the purge
 * start-up recovery runs), `ca-index-remove` (a DN owned, alone or shared, by a tenant that does not
 * exist or does not list it), `ca-index-add` (a DN a tenant lists but nobody owns),
 * `tenant-cas-remove` (the DN list of a tenant that does not exist), `creation-entry-remove` (the
 * creation entry of a tenant that does not exist), `alias-remove` (an alias whose tenant does not
 * exist or has another), `alias-add` (a tenant's alias nobody holds). Answers 1 or 0.
 */
export const repairRegistrySlot: LuaScript = {
  name: 'repair-registry-slot',
  numberOfKeys: 7,
  source: `${INDEX_HELPERS}
local op, id, dn = ARGV[1], ARGV[2], ARGV[3]
local json = redis.call('HGET', KEYS[1], id)
local exists = json ~= false
local function alias_of()
  local alias = json and cjson.decode(json)['alias']
  return type(alias) == 'string' and alias or nil
end
local function unshare(ca)
  local list = redis.call('HGET', KEYS[7], ca)
  if not list then return 0 end
  local kept = {}
  for _, o in ipairs(cjson.decode(list)) do if o ~= id then table.insert(kept, o) end end
  if #kept > 1 then redis.call('HSET', KEYS[7], ca, cjson.encode(kept)) else redis.call('HDEL', KEYS[7], ca) end
  if #kept == 1 then redis.call('HSET', KEYS[3], ca, kept[1]) end
  return 1
end
if op == 'abandon-tenant-data' then
  if exists then return 0 end
  return redis.call('HSETNX', KEYS[4], id, '{}')
elseif op == 'ca-index-remove' then
  if exists and index_has(index_list(KEYS[2], id), dn) then return 0 end
  if redis.call('HGET', KEYS[3], dn) == id then return redis.call('HDEL', KEYS[3], dn) end
  return unshare(dn)
elseif op == 'ca-index-add' then
  if not exists or not index_has(index_list(KEYS[2], id), dn) then return 0 end
  if redis.call('HEXISTS', KEYS[7], dn) == 1 then return 0 end
  return redis.call('HSETNX', KEYS[3], dn, id)
elseif op == 'tenant-cas-remove' then
  if exists then return 0 end
  for _, ca in ipairs(index_list(KEYS[2], id)) do
    if redis.call('HGET', KEYS[3], ca) == id then redis.call('HDEL', KEYS[3], ca) else unshare(ca) end
  end
  return redis.call('HDEL', KEYS[2], id)
elseif op == 'creation-entry-remove' then
  if exists then return 0 end
  return redis.call('HDEL', KEYS[5], id)
elseif op == 'alias-remove' then
  if redis.call('HGET', KEYS[6], dn) ~= id or alias_of() == dn then return 0 end
  return redis.call('HDEL', KEYS[6], dn)
elseif op == 'alias-add' then
  if alias_of() ~= dn then return 0 end
  return redis.call('HSETNX', KEYS[6], dn, id)
end
return redis.error_reply('unknown repair ' .. op)`,
};
