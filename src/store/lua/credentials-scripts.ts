/**
 * A device's credentials as one set (the /v1 face, docs/management-v1.md "Credentials"): read with
 * its version, replace atomically under a version check, and search by auth-id or type. Same
 * single-slot rule as scripts.ts: every key is one of the tenant's.
 */
import { VERSION_LUA } from '../../model/version.js';
import { announcing } from './outbox.js';
import { SEARCH_FIELD, SEARCH_HELPERS, type LuaScript } from './scripts.js';

/** The device's records in index order, as `records`, and the set of their fields, as `mine`. KEYS[3]: credentials, KEYS[4]: device-credentials. */
const OWN_RECORDS = `
local function own_records(device)
  local raw = redis.call('HGET', KEYS[4], device)
  local records, mine = {}, {}
  for _, field in ipairs(raw and cjson.decode(raw) or {}) do
    local json = redis.call('HGET', KEYS[3], field)
    if json and cjson.decode(json)['device-id'] == device then
      table.insert(records, json)
      mine[field] = true
    end
  end
  return records, mine
end
`;

/**
 * KEYS: marker, devices, credentials, device-credentials. ARGV: device id.
 * Answers {0} (no tenant), {1} (no device) or {2, json...} (the device's records in index order).
 */
export const getCredentialsSet: LuaScript = {
  name: 'get-credentials-set',
  numberOfKeys: 4,
  source: `${OWN_RECORDS}
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return {1} end
local records = own_records(ARGV[1])
table.insert(records, 1, 2)
return records`,
};

/**
 * Replaces every record of a device by the given ones, if the set still has the version the
 * caller read (CHANGED otherwise). An identity of another device (OWNED:<k>) or reserved by a
 * denied one (RESERVED:<k>) refuses the whole set (k: 0-based position of the record). A set
 * replaced announces a credentials change of the device, as Hono's setCredentials on success (also
 * when the records stayed the same).
 * KEYS: marker, devices, credentials, device-credentials, denied-devices, denied-identities, credentials-search.
 * ARGV: device id, expected version, then field and JSON of each record in order.
 */
export const replaceCredentialsSet: LuaScript = announcing({
  name: 'replace-credentials-set',
  numberOfKeys: 7,
  source: `${SEARCH_HELPERS}${VERSION_LUA}${OWN_RECORDS}
local device = ARGV[1]
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
if redis.call('HEXISTS', KEYS[2], device) == 0 then return 'NOT_FOUND' end
local records, mine = own_records(device)
if credentials_version(records) ~= ARGV[2] then return 'CHANGED' end
local fields, wanted = {}, {}
for i = 3, #ARGV, 2 do
  local field, k = ARGV[i], #fields
  if redis.call('HEXISTS', KEYS[6], field) == 1 then return 'RESERVED:' .. k end
  if not mine[field] and redis.call('HEXISTS', KEYS[3], field) == 1 then return 'OWNED:' .. k end
  table.insert(fields, field)
  wanted[field] = true
end
for field in pairs(mine) do
  if not wanted[field] then
    redis.call('HDEL', KEYS[3], field)
    search_remove(KEYS[7], field)
  end
end
for i = 3, #ARGV, 2 do
  if not mine[ARGV[i]] then search_add(KEYS[7], ARGV[i]) end
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
end
if #fields == 0 then redis.call('HDEL', KEYS[4], device) else redis.call('HSET', KEYS[4], device, cjson.encode(fields)) end
notify_credentials(device)
return 'OK'`,
});

/**
 * A page of one lexicographic range of the search index with the records it names.
 * KEYS: marker, credentials-search, credentials. ARGV: min, max of the range (ZRANGE BYLEX bounds),
 * min, max of the page (the range, or from after a member), offset, count.
 * Answers {-1} (no tenant) or {total in the range, member, json|nil, member, json|nil, ...}.
 */
export const searchCredentials: LuaScript = {
  name: 'search-credentials',
  numberOfKeys: 3,
  source: `${SEARCH_FIELD}
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local out = {redis.call('ZLEXCOUNT', KEYS[2], ARGV[1], ARGV[2])}
for _, member in ipairs(redis.call('ZRANGE', KEYS[2], ARGV[3], ARGV[4], 'BYLEX', 'LIMIT', ARGV[5], ARGV[6])) do
  local field = search_field(member)
  table.insert(out, member)
  table.insert(out, field and redis.call('HGET', KEYS[3], field) or false)
end
return out`,
};

/**
 * Start-up recovery: adds the search members of records written before the search index existed.
 * KEYS: credentials, credentials-search. ARGV: credential fields. Answers how many it added.
 */
export const indexCredentialsSearch: LuaScript = {
  name: 'index-credentials-search',
  numberOfKeys: 2,
  source: `${SEARCH_HELPERS}
local added = 0
for _, field in ipairs(ARGV) do
  if redis.call('HEXISTS', KEYS[1], field) == 1 then
    search_add(KEYS[2], field)
    added = added + 1
  end
end
return added`,
};
