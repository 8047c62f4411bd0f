/**
 * Atomic multi-key operations. Each script touches keys of one hash tag only (see keys.ts), so it
 * runs unchanged on Redis Cluster. Scripts answer 'OK' or an outcome word that
 * store/redis.ts turns into a RegistryError: TENANT_NOT_FOUND, NOT_FOUND, EXISTS, DELETING,
 * CREATING, CA_CONFLICT, DENIED (device on the denied list), RESERVED (identity kept by one).
 */

export interface LuaScript {
  readonly name: string;
  readonly numberOfKeys: number;
  readonly source: string;
}

/** Index helpers shared by the credentials scripts: device id → JSON array of credential fields. */
export const INDEX_HELPERS = `
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

const TENANT_CA_HELPERS = `
local function ca_conflict(index, id, cas)
  for _, ca in ipairs(cas) do
    local owner = redis.call('HGET', index, ca)
    if owner and owner ~= id then return true end
  end
  return false
end
local function ca_release(tenant_cas, index, id)
  local raw = redis.call('HGET', tenant_cas, id)
  if not raw then return end
  for _, ca in ipairs(cjson.decode(raw)) do
    if redis.call('HGET', index, ca) == id then redis.call('HDEL', index, ca) end
  end
  redis.call('HDEL', tenant_cas, id)
end
local function ca_claim(tenant_cas, index, id, cas_json, cas)
  if #cas == 0 then return end
  redis.call('HSET', tenant_cas, id, cas_json)
  for _, ca in ipairs(cas) do redis.call('HSET', index, ca, id) end
end
`;

const NOW_MS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * First step of a tenant creation; the tenant's marker is written next, in its own slot.
 * KEYS: tenants, tenant-cas, ca-index, tenants-deleting, tenants-creating. ARGV: id, json, JSON array of DN keys.
 */
export const createTenant: LuaScript = {
  name: 'create-tenant',
  numberOfKeys: 5,
  source: `${TENANT_CA_HELPERS}${NOW_MS}
local id, cas = ARGV[1], cjson.decode(ARGV[3])
if redis.call('HEXISTS', KEYS[1], id) == 1 then return 'EXISTS' end
if redis.call('HEXISTS', KEYS[4], id) == 1 then return 'DELETING' end
if ca_conflict(KEYS[3], id, cas) then return 'CA_CONFLICT' end
redis.call('HSET', KEYS[1], id, ARGV[2])
redis.call('HSET', KEYS[5], id, now_ms())
ca_claim(KEYS[2], KEYS[3], id, ARGV[3], cas)
return 'OK'`,
};

/** KEYS: tenants, tenant-cas, ca-index. ARGV: id, json, JSON array of DN keys. */
export const updateTenant: LuaScript = {
  name: 'update-tenant',
  numberOfKeys: 3,
  source: `${TENANT_CA_HELPERS}
local id, cas = ARGV[1], cjson.decode(ARGV[3])
if redis.call('HEXISTS', KEYS[1], id) == 0 then return 'NOT_FOUND' end
if ca_conflict(KEYS[3], id, cas) then return 'CA_CONFLICT' end
ca_release(KEYS[2], KEYS[3], id)
redis.call('HSET', KEYS[1], id, ARGV[2])
ca_claim(KEYS[2], KEYS[3], id, ARGV[3], cas)
return 'OK'`,
};

/**
 * First step of a tenant deletion. Refused while the tenant's creation is still writing its marker
 * (a creation older than ARGV[2] ms is taken as abandoned by a crashed process).
 * KEYS: tenants, tenant-cas, ca-index, tenants-deleting, tenants-creating. ARGV: id, stale-after ms.
 */
export const beginTenantDeletion: LuaScript = {
  name: 'begin-tenant-deletion',
  numberOfKeys: 5,
  source: `${TENANT_CA_HELPERS}${NOW_MS}
local id = ARGV[1]
local json = redis.call('HGET', KEYS[1], id)
if not json then return 'NOT_FOUND' end
local creating = redis.call('HGET', KEYS[5], id)
if creating and now_ms() - tonumber(creating) < tonumber(ARGV[2]) then return 'CREATING' end
redis.call('HDEL', KEYS[5], id)
ca_release(KEYS[2], KEYS[3], id)
redis.call('HDEL', KEYS[1], id)
redis.call('HSET', KEYS[4], id, json)
return 'OK'`,
};

/** KEYS: ca-index, tenants. ARGV: DN key. The tenant JSON owning the CA, or nil. */
export const getTenantByCa: LuaScript = {
  name: 'get-tenant-by-ca',
  numberOfKeys: 2,
  source: `
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return false end
return redis.call('HGET', KEYS[2], id)`,
};

/** A read inside a live tenant. KEYS: marker, hash. ARGV: field. Answers {0} or {1, value|nil}. */
export const getInTenant: LuaScript = {
  name: 'get-in-tenant',
  numberOfKeys: 2,
  source: `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
return {1, redis.call('HGET', KEYS[2], ARGV[1])}`,
};

/** KEYS: marker, devices, denied-devices. ARGV: device id, json. */
export const createDevice: LuaScript = {
  name: 'create-device',
  numberOfKeys: 3,
  source: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return 'DENIED' end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 'EXISTS' end
return 'OK'`,
};

/** KEYS: marker, devices. ARGV: device id, json. */
export const updateDevice: LuaScript = {
  name: 'update-device',
  numberOfKeys: 2,
  source: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 'NOT_FOUND' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 'OK'`,
};

/** A device on the denied list, or an identity it keeps reserved, cannot get credentials. KEYS[4..5]: denied-devices, denied-identities. */
const DENIED_CHECKS = `
local function denied_check(device, field)
  if redis.call('HEXISTS', KEYS[4], device) == 1 then return 'DENIED' end
  if redis.call('HEXISTS', KEYS[5], field) == 1 then return 'RESERVED' end
  return nil
end
`;

/** KEYS: marker, credentials, device-credentials, denied-devices, denied-identities. ARGV: field, device id, json. */
export const addCredentials: LuaScript = {
  name: 'add-credentials',
  numberOfKeys: 5,
  source: `${INDEX_HELPERS}${DENIED_CHECKS}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
local refused = denied_check(ARGV[2], ARGV[1])
if refused then return refused end
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3]) == 0 then return 'EXISTS' end
index_add(KEYS[3], ARGV[2], ARGV[1])
return 'OK'`,
};

/** KEYS: marker, credentials, device-credentials, denied-devices, denied-identities. ARGV: field, device id, json. */
export const updateCredentials: LuaScript = {
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
end
return 'OK'`,
};

/** KEYS: marker, credentials, device-credentials. ARGV: field. */
export const deleteCredentials: LuaScript = {
  name: 'delete-credentials',
  numberOfKeys: 3,
  source: `${INDEX_HELPERS}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if not old then return 'NOT_FOUND' end
redis.call('HDEL', KEYS[2], ARGV[1])
index_remove(KEYS[3], cjson.decode(old)['device-id'], ARGV[1])
return 'OK'`,
};

/** KEYS: marker, credentials, device-credentials. ARGV: device id. */
export const deleteDeviceCredentials: LuaScript = {
  name: 'delete-device-credentials',
  numberOfKeys: 3,
  source: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
local raw = redis.call('HGET', KEYS[3], ARGV[1])
if not raw then return 'NOT_FOUND' end
for _, field in ipairs(cjson.decode(raw)) do redis.call('HDEL', KEYS[2], field) end
redis.call('HDEL', KEYS[3], ARGV[1])
return 'OK'`,
};

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
 * Auto-provisioning (Hono 1.1): creates the device (unless it exists) and its credentials at once.
 * KEYS: marker, devices, credentials, device-credentials, denied-devices, denied-identities.
 * ARGV: field, device id, credentials json, device json.
 */
export const provisionDevice: LuaScript = {
  name: 'provision-device',
  numberOfKeys: 6,
  source: `${INDEX_HELPERS}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
if redis.call('HEXISTS', KEYS[6], ARGV[1]) == 1 then return 'RESERVED' end
if redis.call('HEXISTS', KEYS[5], ARGV[2]) == 1 then return 'DENIED' end
if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[3]) == 0 then return 'EXISTS' end
redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[4])
index_add(KEYS[4], ARGV[2], ARGV[1])
return 'OK'`,
};
