/**
 * Every change of a tenant, device or credentials record announces itself (docs/notifications.md):
 * each Lua script that writes records is `announcing` (lua/outbox.ts) and appends, in the same
 * step, exactly the notifications Hono's registry sends for that change. The scripts are
 * enumerated from src/store/lua/, so a new write script without an outbox line fails here, and
 * each announcing script needs a case below that runs it on a real Redis.
 */
import { readdirSync } from 'node:fs';
import { expect } from 'chai';
import { createLogger } from '../../../src/log.js';
import { toNotifications } from '../../../src/notifications/message.js';
import { credentialsVersion } from '../../../src/model/version.js';
import { keys, outboxTenant } from '../../../src/store/keys.js';
import type { LuaScript } from '../../../src/store/lua/scripts.js';
import { connectRedis, createRedisStore } from '../../../src/store/redis.js';
import type { Store } from '../../../src/store/store.js';
import { sharedRedis } from '../../helpers/root-hooks.js';
import { CHANGE, CREATION, credJson, deviceJson, expectRegistryError, tenantJson } from '../store-contract.js';

const LUA_DIR = new URL('../../../src/store/lua/', import.meta.url);

/** Scripts that write, but no record Hono announces, and why. */
const EXEMPT: Record<string, string> = {
  'record-auth-failure': 'the bad-authentication limiter of the management API',
  'save-token': 'management API tokens',
  'revoke-token': 'management API tokens',
  'index-token-parents': 'management API tokens',
  'repair-tenant-slot': 'index repairs of `check --fix`: no record changes',
  'repair-registry-slot': 'index repairs of `check --fix`; abandoned data is purged by recovery, whose tenant was already announced',
  'lease-outbox': 'the outbox machinery itself',
  'ack-outbox': 'the outbox machinery itself',
  'release-outbox': 'the outbox machinery itself',
  'resume-session': 'console sessions of the management API',
  'index-devices': 'search index entries of records written before the indexes existed: no record changes',
  'index-credentials-search': 'start-up recovery: search index entries of credentials written before that index existed, no record changes',
};
const WRITES = /redis\.call\('(HSET|HSETNX|HDEL|HINCRBY|DEL|UNLINK|SET|ZADD|ZREM|SADD|SREM|XADD|XDEL|INCR|PEXPIRE|LPUSH|RPUSH|RENAME)'/;

async function allScripts(): Promise<LuaScript[]> {
  const modules = readdirSync(LUA_DIR).filter((f) => f.endsWith('.ts'));
  const found: LuaScript[] = [];
  for (const file of modules) {
    const module = (await import(new URL(file, LUA_DIR).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      if (typeof value === 'object' && value !== null && typeof (value as LuaScript).source === 'string') found.push(value as LuaScript);
    }
  }
  return found;
}

/** What a case expects: the notification bodies without source and creation-time, in order (entries expanded). */
type Expected = Record<string, unknown>[];
const device = (change: string, t: string, d: string, enabled = true) => ({ type: 'device-change-v1', change, 'tenant-id': t, 'device-id': d, enabled });
const creds = (t: string, d: string) => ({ type: 'credentials-change-v1', 'tenant-id': t, 'device-id': d });
const tenant = (change: string, t: string, enabled = true, invalidate = false) => ({ type: 'tenant-change-v1', change, 'tenant-id': t, enabled, 'invalidate-cache-on-update': invalidate });

describe('notifications: every write script announces its change', function () {
  let store: Store;
  let plain: Store;
  const log = createLogger('silent');

  before(async function () {
    const redis = await sharedRedis();
    store = createRedisStore(await connectRedis(redis.url, 1000, log), { outbox: { maxPending: 1000 } });
    plain = createRedisStore(await connectRedis(redis.url, 1000, log));
  });
  beforeEach(async function () {
    await (await sharedRedis()).command('FLUSHALL');
    await plain.createTenant('t', tenantJson('t'), []);
  });
  after(async function () {
    await store.close();
    await plain.close();
  });

  /** The notifications pending in an outbox, as Hono receives them (minus source and time), and empties it. */
  async function drained(outbox: string): Promise<Expected> {
    const entries = await store.readOutbox(outbox, 1000);
    await store.leaseOutbox(outbox, 'test', 5000);
    await store.ackOutbox(outbox, 'test', entries.map((e) => e.id), 5000);
    await store.releaseOutbox(outbox, 'test');
    return entries.flatMap((e) => toNotifications(e, outboxTenant(outbox))).map((n) => {
      const { source, 'creation-time': time, ...rest } = JSON.parse(n.body) as Record<string, unknown>;
      expect(source).to.equal('device-registry');
      expect(time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      return rest;
    });
  }
  const deviceOutbox = () => drained(keys.outbox('t'));
  const tenantOutbox = () => drained(keys.registryOutbox());

  /** One case per announcing script: the change, then what its outbox must hold. */
  const CASES: Record<string, () => Promise<void>> = {
    'create-tenant': async () => {
      await store.createTenant('n', tenantJson('n', { enabled: false, ext: { 'invalidate-cache-on-update': true } }), []);
      expect(await tenantOutbox()).to.deep.equal([tenant('CREATE', 'n', false, true)]);
    },
    'update-tenant': async () => {
      await store.updateTenant('t', tenantJson('t', { ext: { 'invalidate-cache-on-update': 'yes' } }), []);
      expect(await tenantOutbox()).to.deep.equal([tenant('UPDATE', 't', true, false)]);
    },
    'begin-tenant-deletion': async () => {
      await plain.createDevice('t', 'd', deviceJson('d'), CREATION);
      await store.deleteTenant('t');
      expect(await tenantOutbox()).to.deep.equal([tenant('DELETE', 't', false, true)]);
      expect(await deviceOutbox(), 'Hono sends no device notifications for a tenant deletion').to.deep.equal([]);
    },
    'create-device': async () => {
      await store.createDevice('t', 'd', deviceJson('d', { enabled: false }), CREATION);
      await store.createDevice('t', 'e', JSON.stringify({ 'device-id': 'e' }), CREATION);
      expect(await deviceOutbox()).to.deep.equal([device('CREATE', 't', 'd', false), device('CREATE', 't', 'e', true)]);
    },
    'update-device': async () => {
      await plain.createDevice('t', 'd', deviceJson('d'), CREATION);
      await store.updateDevice('t', 'd', deviceJson('d', { enabled: false }), CHANGE);
      expect(await deviceOutbox()).to.deep.equal([device('UPDATE', 't', 'd', false)]);
    },
    'add-credentials': async () => {
      await store.addCredentials('t', 'hashed-password', 'a', 'd', credJson('d', 'hashed-password', 'a'));
      expect(await deviceOutbox()).to.deep.equal([creds('t', 'd')]);
    },
    'update-credentials': async () => {
      await plain.addCredentials('t', 'psk', 'a', 'd', credJson('d', 'psk', 'a'));
      await store.updateCredentials('t', 'psk', 'a', 'd', credJson('d', 'psk', 'a', { enabled: false }));
      await store.updateCredentials('t', 'psk', 'a', 'e', credJson('e', 'psk', 'a'));
      expect(await deviceOutbox(), 'a record moved to another device changes both').to.deep.equal([creds('t', 'd'), creds('t', 'd'), creds('t', 'e')]);
    },
    'delete-credentials': async () => {
      await plain.addCredentials('t', 'psk', 'a', 'd', credJson('d', 'psk', 'a'));
      await store.deleteCredentials('t', 'psk', 'a');
      expect(await deviceOutbox()).to.deep.equal([creds('t', 'd')]);
    },
    'delete-device-credentials': async () => {
      await plain.addCredentials('t', 'psk', 'a', 'd', credJson('d', 'psk', 'a'));
      await store.deleteDeviceCredentials('t', 'd');
      expect(await deviceOutbox()).to.deep.equal([creds('t', 'd')]);
    },
    'replace-credentials-set': async () => {
      for (const d of ['d', 'e']) await plain.createDevice('t', d, deviceJson(d), CREATION);
      await plain.addCredentials('t', 'psk', 'a', 'd', credJson('d', 'psk', 'a'));
      await plain.addCredentials('t', 'psk', 'x', 'e', credJson('e', 'psk', 'x'));
      const replace = (records: { type: string; authId: string }[], stored: string[]) =>
        store.replaceCredentialsSet('t', 'd', credentialsVersion(stored), records.map(({ type, authId }) => ({ type, authId, json: credJson('d', type, authId) })));
      expect(await replace([{ type: 'psk', authId: 'b' }], [credJson('d', 'psk', 'a')])).to.equal(true);
      expect(await replace([], [credJson('d', 'psk', 'a')]), 'a version no longer current: nothing written').to.equal(false);
      await expectRegistryError(replace([{ type: 'psk', authId: 'x' }], [credJson('d', 'psk', 'b')]), 'CONFLICT');
      expect(await replace([], [credJson('d', 'psk', 'b')])).to.equal(true);
      expect(await deviceOutbox(), 'one per set replaced, none for a stale version or a refused set').to.deep.equal([creds('t', 'd'), creds('t', 'd')]);
    },
    'provision-device': async () => {
      await store.provisionDevice('t', 'd', deviceJson('d'), 'x509-cert', 'CN=d', credJson('d', 'x509-cert', 'CN=d'), -1);
      await plain.createDevice('t', 'g', deviceJson('g'), CREATION);
      await store.provisionDevice('t', 'g', deviceJson('g'), 'psk', 'g', credJson('g', 'psk', 'g'), -1);
      expect(await store.readOutbox(keys.outbox('t'), 10), 'one entry per device').to.have.length(2);
      expect(await deviceOutbox()).to.deep.equal([device('CREATE', 't', 'd'), creds('t', 'd'), creds('t', 'g')]);
    },
    'deny-device': async () => {
      await plain.createDevice('t', 'd', deviceJson('d'), CREATION);
      await store.denyDevice('t', 'd', 'tok', new Date().toISOString());
      expect(await deviceOutbox(), 'DELETE with enabled false: 2.x adapters close its connections').to.deep.equal([device('DELETE', 't', 'd', false)]);
    },
    'deny-devices': async () => {
      for (const d of ['a', 'b', 'c']) await plain.createDevice('t', d, deviceJson(d), CREATION);
      expect(await store.denyDevices('t', ['a', 'gone'], 'tok', new Date().toISOString())).to.equal(1);
      expect(await deviceOutbox(), 'a batch that leaves devices announces each one it denied').to.deep.equal([device('DELETE', 't', 'a', false)]);
      expect(await store.denyDevices('t', ['b', 'c'], 'tok', new Date().toISOString())).to.equal(2);
      expect(await deviceOutbox(), 'the batch that leaves none announces all at once, as Hono').to.deep.equal([{ type: 'all-devices-of-tenant-deleted-v1', 'tenant-id': 't' }]);
      expect(await store.denyDevices('t', ['b'], 'tok', new Date().toISOString())).to.equal(0);
      expect(await deviceOutbox(), 'nothing denied, nothing announced').to.deep.equal([]);
    },
    'release-denied': async () => {
      for (const d of ['d', 'e']) {
        await plain.createDevice('t', d, deviceJson(d, { enabled: d === 'd' }), CREATION);
        await plain.denyDevice('t', d, 'tok', new Date().toISOString());
      }
      await store.releaseDeniedDevice('t', 'd', 'restore');
      await store.releaseDeniedDevice('t', 'e', 'purge');
      expect(await deviceOutbox()).to.deep.equal([device('CREATE', 't', 'd', true), creds('t', 'e')]);
    },
    'import-devices': async () => {
      await plain.createDevice('t', 'same', deviceJson('same'), CREATION);
      const verdicts = await store.importDevices('t', [
        { deviceId: 'new', json: deviceJson('new'), credentials: [{ type: 'psk', authId: 'n', json: credJson('new', 'psk', 'n') }] },
        { deviceId: 'same', json: deviceJson('same'), credentials: [] },
      ], false);
      expect(verdicts).to.deep.equal([{ outcome: 'created' }, { outcome: 'unchanged' }]);
      await store.importDevices('t', [{ deviceId: 'same', json: deviceJson('same', { enabled: false }), credentials: [] }], true);
      expect(await store.readOutbox(keys.outbox('t'), 10), 'one entry per device').to.have.length(2);
      expect(await deviceOutbox()).to.deep.equal([device('CREATE', 't', 'new'), creds('t', 'new'), device('UPDATE', 't', 'same', false)]);
    },
  };

  it('knows every script: a script that writes is announcing or exempt with a reason', async function () {
    const scripts = await allScripts();
    expect(scripts.length).to.be.greaterThan(20);
    for (const script of scripts) {
      if (!WRITES.test(script.source) || script.announces === true) continue;
      expect(EXEMPT, `${script.name} writes but does not announce (lua/outbox.ts says how)`).to.have.property(script.name);
    }
    const announcing = scripts.filter((s) => s.announces === true).map((s) => s.name);
    expect(Object.keys(CASES).sort(), 'a case per announcing script').to.deep.equal([...announcing].sort());
  });

  for (const [name, run] of Object.entries(CASES)) {
    it(`${name} appends Hono's notifications in the same step`, run);
  }

  it('appends nothing without notifications configured', async function () {
    await plain.createDevice('t', 'd', deviceJson('d'), CREATION);
    await plain.updateTenant('t', tenantJson('t'), []);
    expect(await deviceOutbox()).to.deep.equal([]);
    expect(await tenantOutbox()).to.deep.equal([]);
  });

  it('appends nothing for a refused change', async function () {
    await plain.createDevice('t', 'd', deviceJson('d'), CREATION);
    await expectRegistryError(store.createDevice('t', 'd', deviceJson('d'), CREATION), 'CONFLICT');
    await expectRegistryError(store.deleteCredentials('t', 'psk', 'none'), 'NOT_FOUND');
    expect(await deviceOutbox()).to.deep.equal([]);
  });

  it('refuses a change with 503 and makes none when its outbox is full', async function () {
    const small = createRedisStore(await connectRedis((await sharedRedis()).url, 1000, log), { outbox: { maxPending: 2 } });
    try {
      await small.createDevice('t', 'a', deviceJson('a'), CREATION);
      await small.createDevice('t', 'b', deviceJson('b'), CREATION);
      const refused = await expectRegistryError(small.createDevice('t', 'c', deviceJson('c'), CREATION), 'UNAVAILABLE');
      expect(refused.headers).to.have.property('Retry-After');
      await expectRegistryError(plain.getDevice('t', 'c'), 'NOT_FOUND');
      expect(await deviceOutbox()).to.have.length(2);
      await small.createDevice('t', 'c', deviceJson('c'), CREATION);
    } finally {
      await small.close();
    }
  });
});
