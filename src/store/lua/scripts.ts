/**
 * Atomic multi-key operations. Each script touches keys of one hash tag only (see keys.ts), so it
 * runs unchanged on Redis Cluster. Scripts answer 'OK' or an outcome word that
 * store/redis.ts turns into a RegistryError: TENANT_NOT_FOUND, NOT_FOUND, EXISTS, DELETING,
 * CREATING, DENIED (device on the denied list), RESERVED (identity kept by one), LIMIT (the
 * tenant's max-devices is reached), CREDENTIALS_LIMIT (its max-credentials-per-device). The tenant
 * scripts are in tenant-scripts.ts, the device scripts in device-scripts.ts.
 */
import { DEVICE_LUA } from './device-lib.js';
import { announcing } from './outbox.js';

export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly source: string;
  /** Built by `announcing` (lua/outbox.ts): the script appends Hono's change notifications to its slot's outbox. */
  readonly announces?: true;
}

/** The credentials field a search index member names (nil for a malformed member); reads only. */
export const SEARCH_FIELD = `
local function search_field(member)
  local family, first, second = string.match(member, '^(.)%z([^%z]*)%z(.*)$')
  if family == 'a' then return second .. ':' .. first end
  if family == 't' then return first .. ':' .. second end
  return nil
end
`;

/**
 * The search index of a tenant's credentials (keys.credentialSearchMembers, which states the same
 * members in TypeScript): every script that adds a credentials field or removes one keeps it in step.
 */
export const SEARCH_HELPERS = `
local function search_members(field)
  local sep = string.find(field, ':', 1, true)
  local kind, auth_id = string.sub(field, 1, sep - 1), string.sub(field, sep + 1)
  return 'a\\0' .. auth_id .. '\\0' .. kind, 't\\0' .. kind .. '\\0' .. auth_id
end
local function search_add(key, field)
  local by_auth_id, by_type = search_members(field)
  redis.call('ZADD', key, 0, by_auth_id, 0, by_type)
end
local function search_remove(key, field)
  local by_auth_id, by_type = search_members(field)
  redis.call('ZREM', key, by_auth_id, by_type)
end
`;

/** Index helpers shared by the credentials scripts: device id → JSON array of credential fields, and the search index. */
export const INDEX_HELPERS = `${SEARCH_HELPERS}
local function index_add(key, device, field)
  local raw = redis.call('HGET', key, device)
  local list = raw and cjson.decode(raw) or {}
  table.insert(list, field)
  redis.call('HSET', key, device, cjson.encode(list))
end
local function index_remove(key, device, field)
  local raw = redis.call('HGET', key, device)
  if not raw then return end
  local list, kept = cjson.decode(raw), {}
  for _, f in ipairs(list) do if f ~= field then table.insert(kept, f) end end
  if #kept == 0 then redis.call('HDEL', key, device) else redis.call('HSET', key, device, cjson.encode(kept)) end
end
`;

/** A read inside a live tenant. KEYS: marker, hash. ARGV: field. Answers {0} or {1, value|nil}. */
export const getInTenant: LuaScript = {
  name: 'get-in-tenant',
  numberOfKeys: 2,
  source: `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
return {1, redis.call('HGET', KEYS[2], ARGV[1])}`,
};

/** A device on the denied list, or an identity it keeps reserved, cannot get credentials. KEYS[4..5]: denied-devices, denied-identities. */
const DENIED_CHECKS = `
local function denied_check(device, field)
  if redis.call('HEXISTS', KEYS[4], device) == 1 then return 'DENIED' end
  if redis.call('HEXISTS', KEYS[5], field) == 1 then return 'RESERVED' end
  return nil
end
`;

/**
 * KEYS: marker, credentials, device-credentials, denied-devices, denied-identities, credentials-search.
 * ARGV: field, device id, json, the most records a device may have (-1: no limit; CREDENTIALS_LIMIT when reached).
 */
export const addCredentials: LuaScript = announcing({
  name: 'add-credentials',
  numberOfKeys: 6,
  source: `${INDEX_HELPERS}${DENIED_CHECKS}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
local refused = denied_check(ARGV[2], ARGV[1])
if refused then return refused end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 'EXISTS' end
if tonumber(ARGV[4]) >= 0 then
  local owned = redis.call('HGET', KEYS[3], ARGV[2])
  if (owned and #cjson.decode(owned) or 0) >= tonumber(ARGV[4]) then return 'CREDENTIALS_LIMIT' end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
index_add(KEYS[3], ARGV[2], ARGV[1])
search_add(KEYS[6], ARGV[1])
notify_credentials(ARGV[2])
return 'OK'`,
});

/** KEYS: marker, credentials, device-credentials, denied-devices, denied-identities. ARGV: field, device id, json. */
export const updateCredentials: LuaScript = announcing({
  name: 'update-credentials',
  numberOfKeys: 5,
  source: `${INDEX_HELPERS}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
if redis.call('HEXISTS', KEYS[4], ARGV[2]) == 1 then return 'DENIED' end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if not old then return 'NOT_FOUND' end
local old_device = cjson.decode(old)['device-id']
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if old_device ~= ARGV[2] then
  index_remove(KEYS[3], old_device, ARGV[1])
  index_add(KEYS[3], ARGV[2], ARGV[1])
  notify_credentials(old_device)
end
notify_credentials(ARGV[2])
return 'OK'`,
});

/** KEYS: marker, credentials, device-credentials, credentials-search. ARGV: field. */
export const deleteCredentials: LuaScript = announcing({
  name: 'delete-credentials',
  numberOfKeys: 4,
  source: `${INDEX_HELPERS}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if not old then return 'NOT_FOUND' end
redis.call('HDEL', KEYS[2], ARGV[1])
local old_device = cjson.decode(old)['device-id']
index_remove(KEYS[3], old_device, ARGV[1])
search_remove(KEYS[4], ARGV[1])
notify_credentials(old_device)
return 'OK'`,
});

/** KEYS: marker, credentials, device-credentials, credentials-search. ARGV: device id. */
export const deleteDeviceCredentials: LuaScript = announcing({
  name: 'delete-device-credentials',
  numberOfKeys: 4,
  source: `${SEARCH_HELPERS}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
local raw = redis.call('HGET', KEYS[3], ARGV[1])
if not raw then return 'NOT_FOUND' end
for _, field in ipairs(cjson.decode(raw)) do
  if redis.call('HDEL', KEYS[2], field) == 1 then search_remove(KEYS[4], field) end
end
redis.call('HDEL', KEYS[3], ARGV[1])
notify_credentials(ARGV[1])
return 'OK'`,
});

/** KEYS: marker, credentials, device-credentials. ARGV: device id. Answers {0} or {1, json...}. */
export const getDeviceCredentials: LuaScript = {
  name: 'get-device-credentials',
  numberOfKeys: 3,
  source: `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local raw = redis.call('HGET', KEYS[3], ARGV[1])
if not raw then return {1} end
local result = {1}
for _, field in ipairs(cjson.decode(raw)) do
  local json = redis.call('HGET', KEYS[2], field)
  if json then table.insert(result, json) end
end
return result`,
};

/**
 * Auto-provisioning (Hono 1.1): creates the device (unless it exists; with its status and index
 * entries, device-lib.ts) and its credentials at once.
 * KEYS: marker, devices, credentials, device-credentials, denied-devices, denied-identities,
 * device-ids, device-fields, device-unindexed, via-refs, credentials-search.
 * ARGV: field, device id, credentials json, device body, most devices of the tenant (-1: no limit).
 */
export const provisionDevice: LuaScript = announcing({
  name: 'provision-device',
  numberOfKeys: 11,
  source: `${INDEX_HELPERS}${DEVICE_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
if redis.call('HEXISTS', KEYS[6], ARGV[1]) == 1 then return 'RESERVED' end
if redis.call('HEXISTS', KEYS[5], ARGV[2]) == 1 then return 'DENIED' end
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 'EXISTS' end
local created = false
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 then
  local max = tonumber(ARGV[5])
  if max >= 0 and redis.call('HLEN', KEYS[2]) >= max then return 'LIMIT' end
  created = device_record(false, ARGV[4], 'auto-provisioning', true)
  redis.call('HSET', KEYS[2], ARGV[2], created)
  index_device({KEYS[7], KEYS[8], KEYS[9], KEYS[10]}, ARGV[2], false, created)
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
index_add(KEYS[4], ARGV[2], ARGV[1])
search_add(KEYS[11], ARGV[1])
if created then notify_device('CREATE', ARGV[2], created, true) else notify_credentials(ARGV[2]) end
return 'OK'`,
});
