/**
 * Atomic operations of the management API's security: token lookup with the bad-authentication
 * limiter, token storage, and the denied-device list (docs/security.md).
 */
import { DEVICE_LUA } from './device-lib.js';
import { announcing } from './outbox.js';
import { SEARCH_HELPERS, type LuaScript } from './scripts.js';

/**
 * KEYS: auth-blocked(client), token(hash), token-ids. ARGV: hash. Answers {blocked ms (0: not
 * blocked), token JSON | nil}: the token is looked up while the address is blocked too, since a
 * valid token is never refused. A record counts only while token-ids names it: a revocation
 * removes ids from there in one step, with every descendant (their keys are removed after).
 */
export const authenticate: LuaScript = {
  name: 'authenticate',
  numberOfKeys: 3,
  source: `
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
local json = redis.call('GET', KEYS[2])
if json and redis.call('HGET', KEYS[3], cjson.decode(json)['id']) ~= ARGV[1] then json = false end
return {ttl, json}`,
};

/**
 * KEYS: auth-failures(client), auth-blocked(client). ARGV: window ms, limit, block ms. Answers the
 * block in ms when this failure blocked the address, else 0 (failures while it is blocked are not
 * counted, so each block is announced once).
 */
export const recordAuthFailure: LuaScript = {
  name: 'record-auth-failure',
  numberOfKeys: 2,
  source: `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n < tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
redis.call('DEL', KEYS[1])
return tonumber(ARGV[3])`,
};

/**
 * Stores a token; an older token with the same id (another value) is revoked in the same step.
 * The caller read the id's current hash first, so that every key the script touches is declared
 * (Redis Cluster routes by them); when it changed in between, the script answers CHANGED. A token
 * minted by another token is stored only while that one exists (PARENT_GONE: it was revoked
 * meanwhile), and is recorded as its child.
 * KEYS: token(hash), token-ids, token(current hash, or the new one), token-parents.
 * ARGV: id, hash, json, expires-at ms, current hash or '', id of the minting token or ''.
 */
export const saveToken: LuaScript = {
  name: 'save-token',
  numberOfKeys: 4,
  source: `
local old = redis.call('HGET', KEYS[2], ARGV[1]) or ''
if old ~= ARGV[5] then return 'CHANGED' end
if ARGV[6] ~= '' then
  if redis.call('HEXISTS', KEYS[2], ARGV[6]) == 0 then return 'PARENT_GONE' end
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[6])
end
if old ~= '' and old ~= ARGV[2] then redis.call('DEL', KEYS[3]) end
redis.call('SET', KEYS[1], ARGV[3], 'PXAT', ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 'OK'`,
};

/**
 * Revokes a token and every token it minted, directly or not, in one step: their ids leave
 * token-ids (so they no longer authenticate, on every instance) and the indexes. Answers the
 * revoked ids and hashes, the token first (empty when there is no such token); the caller then
 * deletes their records (which would expire by themselves).
 * KEYS: token-ids, token-last-used, token-parents. ARGV: token id.
 */
export const revokeToken: LuaScript = {
  name: 'revoke-token',
  numberOfKeys: 3,
  source: `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {} end
local children = {}
local pairs_ = redis.call('HGETALL', KEYS[3])
for i = 1, #pairs_, 2 do
  local parent = pairs_[i + 1]
  children[parent] = children[parent] or {}
  table.insert(children[parent], pairs_[i])
end
local family, seen, revoked = {ARGV[1]}, {[ARGV[1]] = true}, {}
local n = 1
while n <= #family do
  for _, child in ipairs(children[family[n]] or {}) do
    if not seen[child] then seen[child] = true; table.insert(family, child) end
  end
  n = n + 1
end
for _, id in ipairs(family) do
  local hash = redis.call('HGET', KEYS[1], id)
  if hash then table.insert(revoked, id); table.insert(revoked, hash) end
  redis.call('HDEL', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
end
return revoked`,
};

/**
 * Resumes a console session: answers its JSON while its token is still valid, and extends it by
 * the idle timeout (never past its end); nil, and the session is gone, once its token was revoked
 * (revocation removes the id from token-ids, with every descendant) or replaced, or its end passed.
 * The token is checked in the same step as the session: revoking ends the session on every instance.
 * KEYS: session(hash), token-ids. ARGV: now ms, idle timeout ms.
 */
export const resumeSession: LuaScript = {
  name: 'resume-session',
  numberOfKeys: 2,
  source: `
local json = redis.call('GET', KEYS[1])
if not json then return false end
local session = cjson.decode(json)
local left = tonumber(session['ends']) - tonumber(ARGV[1])
if left <= 0 or redis.call('HGET', KEYS[2], session['token-id']) ~= session['token-hash'] then
  redis.call('DEL', KEYS[1])
  return false
end
redis.call('PEXPIRE', KEYS[1], math.floor(math.min(left, tonumber(ARGV[2]))))
return json`,
};

/**
 * Records the minting token of tokens saved before token-parents existed (start-up; never
 * overwrites). KEYS: token-ids, token-parents. ARGV: id, minting token id, … pairs.
 */
export const indexTokenParents: LuaScript = {
  name: 'index-token-parents',
  numberOfKeys: 2,
  source: `
for i = 1, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 and redis.call('HEXISTS', KEYS[1], ARGV[i + 1]) == 1 then
    redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1])
  end
end
return 'OK'`,
};

/**
 * `deny(id, at, by, data)`: moves a device onto the denied list: its record goes to the denied
 * entry, its credentials are destroyed (and leave the credentials search index, KEYS[12]) and
 * their identities stay reserved, its search index entries go. The entry is a metadata JSON line
 * followed by the record exactly as it was stored (so a restore gives it back byte for byte).
 * KEYS as the deny scripts below take them.
 */
const DENY_LUA = `${DEVICE_LUA}${SEARCH_HELPERS}
local function deny(id, at, by, data)
  index_device({KEYS[8], KEYS[9], KEYS[10], KEYS[11]}, id, data, false)
  local raw = redis.call('HGET', KEYS[4], id)
  local identities = raw and cjson.decode(raw) or {}
  for _, field in ipairs(identities) do
    if redis.call('HDEL', KEYS[3], field) == 1 then search_remove(KEYS[12], field) end
    redis.call('HSET', KEYS[6], field, id)
  end
  redis.call('HDEL', KEYS[4], id)
  redis.call('HDEL', KEYS[2], id)
  local meta = '{"denied-at":' .. cjson.encode(at) .. ',"denied-by":' .. cjson.encode(by) ..
    ',"identities":' .. (#identities == 0 and '[]' or cjson.encode(identities)) .. '}'
  redis.call('HSET', KEYS[5], id, meta .. '\\n' .. data)
  redis.call('ZADD', KEYS[7], 0, id)
end
`;

/**
 * Deletes a device onto the denied list (`deny` above). PRECONDITION_FAILED when If-Match does not
 * hold (nothing changes).
 * KEYS: marker, devices, credentials, device-credentials, denied-devices, denied-identities, denied-index,
 * device-ids, device-fields, device-unindexed, via-refs, credentials-search.
 * ARGV: device id, denied-at ISO, denied-by token id, If-Match argument (model/version.ts).
 */
export const denyDevice: LuaScript = announcing({
  name: 'deny-device',
  numberOfKeys: 12,
  source: `${DENY_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
local data = redis.call('HGET', KEYS[2], ARGV[1])
if not data then return 'NOT_FOUND' end
if not if_match_ok(data, ARGV[4]) then return 'PRECONDITION_FAILED' end
deny(ARGV[1], ARGV[2], ARGV[3], data)
notify_device('DELETE', ARGV[1])
return 'OK'`,
});

/**
 * Deletes several devices onto the denied list (`deny` above), each as denyDevice would; ids that
 * are not live devices are dropped from the id index. Answers how many it denied.
 * KEYS: as denyDevice. ARGV: denied-at ISO, denied-by token id, device ids.
 */
export const denyDevices: LuaScript = announcing({
  name: 'deny-devices',
  numberOfKeys: 12,
  source: `${DENY_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
local denied = {}
for i = 3, #ARGV do
  local data = redis.call('HGET', KEYS[2], ARGV[i])
  if data then
    deny(ARGV[i], ARGV[1], ARGV[2], data)
    denied[#denied + 1] = ARGV[i]
  else
    redis.call('ZREM', KEYS[8], ARGV[i])
  end
end
-- The batch that leaves the tenant without devices announces them all at once, as Hono's
-- deleteDevicesOfTenant does; an earlier batch (or one racing a create) announces each device it
-- denied, so no denied device goes unannounced whatever happens to the later batches.
if #denied > 0 and redis.call('HLEN', KEYS[2]) == 0 then
  notify_all_devices()
else
  for _, id in ipairs(denied) do notify_device('DELETE', id) end
end
return #denied`,
});

/**
 * Takes a device off the denied list, releasing its identities; with ARGV[2] = 'restore' its
 * registration record comes back (credentials do not), and its search index entries.
 * KEYS: marker, devices, denied-devices, denied-identities, denied-index,
 * device-ids, device-fields, device-unindexed, via-refs. ARGV: device id, 'restore' | 'purge'.
 */
export const releaseDenied: LuaScript = announcing({
  name: 'release-denied',
  numberOfKeys: 9,
  source: `${DEVICE_LUA}
if redis.call('EXISTS', KEYS[1]) == 0 then return 'TENANT_NOT_FOUND' end
local raw = redis.call('HGET', KEYS[3], ARGV[1])
if not raw then return 'NOT_FOUND' end
local newline = string.find(raw, '\\n', 1, true)
local meta = cjson.decode(string.sub(raw, 1, newline - 1))
for _, field in ipairs(meta['identities']) do
  if redis.call('HGET', KEYS[4], field) == ARGV[1] then redis.call('HDEL', KEYS[4], field) end
end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[5], ARGV[1])
if ARGV[2] == 'restore' then
  local record = string.sub(raw, newline + 1)
  redis.call('HSET', KEYS[2], ARGV[1], record)
  index_device({KEYS[6], KEYS[7], KEYS[8], KEYS[9]}, ARGV[1], false, record)
  notify_device('CREATE', ARGV[1], record)
else
  -- The identities it kept reserved are free again: a change of the device's credentials.
  notify_credentials(ARGV[1])
end
return 'OK'`,
});
