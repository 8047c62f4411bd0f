/**
 * The tenant scripts: every tenant write is one script on the registry slot `{~registry}` (keys.ts),
 * which keeps the tenants, the CA subject-DN index, the DNs shared within a trust-anchor group and
 * the aliases in step, and checks a write's `If-Match` against the version of the stored tenant in
 * the same step (model/version.ts: VERSION_LUA; the argument comes from `ifMatchArg`). Outcomes
 * besides those of scripts.ts: ALIAS_CONFLICT, VERSION_MISMATCH.
 *
 * A DN owned by one tenant is in ca-index (DN → tenant id, what the Tenant API's lookup by subject
 * DN reads); a DN that tenants of one trust-anchor group share is in ca-shared instead (DN → JSON
 * array of their ids), so that lookup finds no tenant for it (Hono 2.7: 404 for several matches).
 * All owners of a DN are in one group, so checking one other owner's group is enough.
 */
import { VERSION_LUA } from '../../model/version.js';
import { announcing } from './outbox.js';
import type { LuaScript } from './scripts.js';

const TENANT_CA_HELPERS = `
local function group_of(tenants, id)
  local json = redis.call('HGET', tenants, id)
  local group = json and cjson.decode(json)['trust-anchor-group']
  if type(group) == 'string' then return group end
  return ''
end
local function other_owner(index, shared, ca, id)
  local owner = redis.call('HGET', index, ca)
  if owner then
    if owner ~= id then return owner end
    return nil
  end
  local list = redis.call('HGET', shared, ca)
  if not list then return nil end
  for _, o in ipairs(cjson.decode(list)) do if o ~= id then return o end end
  return nil
end
local function ca_conflict(tenants, index, shared, id, cas, group)
  for _, ca in ipairs(cas) do
    local other = other_owner(index, shared, ca, id)
    if other and (group == '' or group_of(tenants, other) ~= group) then return true end
  end
  return false
end
local function ca_release(tenant_cas, index, shared, id)
  local raw = redis.call('HGET', tenant_cas, id)
  if not raw then return end
  for _, ca in ipairs(cjson.decode(raw)) do
    local list = redis.call('HGET', shared, ca)
    if redis.call('HGET', index, ca) == id then
      redis.call('HDEL', index, ca)
    elseif list then
      local kept = {}
      for _, o in ipairs(cjson.decode(list)) do if o ~= id then table.insert(kept, o) end end
      if #kept > 1 then redis.call('HSET', shared, ca, cjson.encode(kept)) else redis.call('HDEL', shared, ca) end
      if #kept == 1 then redis.call('HSET', index, ca, kept[1]) end
    end
  end
  redis.call('HDEL', tenant_cas, id)
end
local function ca_claim(tenant_cas, index, shared, id, cas_json, cas)
  if #cas == 0 then return end
  redis.call('HSET', tenant_cas, id, cas_json)
  for _, ca in ipairs(cas) do
    local owner, list = redis.call('HGET', index, ca), redis.call('HGET', shared, ca)
    if list then
      local ids = cjson.decode(list)
      table.insert(ids, id)
      redis.call('HSET', shared, ca, cjson.encode(ids))
    elseif owner and owner ~= id then
      redis.call('HDEL', index, ca)
      redis.call('HSET', shared, ca, cjson.encode({owner, id}))
    else
      redis.call('HSET', index, ca, id)
    end
  end
end
`;

const ALIAS_HELPERS = `
local function alias_conflict(aliases, id, alias)
  if alias == '' then return false end
  local owner = redis.call('HGET', aliases, alias)
  return owner and owner ~= id
end
local function alias_of(json)
  local alias = json and cjson.decode(json)['alias']
  if type(alias) == 'string' then return alias end
  return ''
end
local function alias_move(aliases, id, old, new)
  if old ~= '' and redis.call('HGET', aliases, old) == id then redis.call('HDEL', aliases, old) end
  if new ~= '' then redis.call('HSET', aliases, new, id) end
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
 * KEYS: tenants, tenant-cas, ca-index, tenants-deleting, tenants-creating, tenant-aliases, ca-shared.
 * ARGV: id, json, JSON array of DN keys, alias ('' none), trust-anchor group ('' none).
 */
export const createTenant: LuaScript = announcing({
  name: 'create-tenant',
  numberOfKeys: 7,
  source: `${TENANT_CA_HELPERS}${ALIAS_HELPERS}${NOW_MS}
local id, cas, alias = ARGV[1], cjson.decode(ARGV[3]), ARGV[4]
if redis.call('HEXISTS', KEYS[1], id) == 1 then return 'EXISTS' end
if redis.call('HEXISTS', KEYS[4], id) == 1 then return 'DELETING' end
if ca_conflict(KEYS[1], KEYS[3], KEYS[7], id, cas, ARGV[5]) then return 'CA_CONFLICT' end
if alias_conflict(KEYS[6], id, alias) then return 'ALIAS_CONFLICT' end
redis.call('HSET', KEYS[1], id, ARGV[2])
redis.call('HSET', KEYS[5], id, now_ms())
ca_claim(KEYS[2], KEYS[3], KEYS[7], id, ARGV[3], cas)
alias_move(KEYS[6], id, '', alias)
notify_tenant('CREATE', id, ARGV[2])
return 'OK'`,
});

/**
 * KEYS: tenants, tenant-cas, ca-index, tenant-aliases, ca-shared.
 * ARGV: id, json, JSON array of DN keys, alias ('' none), trust-anchor group ('' none), If-Match.
 */
export const updateTenant: LuaScript = announcing({
  name: 'update-tenant',
  numberOfKeys: 5,
  source: `${TENANT_CA_HELPERS}${ALIAS_HELPERS}${VERSION_LUA}
local id, cas, alias = ARGV[1], cjson.decode(ARGV[3]), ARGV[4]
local old = redis.call('HGET', KEYS[1], id)
if not old then return 'NOT_FOUND' end
if not if_match_ok(old, ARGV[6]) then return 'VERSION_MISMATCH' end
if ca_conflict(KEYS[1], KEYS[3], KEYS[5], id, cas, ARGV[5]) then return 'CA_CONFLICT' end
if alias_conflict(KEYS[4], id, alias) then return 'ALIAS_CONFLICT' end
redis.call('HSET', KEYS[1], id, ARGV[2])
ca_release(KEYS[2], KEYS[3], KEYS[5], id)
ca_claim(KEYS[2], KEYS[3], KEYS[5], id, ARGV[3], cas)
alias_move(KEYS[4], id, alias_of(old), alias)
notify_tenant('UPDATE', id, ARGV[2])
return 'OK'`,
});

/**
 * First step of a tenant deletion. Refused while the tenant's creation is still writing its marker
 * (a creation older than ARGV[2] ms is taken as abandoned by a crashed process).
 * KEYS: tenants, tenant-cas, ca-index, tenants-deleting, tenants-creating, tenant-aliases, ca-shared.
 * ARGV: id, stale-after ms, If-Match.
 */
export const beginTenantDeletion: LuaScript = announcing({
  name: 'begin-tenant-deletion',
  numberOfKeys: 7,
  source: `${TENANT_CA_HELPERS}${ALIAS_HELPERS}${VERSION_LUA}${NOW_MS}
local id = ARGV[1]
local json = redis.call('HGET', KEYS[1], id)
if not json then return 'NOT_FOUND' end
if not if_match_ok(json, ARGV[3]) then return 'VERSION_MISMATCH' end
local creating = redis.call('HGET', KEYS[5], id)
if creating and now_ms() - tonumber(creating) < tonumber(ARGV[2]) then return 'CREATING' end
redis.call('HDEL', KEYS[5], id)
ca_release(KEYS[2], KEYS[3], KEYS[7], id)
alias_move(KEYS[6], id, alias_of(json), '')
redis.call('HDEL', KEYS[1], id)
redis.call('HSET', KEYS[4], id, json)
notify_tenant('DELETE', id)
return 'OK'`,
});

/**
 * A tenant through one of its indexes: KEYS: the index (ca-index: DN key → the one tenant that has
 * it; tenant-aliases: alias → tenant), tenants. ARGV: the index field. The tenant JSON, or nil.
 */
export const getTenantByIndex: LuaScript = {
  name: 'get-tenant-by-index',
  numberOfKeys: 2,
  source: `
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return false end
return redis.call('HGET', KEYS[2], id)`,
};
