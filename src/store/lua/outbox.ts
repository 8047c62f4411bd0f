/**
 * The notification outbox of the write scripts (docs/notifications.md). A change and the Hono
 * notification announcing it are written by the same script, so they are one atomic step, and
 * in the same slot: tenant changes go to `outbox:{~registry}`, device and credentials changes to
 * their tenant's `outbox:{<tenant>}` (keys.ts).
 *
 * How a write script announces its change. EVERY script that creates, changes or removes a
 * tenant, device or credentials record must:
 *  1. be built with `announcing({ name, numberOfKeys, source })`. Its source gets the prelude
 *     below; while notifications are configured, the runner (store/redis.ts) appends the slot's
 *     outbox key as KEYS[numberOfKeys + 1] and the backlog bound as one last ARGV, which the
 *     prelude takes off again (the script's own KEYS and ARGV are unchanged). When the outbox
 *     already holds the bound, the script answers BACKLOG_FULL before changing anything (503).
 *  2. call, after its write, one `notify_*` function per change, one line each:
 *       notify_tenant(change, tenant id, stored tenant JSON)     -- {~registry} scripts only
 *       notify_device(change, device id, stored device JSON[, credentials changed too])
 *                                                                -- 'DELETE' passes nil: enabled false
 *       notify_credentials(device id)                            -- any change of its credentials
 *       notify_all_devices()                                     -- every device of the tenant deleted
 *     `change` is 'CREATE', 'UPDATE' or 'DELETE', as Hono's LifecycleChange. A write that changes
 *     a device and its credentials (import, auto-provisioning) makes one entry, with the flag: one
 *     XADD per change of a device, delivered as Hono's two messages.
 * Without notifications configured the functions do nothing and decode nothing. The test
 * test/integration/notifications/announcing.test.ts enumerates every script: one that writes
 * records without being `announcing` fails it, and each announcing script needs a case there.
 *
 * An entry holds Hono's field values; the deliverer (notifications/) adds `source`, the tenant
 * of the outbox, and `creation-time` from the entry id (Redis's clock at the write).
 */
import type { LuaScript } from './scripts.js';

/** The script answer when the outbox is full (store/redis.ts turns it into 503). */
export const BACKLOG_FULL = 'BACKLOG_FULL';

function prelude(outboxKeyIndex: number): string {
  return `
local OUTBOX = KEYS[${outboxKeyIndex}]
if OUTBOX then
  local bound = tonumber(table.remove(ARGV))
  if redis.call('XLEN', OUTBOX) >= bound then return '${BACKLOG_FULL}' end
end
local function outbox_record(json)
  local ok, record = pcall(cjson.decode, json)
  if ok and type(record) == 'table' then return record end
  return {}
end
local function outbox_enabled(json)
  -- Enabled unless the record says otherwise (Hono's default): records that do not name "enabled"
  -- (stored JSON is serialised by the registry, so the member is spelled plainly) are not decoded.
  if not string.find(json, '"enabled"', 1, true) then return 'true' end
  return outbox_record(json)['enabled'] == false and 'false' or 'true'
end
local function notify_tenant(change, id, json)
  if not OUTBOX then return end
  local enabled, invalidate = 'false', 'true'
  if change ~= 'DELETE' then
    local record = outbox_record(json)
    local ext = type(record['ext']) == 'table' and record['ext'] or {}
    enabled = record['enabled'] == false and 'false' or 'true'
    invalidate = ext['invalidate-cache-on-update'] == true and 'true' or 'false'
  end
  redis.call('XADD', OUTBOX, '*', 'type', 'tenant-change-v1', 'change', change, 'tenant-id', id, 'enabled', enabled, 'invalidate-cache-on-update', invalidate)
end
local function notify_device(change, device, json, credentials_too)
  if not OUTBOX then return end
  local enabled = json and outbox_enabled(json) or 'false'
  if credentials_too then
    redis.call('XADD', OUTBOX, '*', 'type', 'device-change-v1', 'change', change, 'device-id', device, 'enabled', enabled, 'credentials', 'changed')
  else
    redis.call('XADD', OUTBOX, '*', 'type', 'device-change-v1', 'change', change, 'device-id', device, 'enabled', enabled)
  end
end
local function notify_credentials(device)
  if OUTBOX then redis.call('XADD', OUTBOX, '*', 'type', 'credentials-change-v1', 'device-id', device) end
end
local function notify_all_devices()
  if OUTBOX then redis.call('XADD', OUTBOX, '*', 'type', 'all-devices-of-tenant-deleted-v1') end
end
`;
}

/** A write script that announces its changes: its source gets the outbox prelude (see above). */
export function announcing(script: Omit<LuaScript, 'announces'>): LuaScript {
  return { ...script, source: `${prelude(script.numberOfKeys + 1)}${script.source}`, announces: true };
}

/**
 * Takes or renews the lease of an outbox: one registry instance delivers it at a time.
 * KEYS: lease. ARGV: owner, lease ms. Answers 1 when the caller holds the lease now, else 0.
 */
export const leaseOutbox: LuaScript = {
  name: 'lease-outbox',
  numberOfKeys: 1,
  source: `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
};

/**
 * Removes delivered entries, only while the caller holds the lease (a deliverer that lost it
 * must not remove what another one is sending), and renews the lease. An emptied outbox is
 * deleted: no empty stream is left behind for a deleted tenant.
 * KEYS: outbox, lease. ARGV: owner, lease ms, entry ids… Answers the entries left, or -1 without the lease.
 */
export const ackOutbox: LuaScript = {
  name: 'ack-outbox',
  numberOfKeys: 2,
  source: `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
if #ARGV >= 3 then redis.call('XDEL', KEYS[1], unpack(ARGV, 3)) end
local left = redis.call('XLEN', KEYS[1])
if left == 0 then redis.call('DEL', KEYS[1]) end
return left`,
};

/** Gives a lease up, if the caller still holds it. KEYS: lease. ARGV: owner. */
export const releaseOutbox: LuaScript = {
  name: 'release-outbox',
  numberOfKeys: 1,
  source: `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 'OK'`,
};
