/**
 * The Store contract (src/store/store.ts) as a reusable mocha suite. It goes through the Store
 * interface only — no KEYS/SCAN, no raw commands — so it runs unchanged against any backend
 * (standalone Redis today, Redis Cluster later). Backend-specific checks live in the .test.ts
 * files that call `storeContract`.
 */
import { expect } from 'chai';
import { RegistryError, type ErrorCode } from '../../src/errors.js';
import { legacyData } from '../../src/model/device.js';
import type { DeviceChange, DeviceCreation, Store } from '../../src/store/store.js';
import { credentialsSetContract } from './store-contract-credentials-sets.js';

/** How the contract creates and changes devices: by a test user, without a limit or condition. */
export const CREATION: DeviceCreation = { user: 'test', maxDevices: -1 };
export const CHANGE: DeviceChange = { user: 'test', ifMatch: '' };
/** A stored device record without the status the store adds (what was written). */
export const dataOf = (stored: string | null | undefined): string | null => (stored === null || stored === undefined ? null : legacyData(stored));
import { tenantIndexesContract } from './store-contract-tenants.js';

export interface StoreFixture {
  store: Store;
  /** Empties the backend; called before each test. */
  flush(): Promise<void>;
  /** Closes the store and anything else the fixture opened. */
  teardown(): Promise<void>;
}

/** Awaits a rejection and checks it is a RegistryError with this code (and message, if given). */
export async function expectRegistryError(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<RegistryError> {
  let failure: unknown;
  try {
    await promise;
  } catch (err) {
    failure = err;
  }
  expect(failure, `expected a RegistryError ${code}, but the call succeeded`).to.not.equal(undefined);
  expect(failure).to.be.instanceOf(RegistryError);
  const err = failure as RegistryError;
  expect(err.code, err.message).to.equal(code);
  if (message !== undefined) expect(err.message).to.match(message);
  return err;
}

export const tenantJson = (id: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ 'tenant-id': id, enabled: true, ...extra });
export const deviceJson = (id: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ 'device-id': id, enabled: true, ...extra });
export const credJson = (deviceId: string, type: string, authId: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ 'device-id': deviceId, type, 'auth-id': authId, enabled: true, secrets: [], ...extra });

/** Escapes a string for use inside a RegExp. */
const re = (text: string): RegExp => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

export function storeContract(name: string, setup: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, function () {
    this.timeout(20_000);
    let fixture: StoreFixture | undefined;
    const store = (): Store => {
      if (fixture === undefined) throw new Error('store fixture not set up');
      return fixture.store;
    };

    before(async function () {
      fixture = await setup();
    });
    beforeEach(async function () {
      await fixture?.flush();
    });
    after(async function () {
      await fixture?.teardown();
      fixture = undefined;
    });

    /** Creates a tenant without CAs. */
    const tenant = (id: string) => store().createTenant(id, tenantJson(id), []);

    describe('lifecycle', function () {
      it('ping resolves while the backend is reachable', async function () {
        await store().ping();
      });

      it('isInitialised is false on a fresh store and true after markInitialised (idempotent)', async function () {
        expect(await store().isInitialised()).to.equal(false);
        await store().markInitialised();
        expect(await store().isInitialised()).to.equal(true);
        await store().markInitialised();
        expect(await store().isInitialised()).to.equal(true);
      });

      it('recover on a consistent store changes nothing', async function () {
        await tenant('t1');
        await store().createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        await store().recover();
        expect(await store().getTenant('t1')).to.equal(tenantJson('t1'));
        expect(dataOf(await store().getDevice('t1', 'd1'))).to.equal(deviceJson('d1'));
      });
    });

    describe('tenants', function () {
      it('creates a tenant and gets its JSON back verbatim; unknown tenants are null', async function () {
        const json = tenantJson('t1', { ext: { 'ünï': 'cödé ✓' } });
        await store().createTenant('t1', json, []);
        expect(await store().getTenant('t1')).to.equal(json);
        expect(await store().getTenant('t2')).to.equal(null);
      });

      it('rejects a duplicate tenant id with CONFLICT and keeps the original', async function () {
        await tenant('t1');
        await expectRegistryError(store().createTenant('t1', tenantJson('t1', { v: 2 }), []), 'CONFLICT');
        expect(await store().getTenant('t1')).to.equal(tenantJson('t1'));
      });

      it('updates a tenant', async function () {
        await tenant('t1');
        await store().updateTenant('t1', tenantJson('t1', { v: 2 }), []);
        expect(await store().getTenant('t1')).to.equal(tenantJson('t1', { v: 2 }));
      });

      it('answers NOT_FOUND for updating or deleting an unknown tenant, without creating it', async function () {
        await expectRegistryError(store().updateTenant('nope', tenantJson('nope'), []), 'NOT_FOUND', /nope/);
        await expectRegistryError(store().deleteTenant('nope'), 'NOT_FOUND', /nope/);
        expect(await store().getTenant('nope')).to.equal(null);
      });

      it('deletes a tenant: get answers null and a second delete answers NOT_FOUND', async function () {
        await tenant('t1');
        await tenant('t2');
        await store().deleteTenant('t1');
        expect(await store().getTenant('t1')).to.equal(null);
        expect(await store().getTenant('t2')).to.equal(tenantJson('t2'));
        await expectRegistryError(store().deleteTenant('t1'), 'NOT_FOUND');
      });

      it('finds a tenant by the DN key of its trusted CA; unknown DNs are null', async function () {
        const json = tenantJson('t1', { ca: 1 });
        await store().createTenant('t1', json, ['CN=ca1', 'CN=ca2']);
        expect(await store().getTenantByCa('CN=ca1')).to.equal(json);
        expect(await store().getTenantByCa('CN=ca2')).to.equal(json);
        expect(await store().getTenantByCa('CN=other')).to.equal(null);
      });

      it('rejects creating a tenant with a CA DN owned by another tenant with CONFLICT, creating nothing', async function () {
        await store().createTenant('t1', tenantJson('t1'), ['CN=ca1']);
        await expectRegistryError(store().createTenant('t2', tenantJson('t2'), ['CN=free', 'CN=ca1']), 'CONFLICT');
        expect(await store().getTenant('t2')).to.equal(null);
        expect(await store().getTenantByCa('CN=ca1')).to.equal(tenantJson('t1'));
        expect(await store().getTenantByCa('CN=free')).to.equal(null);
        // t2 was not created at all: its id is still free and has no devices.
        await expectRegistryError(store().createDevice('t2', 'd', deviceJson('d'), CREATION), 'NOT_FOUND', /t2/);
        await store().createTenant('t2', tenantJson('t2'), ['CN=free']);
        expect(await store().getTenantByCa('CN=free')).to.equal(tenantJson('t2'));
      });

      it('rejects updating a tenant to a CA DN owned by another tenant with CONFLICT, changing nothing', async function () {
        await store().createTenant('t1', tenantJson('t1'), ['CN=ca1']);
        await store().createTenant('t2', tenantJson('t2'), ['CN=ca2']);
        await expectRegistryError(store().updateTenant('t2', tenantJson('t2', { v: 2 }), ['CN=ca1']), 'CONFLICT');
        expect(await store().getTenant('t2')).to.equal(tenantJson('t2'));
        expect(await store().getTenantByCa('CN=ca1')).to.equal(tenantJson('t1'));
        expect(await store().getTenantByCa('CN=ca2')).to.equal(tenantJson('t2'));
      });

      it('lets a tenant keep its own CA DN on update', async function () {
        await store().createTenant('t1', tenantJson('t1'), ['CN=ca1']);
        await store().updateTenant('t1', tenantJson('t1', { v: 2 }), ['CN=ca1', 'CN=ca3']);
        expect(await store().getTenantByCa('CN=ca1')).to.equal(tenantJson('t1', { v: 2 }));
        expect(await store().getTenantByCa('CN=ca3')).to.equal(tenantJson('t1', { v: 2 }));
      });

      it('getTenantByCa follows updates: released DNs are free for other tenants', async function () {
        await store().createTenant('t1', tenantJson('t1'), ['CN=ca1']);
        await store().updateTenant('t1', tenantJson('t1', { v: 2 }), ['CN=ca2']);
        expect(await store().getTenantByCa('CN=ca1')).to.equal(null);
        expect(await store().getTenantByCa('CN=ca2')).to.equal(tenantJson('t1', { v: 2 }));
        await store().updateTenant('t1', tenantJson('t1', { v: 3 }), []);
        expect(await store().getTenantByCa('CN=ca2')).to.equal(null);
        await store().createTenant('t2', tenantJson('t2'), ['CN=ca1', 'CN=ca2']);
        expect(await store().getTenantByCa('CN=ca1')).to.equal(tenantJson('t2'));
      });

      it('getTenantByCa follows deletions: a deleted tenant releases its DNs', async function () {
        await store().createTenant('t1', tenantJson('t1'), ['CN=ca1']);
        await store().deleteTenant('t1');
        expect(await store().getTenantByCa('CN=ca1')).to.equal(null);
        await store().createTenant('t2', tenantJson('t2'), ['CN=ca1']);
        expect(await store().getTenantByCa('CN=ca1')).to.equal(tenantJson('t2'));
      });

      it("removes a deleted tenant's devices and credentials; a re-created tenant with the same id starts empty", async function () {
        await tenant('t1');
        await tenant('keep');
        for (const d of ['d1', 'd2']) {
          await store().createDevice('t1', d, deviceJson(d), CREATION);
          await store().addCredentials('t1', 'psk', `${d}-auth`, d, credJson(d, 'psk', `${d}-auth`));
        }
        await store().createDevice('keep', 'd1', deviceJson('d1', { keep: true }), CREATION);
        await store().addCredentials('keep', 'psk', 'd1-auth', 'd1', credJson('d1', 'psk', 'd1-auth', { keep: true }));

        await store().deleteTenant('t1');
        expect((await store().lookupDevices('t1', ['d1', 'd2'])).map(dataOf)).to.deep.equal([null, null]);
        expect(await store().lookupCredentials('t1', 'psk', 'd1-auth')).to.equal(null);
        await expectRegistryError(store().getDevice('t1', 'd1'), 'NOT_FOUND', /t1/);
        await expectRegistryError(store().createDevice('t1', 'd3', deviceJson('d3'), CREATION), 'NOT_FOUND', /t1/);

        await tenant('t1');
        expect((await store().lookupDevices('t1', ['d1', 'd2'])).map(dataOf)).to.deep.equal([null, null]);
        await expectRegistryError(store().getDevice('t1', 'd1'), 'NOT_FOUND', /d1/);
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal([]);
        await expectRegistryError(store().getCredentials('t1', 'psk', 'd1-auth'), 'NOT_FOUND');
        await store().createDevice('t1', 'd1', deviceJson('d1', { v: 2 }), CREATION);
        await store().addCredentials('t1', 'psk', 'd1-auth', 'd1', credJson('d1', 'psk', 'd1-auth', { v: 2 }));
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal([credJson('d1', 'psk', 'd1-auth', { v: 2 })]);

        // The other tenant is untouched.
        expect(dataOf(await store().getDevice('keep', 'd1'))).to.equal(deviceJson('d1', { keep: true }));
        expect(await store().getDeviceCredentials('keep', 'd1')).to.deep.equal([credJson('d1', 'psk', 'd1-auth', { keep: true })]);
      });

      it('a tenant deletion racing with device writes leaves nothing behind', async function () {
        await tenant('t1');
        const ids = Array.from({ length: 200 }, (_, i) => `d${i}`);
        const writes = ids.map((d) => store().createDevice('t1', d, deviceJson(d), CREATION));
        const deletion = store().deleteTenant('t1');
        const results = await Promise.allSettled([...writes, deletion]);
        for (const r of results) {
          if (r.status === 'rejected') expect((r.reason as RegistryError).code).to.equal('NOT_FOUND');
        }
        expect(results[results.length - 1]?.status).to.equal('fulfilled');
        await tenant('t1');
        expect((await store().lookupDevices('t1', ids)).filter((v) => v !== null)).to.deep.equal([]);
      });
    });

    tenantIndexesContract(store);

    describe('devices', function () {
      beforeEach(async function () {
        await tenant('t1');
      });

      it('creates a device and gets its JSON back verbatim', async function () {
        const json = deviceJson('d1', { via: ['gw'], ext: { 'ü': '✓' } });
        await store().createDevice('t1', 'd1', json, CREATION);
        expect(dataOf(await store().getDevice('t1', 'd1'))).to.equal(json);
      });

      it('rejects a duplicate device with CONFLICT and keeps the original', async function () {
        await store().createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        await expectRegistryError(store().createDevice('t1', 'd1', deviceJson('d1', { v: 2 }), CREATION), 'CONFLICT', /d1/);
        expect(dataOf(await store().getDevice('t1', 'd1'))).to.equal(deviceJson('d1'));
      });

      it('keeps devices of different tenants apart', async function () {
        await tenant('t2');
        await store().createDevice('t1', 'd1', deviceJson('d1', { t: 1 }), CREATION);
        await store().createDevice('t2', 'd1', deviceJson('d1', { t: 2 }), CREATION);
        expect(dataOf(await store().getDevice('t1', 'd1'))).to.equal(deviceJson('d1', { t: 1 }));
        expect(dataOf(await store().getDevice('t2', 'd1'))).to.equal(deviceJson('d1', { t: 2 }));
      });

      it('updates a device', async function () {
        await store().createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        await store().updateDevice('t1', 'd1', deviceJson('d1', { v: 2 }), CHANGE);
        expect(dataOf(await store().getDevice('t1', 'd1'))).to.equal(deviceJson('d1', { v: 2 }));
      });

      it('deletes a device; get, update and delete then answer NOT_FOUND naming the device', async function () {
        await store().createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        await store().denyDevice('t1', 'd1', 'tok_test', new Date().toISOString());
        await expectRegistryError(store().getDevice('t1', 'd1'), 'NOT_FOUND', /d1/);
        await expectRegistryError(store().updateDevice('t1', 'd1', deviceJson('d1'), CHANGE), 'NOT_FOUND', /d1/);
        await expectRegistryError(store().denyDevice('t1', 'd1', 'tok_test', new Date().toISOString()), 'NOT_FOUND', /d1/);
        expect((await store().lookupDevices('t1', ['d1'])).map(dataOf)).to.deep.equal([null]);
      });

      it('update of an unknown device answers NOT_FOUND and creates nothing', async function () {
        await expectRegistryError(store().updateDevice('t1', 'ghost', deviceJson('ghost'), CHANGE), 'NOT_FOUND', /ghost/);
        expect((await store().lookupDevices('t1', ['ghost'])).map(dataOf)).to.deep.equal([null]);
      });

      it('lookupDevices answers the JSON in request order with null for unknown devices and unknown tenants', async function () {
        await store().createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        await store().createDevice('t1', 'd2', deviceJson('d2'), CREATION);
        expect((await store().lookupDevices('t1', ['d2', 'x', 'd1', 'd2'])).map(dataOf)).to.deep.equal([deviceJson('d2'), null, deviceJson('d1'), deviceJson('d2')]);
        expect((await store().lookupDevices('unknown-tenant', ['d1'])).map(dataOf)).to.deep.equal([null]);
      });

      it('lookupDevices of an empty list answers []', async function () {
        expect((await store().lookupDevices('t1', [])).map(dataOf)).to.deep.equal([]);
      });

      it('answers NOT_FOUND naming the tenant for device writes and reads in an unknown tenant', async function () {
        const t = 'no-such-tenant';
        const m = re(t);
        await expectRegistryError(store().createDevice(t, 'd1', deviceJson('d1'), CREATION), 'NOT_FOUND', m);
        await expectRegistryError(store().getDevice(t, 'd1'), 'NOT_FOUND', m);
        await expectRegistryError(store().updateDevice(t, 'd1', deviceJson('d1'), CHANGE), 'NOT_FOUND', m);
        await expectRegistryError(store().denyDevice(t, 'd1', 'tok_test', new Date().toISOString()), 'NOT_FOUND', m);
        expect(await store().getTenant(t)).to.equal(null);
        expect((await store().lookupDevices(t, ['d1'])).map(dataOf)).to.deep.equal([null]);
      });

      it('20 parallel creates of one device: exactly one succeeds, 19 answer CONFLICT', async function () {
        const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store().createDevice('t1', 'race', deviceJson('race', { i }), CREATION)));
        const ok = results.filter((r) => r.status === 'fulfilled');
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(ok).to.have.length(1);
        expect(failed).to.have.length(19);
        for (const r of failed) {
          expect(r.reason).to.be.instanceOf(RegistryError);
          expect((r.reason as RegistryError).code).to.equal('CONFLICT');
        }
        const winner = results.findIndex((r) => r.status === 'fulfilled');
        expect(dataOf(await store().getDevice('t1', 'race'))).to.equal(deviceJson('race', { i: winner }));
      });
    });

    describe('credentials', function () {
      beforeEach(async function () {
        await tenant('t1');
      });

      const add = (d: string, type: string, authId: string, extra: Record<string, unknown> = {}) =>
        store().addCredentials('t1', type, authId, d, credJson(d, type, authId, extra));

      it('adds credentials; getCredentials and lookupCredentials answer the JSON verbatim', async function () {
        await add('d1', 'hashed-password', 'user1', { ext: 'ü✓' });
        const json = credJson('d1', 'hashed-password', 'user1', { ext: 'ü✓' });
        expect(await store().getCredentials('t1', 'hashed-password', 'user1')).to.equal(json);
        expect(await store().lookupCredentials('t1', 'hashed-password', 'user1')).to.equal(json);
      });

      it('lookupCredentials answers null for unknown records and unknown tenants', async function () {
        await add('d1', 'psk', 'a1');
        expect(await store().lookupCredentials('t1', 'psk', 'other')).to.equal(null);
        expect(await store().lookupCredentials('t1', 'hashed-password', 'a1')).to.equal(null);
        expect(await store().lookupCredentials('unknown-tenant', 'psk', 'a1')).to.equal(null);
      });

      it('allows the same auth-id with two types', async function () {
        await add('d1', 'hashed-password', 'same');
        await add('d2', 'psk', 'same');
        expect(await store().getCredentials('t1', 'hashed-password', 'same')).to.equal(credJson('d1', 'hashed-password', 'same'));
        expect(await store().getCredentials('t1', 'psk', 'same')).to.equal(credJson('d2', 'psk', 'same'));
      });

      it('keeps (type, auth-id) pairs apart that only differ in where a ":" splits them', async function () {
        await add('d1', 'a:b', 'c');
        await add('d2', 'a', 'b:c');
        expect(await store().getCredentials('t1', 'a:b', 'c')).to.equal(credJson('d1', 'a:b', 'c'));
        expect(await store().getCredentials('t1', 'a', 'b:c')).to.equal(credJson('d2', 'a', 'b:c'));
      });

      it('rejects a duplicate (type, auth-id) with CONFLICT, even for another device, changing nothing', async function () {
        await add('d1', 'psk', 'a1');
        await expectRegistryError(add('d1', 'psk', 'a1', { v: 2 }), 'CONFLICT', /a1/);
        await expectRegistryError(add('d2', 'psk', 'a1', { v: 3 }), 'CONFLICT', /a1/);
        expect(await store().getCredentials('t1', 'psk', 'a1')).to.equal(credJson('d1', 'psk', 'a1'));
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal([credJson('d1', 'psk', 'a1')]);
        expect(await store().getDeviceCredentials('t1', 'd2')).to.deep.equal([]);
      });

      it('getDeviceCredentials answers the records of the device in insertion order; [] when none', async function () {
        const order: [string, string][] = [
          ['psk', 'z'],
          ['hashed-password', 'a'],
          ['x509-cert', 'CN=m'],
          ['psk', 'b'],
          ['hashed-password', 'y'],
        ];
        for (const [type, authId] of order) {
          await add('d1', type, authId);
          await add('other', type, `${authId}-other`);
        }
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal(order.map(([type, authId]) => credJson('d1', type, authId)));
        expect(await store().getDeviceCredentials('t1', 'nobody')).to.deep.equal([]);
      });

      it('updates a record of the same device in place, keeping its position', async function () {
        await add('d1', 'psk', 'a1');
        await add('d1', 'psk', 'a2');
        await store().updateCredentials('t1', 'psk', 'a1', 'd1', credJson('d1', 'psk', 'a1', { v: 2 }));
        expect(await store().getCredentials('t1', 'psk', 'a1')).to.equal(credJson('d1', 'psk', 'a1', { v: 2 }));
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal([credJson('d1', 'psk', 'a1', { v: 2 }), credJson('d1', 'psk', 'a2')]);
      });

      it('updating a record to another device moves it between the getDeviceCredentials lists', async function () {
        await add('d1', 'psk', 'a1');
        await add('d1', 'psk', 'a2');
        await add('d2', 'psk', 'b1');
        await store().updateCredentials('t1', 'psk', 'a1', 'd2', credJson('d2', 'psk', 'a1'));
        expect(await store().getCredentials('t1', 'psk', 'a1')).to.equal(credJson('d2', 'psk', 'a1'));
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal([credJson('d1', 'psk', 'a2')]);
        expect(await store().getDeviceCredentials('t1', 'd2')).to.deep.equal([credJson('d2', 'psk', 'b1'), credJson('d2', 'psk', 'a1')]);
        // Moving the last record away leaves the old device with none.
        await store().updateCredentials('t1', 'psk', 'a2', 'd3', credJson('d3', 'psk', 'a2'));
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal([]);
        await expectRegistryError(store().deleteDeviceCredentials('t1', 'd1'), 'NOT_FOUND');
        expect(await store().getDeviceCredentials('t1', 'd3')).to.deep.equal([credJson('d3', 'psk', 'a2')]);
      });

      it('update of an unknown record answers NOT_FOUND and creates nothing', async function () {
        await expectRegistryError(store().updateCredentials('t1', 'psk', 'ghost', 'd1', credJson('d1', 'psk', 'ghost')), 'NOT_FOUND', /ghost/);
        expect(await store().lookupCredentials('t1', 'psk', 'ghost')).to.equal(null);
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal([]);
      });

      it('deletes one record: it leaves its device list, and get/update/delete then answer NOT_FOUND', async function () {
        await add('d1', 'psk', 'a1');
        await add('d1', 'psk', 'a2');
        await store().deleteCredentials('t1', 'psk', 'a1');
        expect(await store().lookupCredentials('t1', 'psk', 'a1')).to.equal(null);
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal([credJson('d1', 'psk', 'a2')]);
        await expectRegistryError(store().getCredentials('t1', 'psk', 'a1'), 'NOT_FOUND', /a1/);
        await expectRegistryError(store().updateCredentials('t1', 'psk', 'a1', 'd1', credJson('d1', 'psk', 'a1')), 'NOT_FOUND', /a1/);
        await expectRegistryError(store().deleteCredentials('t1', 'psk', 'a1'), 'NOT_FOUND', /a1/);
        // The same (type, auth-id) may be added again afterwards, and goes to the end.
        await add('d1', 'psk', 'a1', { v: 2 });
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal([credJson('d1', 'psk', 'a2'), credJson('d1', 'psk', 'a1', { v: 2 })]);
      });

      it('deleteDeviceCredentials removes every record of the device only; a second call answers NOT_FOUND', async function () {
        await add('d1', 'psk', 'a1');
        await add('d1', 'hashed-password', 'a1');
        await add('d2', 'psk', 'b1');
        await store().deleteDeviceCredentials('t1', 'd1');
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal([]);
        expect(await store().lookupCredentials('t1', 'psk', 'a1')).to.equal(null);
        expect(await store().lookupCredentials('t1', 'hashed-password', 'a1')).to.equal(null);
        expect(await store().getDeviceCredentials('t1', 'd2')).to.deep.equal([credJson('d2', 'psk', 'b1')]);
        await expectRegistryError(store().deleteDeviceCredentials('t1', 'd1'), 'NOT_FOUND', /d1/);
        await expectRegistryError(store().deleteDeviceCredentials('t1', 'never'), 'NOT_FOUND', /never/);
        // The (type, auth-id) pairs are free again.
        await add('d3', 'psk', 'a1');
        expect(await store().getDeviceCredentials('t1', 'd3')).to.deep.equal([credJson('d3', 'psk', 'a1')]);
      });

      it('answers NOT_FOUND naming the tenant for credential writes and reads in an unknown tenant', async function () {
        const t = 'no-such-tenant';
        const m = re(t);
        await expectRegistryError(store().addCredentials(t, 'psk', 'a1', 'd1', credJson('d1', 'psk', 'a1')), 'NOT_FOUND', m);
        await expectRegistryError(store().getCredentials(t, 'psk', 'a1'), 'NOT_FOUND', m);
        await expectRegistryError(store().getDeviceCredentials(t, 'd1'), 'NOT_FOUND', m);
        await expectRegistryError(store().updateCredentials(t, 'psk', 'a1', 'd1', credJson('d1', 'psk', 'a1')), 'NOT_FOUND', m);
        await expectRegistryError(store().deleteCredentials(t, 'psk', 'a1'), 'NOT_FOUND', m);
        await expectRegistryError(store().deleteDeviceCredentials(t, 'd1'), 'NOT_FOUND', m);
        expect(await store().lookupCredentials(t, 'psk', 'a1')).to.equal(null);
        expect(await store().getTenant(t)).to.equal(null);
      });

      it('20 parallel adds of one (type, auth-id): exactly one succeeds, 19 answer CONFLICT', async function () {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store().addCredentials('t1', 'psk', 'race', `d${i}`, credJson(`d${i}`, 'psk', 'race'))),
        );
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
        expect(failed).to.have.length(19);
        for (const r of failed) {
          expect(r.reason).to.be.instanceOf(RegistryError);
          expect((r.reason as RegistryError).code).to.equal('CONFLICT');
        }
        const winner = results.findIndex((r) => r.status === 'fulfilled');
        expect(await store().getCredentials('t1', 'psk', 'race')).to.equal(credJson(`d${winner}`, 'psk', 'race'));
        // Only the winner's device lists the record.
        const lists = await Promise.all(Array.from({ length: 20 }, (_, i) => store().getDeviceCredentials('t1', `d${i}`)));
        expect(lists.map((l) => l.length)).to.deep.equal(Array.from({ length: 20 }, (_, i) => (i === winner ? 1 : 0)));
      });
    });

    credentialsSetContract(store);

    describe('denied devices', function () {
      const AT = '2024-05-01T12:00:00.000Z';
      const deny = (d: string, t = 't1') => store().denyDevice(t, d, 'tok_test', AT);
      const add = (d: string, type: string, authId: string, extra: Record<string, unknown> = {}) =>
        store().addCredentials('t1', type, authId, d, credJson(d, type, authId, extra));
      /** Every id of the denied list, page by page (count per page), with the number of pages. */
      async function allDenied(t: string, count: number): Promise<{ ids: string[]; pages: number }> {
        const ids: string[] = [];
        let cursor = '';
        let pages = 0;
        do {
          const page = await store().listDeniedDevices(t, cursor, count);
          ids.push(...page.ids);
          cursor = page.cursor;
          pages += 1;
          expect(pages, 'listDeniedDevices does not come to an end').to.be.below(1000);
        } while (cursor !== '');
        return { ids, pages };
      }

      beforeEach(async function () {
        await tenant('t1');
      });

      it('denyDevice moves the record off the device list: getDevice NOT_FOUND, lookupDevices null, listed as denied', async function () {
        await store().createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        await store().createDevice('t1', 'd2', deviceJson('d2'), CREATION);
        await deny('d1');
        await expectRegistryError(store().getDevice('t1', 'd1'), 'NOT_FOUND', /d1/);
        expect((await store().lookupDevices('t1', ['d1', 'd2'])).map(dataOf)).to.deep.equal([null, deviceJson('d2')]);
        expect((await allDenied('t1', 100)).ids).to.deep.equal(['d1']);
        // A second denial of the same id finds no device.
        await expectRegistryError(deny('d1'), 'NOT_FOUND', /d1/);
        await expectRegistryError(deny('never'), 'NOT_FOUND', /never/);
        expect((await allDenied('t1', 100)).ids).to.deep.equal(['d1']);
      });

      it('denyDevice destroys the credentials of the device, and only those', async function () {
        await store().createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        await store().createDevice('t1', 'd2', deviceJson('d2'), CREATION);
        await add('d1', 'psk', 'a1');
        await add('d1', 'hashed-password', 'u1');
        await add('d1', 'x509-cert', 'CN=d1,O=ACME');
        await add('d2', 'psk', 'b1');
        await deny('d1');
        expect(await store().lookupCredentials('t1', 'psk', 'a1')).to.equal(null);
        expect(await store().lookupCredentials('t1', 'hashed-password', 'u1')).to.equal(null);
        expect(await store().lookupCredentials('t1', 'x509-cert', 'CN=d1,O=ACME')).to.equal(null);
        await expectRegistryError(store().getCredentials('t1', 'psk', 'a1'), 'NOT_FOUND', /a1/);
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal([]);
        await expectRegistryError(store().deleteDeviceCredentials('t1', 'd1'), 'NOT_FOUND');
        expect(await store().getDeviceCredentials('t1', 'd2')).to.deep.equal([credJson('d2', 'psk', 'b1')]);
      });

      it('denyDevice of a device without credentials works, and its restore gives it back', async function () {
        await store().createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        await deny('d1');
        expect((await allDenied('t1', 100)).ids).to.deep.equal(['d1']);
        await store().releaseDeniedDevice('t1', 'd1', 'restore');
        expect(dataOf(await store().getDevice('t1', 'd1'))).to.equal(deviceJson('d1'));
      });

      it('the identities of a denied device stay reserved: addCredentials of the same type and auth-id for another device is a CONFLICT naming the denied list', async function () {
        await store().createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        await add('d1', 'psk', 'a1');
        await add('d1', 'x509-cert', 'CN=d1,O=ACME');
        await deny('d1');
        await expectRegistryError(add('d2', 'psk', 'a1'), 'CONFLICT', /denied list/);
        await expectRegistryError(add('d2', 'x509-cert', 'CN=d1,O=ACME'), 'CONFLICT', /denied list/);
        expect(await store().lookupCredentials('t1', 'psk', 'a1')).to.equal(null);
        expect(await store().getDeviceCredentials('t1', 'd2')).to.deep.equal([]);
        // Only the exact (type, auth-id) pairs are reserved.
        await add('d2', 'hashed-password', 'a1');
        await add('d2', 'psk', 'a2');
        expect(await store().getDeviceCredentials('t1', 'd2')).to.deep.equal([credJson('d2', 'hashed-password', 'a1'), credJson('d2', 'psk', 'a2')]);
      });

      it('createDevice of a denied id is a CONFLICT naming the denied list, and changes nothing', async function () {
        await store().createDevice('t1', 'd1', deviceJson('d1', { v: 1 }), CREATION);
        await deny('d1');
        const err = await expectRegistryError(store().createDevice('t1', 'd1', deviceJson('d1', { v: 2 }), CREATION), 'CONFLICT', /denied list/);
        expect(err.message).to.match(/d1/);
        await expectRegistryError(store().getDevice('t1', 'd1'), 'NOT_FOUND');
        await expectRegistryError(store().updateDevice('t1', 'd1', deviceJson('d1', { v: 3 }), CHANGE), 'NOT_FOUND');
        // The denied entry still holds the original record.
        await store().releaseDeniedDevice('t1', 'd1', 'restore');
        expect(dataOf(await store().getDevice('t1', 'd1'))).to.equal(deviceJson('d1', { v: 1 }));
      });

      it('addCredentials or updateCredentials naming a denied device is a CONFLICT naming the denied list', async function () {
        await store().createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        await add('d2', 'psk', 'b1');
        await deny('d1');
        await expectRegistryError(add('d1', 'psk', 'fresh'), 'CONFLICT', /denied list/);
        expect(await store().lookupCredentials('t1', 'psk', 'fresh')).to.equal(null);
        await expectRegistryError(store().updateCredentials('t1', 'psk', 'b1', 'd1', credJson('d1', 'psk', 'b1')), 'CONFLICT', /denied list/);
        expect(await store().getCredentials('t1', 'psk', 'b1')).to.equal(credJson('d2', 'psk', 'b1'));
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal([]);
      });

      it('listDeniedDevices pages through 250 denied devices with count 100: every id exactly once, active devices never', async function () {
        const ids = Array.from({ length: 250 }, (_, i) => `denied-${i}`);
        for (let i = 0; i < ids.length; i += 50) {
          await Promise.all(ids.slice(i, i + 50).map(async (d) => {
            await store().createDevice('t1', d, deviceJson(d), CREATION);
            await store().addCredentials('t1', 'psk', `${d}-psk`, d, credJson(d, 'psk', `${d}-psk`));
          }));
        }
        await store().createDevice('t1', 'active', deviceJson('active'), CREATION);
        for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map((d) => deny(d)));

        const { ids: listed, pages } = await allDenied('t1', 100);
        expect(pages, 'pages of 100 for 250 ids').to.be.at.least(2);
        expect(listed).to.have.length(250);
        expect(new Set(listed).size).to.equal(250);
        expect([...listed].sort()).to.deep.equal([...ids].sort());
        expect(dataOf(await store().getDevice('t1', 'active'))).to.equal(deviceJson('active'));
      });

      it('listDeniedDevices of a tenant without denied devices is one empty page; NOT_FOUND naming an unknown tenant', async function () {
        await store().createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        expect(await store().listDeniedDevices('t1', '', 100)).to.deep.equal({ ids: [], cursor: '' });
        await expectRegistryError(store().listDeniedDevices('no-such-tenant', '0', 100), 'NOT_FOUND', /no-such-tenant/);
      });

      it('releaseDeniedDevice restore gives the registration back byte for byte, not the credentials, and frees the identities', async function () {
        // Written by hand: JSON.stringify would never produce 1e21, \/ or \u escapes.
        const json = '{"enabled":true,"ext":{"name":"Ünïcödé ✓ 日本 😀","path":"a/b\\/c","esc":"\\u00fc\\n\\"q\\""},' +
          '"f":0.1,"big":1e21,"neg":-0.0,"exp":1.5E-7,"int":12345678901234567890,"e":[],"o":{},"via":["gw/1"]}';
        await store().createDevice('t1', 'd/1', json, CREATION);
        const stored = await store().getDevice('t1', 'd/1');
        // The body as written, with the status the store keeps appended.
        expect(stored.startsWith(json.slice(0, -1))).to.equal(true);
        await store().addCredentials('t1', 'psk', 'a1', 'd/1', credJson('d/1', 'psk', 'a1'));
        await store().addCredentials('t1', 'x509-cert', 'CN=d,O=ACME', 'd/1', credJson('d/1', 'x509-cert', 'CN=d,O=ACME'));
        await deny('d/1');
        await store().releaseDeniedDevice('t1', 'd/1', 'restore');

        expect(await store().getDevice('t1', 'd/1')).to.equal(stored);
        expect(await store().lookupDevices('t1', ['d/1'])).to.deep.equal([stored]);
        expect(await store().getDeviceCredentials('t1', 'd/1')).to.deep.equal([]);
        expect(await store().lookupCredentials('t1', 'psk', 'a1')).to.equal(null);
        expect((await allDenied('t1', 100)).ids).to.deep.equal([]);
        // The identities are free again: for another device, and for the restored device itself.
        await store().addCredentials('t1', 'psk', 'a1', 'other', credJson('other', 'psk', 'a1'));
        await store().addCredentials('t1', 'x509-cert', 'CN=d,O=ACME', 'd/1', credJson('d/1', 'x509-cert', 'CN=d,O=ACME'));
        expect(await store().getDeviceCredentials('t1', 'd/1')).to.deep.equal([credJson('d/1', 'x509-cert', 'CN=d,O=ACME')]);
        // It is an ordinary device again: a second restore finds nothing, creating it again conflicts.
        await expectRegistryError(store().releaseDeniedDevice('t1', 'd/1', 'restore'), 'NOT_FOUND');
        await expectRegistryError(store().createDevice('t1', 'd/1', deviceJson('d/1'), CREATION), 'CONFLICT');
      });

      it('a restored device can be denied again, and its new credentials are destroyed and reserved', async function () {
        await store().createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        await add('d1', 'psk', 'old');
        await deny('d1');
        await store().releaseDeniedDevice('t1', 'd1', 'restore');
        await add('d1', 'psk', 'new');
        await deny('d1');
        expect(await store().lookupCredentials('t1', 'psk', 'new')).to.equal(null);
        await expectRegistryError(add('d2', 'psk', 'new'), 'CONFLICT', /denied list/);
        await add('d2', 'psk', 'old');
        await store().releaseDeniedDevice('t1', 'd1', 'purge');
        await add('d3', 'psk', 'new');
      });

      it('releaseDeniedDevice purge frees the id (createDevice works) and the identities', async function () {
        await store().createDevice('t1', 'd1', deviceJson('d1', { v: 1 }), CREATION);
        await add('d1', 'psk', 'a1');
        await deny('d1');
        await store().releaseDeniedDevice('t1', 'd1', 'purge');
        await expectRegistryError(store().getDevice('t1', 'd1'), 'NOT_FOUND');
        expect((await store().lookupDevices('t1', ['d1'])).map(dataOf)).to.deep.equal([null]);
        expect((await allDenied('t1', 100)).ids).to.deep.equal([]);
        await expectRegistryError(store().releaseDeniedDevice('t1', 'd1', 'restore'), 'NOT_FOUND');
        await store().createDevice('t1', 'd1', deviceJson('d1', { v: 2 }), CREATION);
        expect(dataOf(await store().getDevice('t1', 'd1'))).to.equal(deviceJson('d1', { v: 2 }));
        await add('d2', 'psk', 'a1');
        expect(await store().getCredentials('t1', 'psk', 'a1')).to.equal(credJson('d2', 'psk', 'a1'));
      });

      it('releaseDeniedDevice answers NOT_FOUND for an unknown device, an active device and an unknown tenant, changing nothing', async function () {
        await store().createDevice('t1', 'active', deviceJson('active'), CREATION);
        await add('active', 'psk', 'a1');
        for (const mode of ['restore', 'purge'] as const) {
          await expectRegistryError(store().releaseDeniedDevice('t1', 'ghost', mode), 'NOT_FOUND', /ghost/);
          await expectRegistryError(store().releaseDeniedDevice('t1', 'active', mode), 'NOT_FOUND', /active/);
          await expectRegistryError(store().releaseDeniedDevice('no-such-tenant', 'active', mode), 'NOT_FOUND', /no-such-tenant/);
        }
        expect(dataOf(await store().getDevice('t1', 'active'))).to.equal(deviceJson('active'));
        expect(await store().getDeviceCredentials('t1', 'active')).to.deep.equal([credJson('active', 'psk', 'a1')]);
        expect((await store().lookupDevices('t1', ['ghost'])).map(dataOf)).to.deep.equal([null]);
      });

      it('provisionDevice creates the device and its credentials at once', async function () {
        const cred = credJson('p1', 'x509-cert', 'CN=p1,O=ACME');
        await store().provisionDevice('t1', 'p1', JSON.stringify({ enabled: true }), 'x509-cert', 'CN=p1,O=ACME', cred, -1);
        expect(dataOf(await store().getDevice('t1', 'p1'))).to.equal('{"enabled":true}');
        expect(await store().lookupCredentials('t1', 'x509-cert', 'CN=p1,O=ACME')).to.equal(cred);
        expect(await store().getDeviceCredentials('t1', 'p1')).to.deep.equal([cred]);
      });

      it('provisionDevice keeps an existing device (for example a restored one) and adds the credentials', async function () {
        await store().createDevice('t1', 'p1', deviceJson('p1', { v: 1 }), CREATION);
        await store().provisionDevice('t1', 'p1', JSON.stringify({ enabled: true }), 'x509-cert', 'CN=p1', credJson('p1', 'x509-cert', 'CN=p1'), -1);
        expect(dataOf(await store().getDevice('t1', 'p1'))).to.equal(deviceJson('p1', { v: 1 }));
        // A restored device: its registration is kept, provisioning gives it credentials again.
        await deny('p1');
        await store().releaseDeniedDevice('t1', 'p1', 'restore');
        await store().provisionDevice('t1', 'p1', JSON.stringify({ enabled: true }), 'x509-cert', 'CN=p1', credJson('p1', 'x509-cert', 'CN=p1', { v: 2 }), -1);
        expect(dataOf(await store().getDevice('t1', 'p1'))).to.equal(deviceJson('p1', { v: 1 }));
        expect(await store().getDeviceCredentials('t1', 'p1')).to.deep.equal([credJson('p1', 'x509-cert', 'CN=p1', { v: 2 })]);
      });

      it('provisionDevice of existing credentials is a CONFLICT and creates no device', async function () {
        await add('owner', 'x509-cert', 'CN=taken');
        await expectRegistryError(
          store().provisionDevice('t1', 'p2', '{"enabled":true}', 'x509-cert', 'CN=taken', credJson('p2', 'x509-cert', 'CN=taken'), -1), 'CONFLICT',
        );
        expect((await store().lookupDevices('t1', ['p2'])).map(dataOf)).to.deep.equal([null]);
        expect(await store().getCredentials('t1', 'x509-cert', 'CN=taken')).to.equal(credJson('owner', 'x509-cert', 'CN=taken'));
      });

      it('provisionDevice refuses identities reserved by a denied device and denied devices with CONFLICT, creating nothing', async function () {
        await store().provisionDevice('t1', 'p1', '{"enabled":true}', 'x509-cert', 'CN=p1', credJson('p1', 'x509-cert', 'CN=p1'), -1);
        await deny('p1');
        // The reserved identity, for a new device id.
        await expectRegistryError(store().provisionDevice('t1', 'p9', '{"enabled":true}', 'x509-cert', 'CN=p1', credJson('p9', 'x509-cert', 'CN=p1'), -1), 'CONFLICT', /denied list/);
        // The denied device, with a new identity (it changed its key).
        await expectRegistryError(store().provisionDevice('t1', 'p1', '{"enabled":true}', 'x509-cert', 'CN=p1-new', credJson('p1', 'x509-cert', 'CN=p1-new'), -1), 'CONFLICT', /denied list/);
        expect((await store().lookupDevices('t1', ['p1', 'p9'])).map(dataOf)).to.deep.equal([null, null]);
        expect(await store().lookupCredentials('t1', 'x509-cert', 'CN=p1')).to.equal(null);
        expect(await store().lookupCredentials('t1', 'x509-cert', 'CN=p1-new')).to.equal(null);
        expect(await store().getDeviceCredentials('t1', 'p9')).to.deep.equal([]);
        expect((await allDenied('t1', 100)).ids).to.deep.equal(['p1']);
        // Once purged, it can be provisioned afresh.
        await store().releaseDeniedDevice('t1', 'p1', 'purge');
        await store().provisionDevice('t1', 'p1', '{"enabled":true}', 'x509-cert', 'CN=p1', credJson('p1', 'x509-cert', 'CN=p1'), -1);
        expect(dataOf(await store().getDevice('t1', 'p1'))).to.equal('{"enabled":true}');
      });

      it('20 parallel provisions of one identity under different device ids: one succeeds and only its device exists', async function () {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => store().provisionDevice('t1', `p${i}`, '{"enabled":true}', 'x509-cert', 'CN=race', credJson(`p${i}`, 'x509-cert', 'CN=race'), -1)),
        );
        const winner = results.findIndex((r) => r.status === 'fulfilled');
        expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(1);
        for (const r of results) if (r.status === 'rejected') expect((r.reason as RegistryError).code).to.equal('CONFLICT');
        const devices = await store().lookupDevices('t1', Array.from({ length: 20 }, (_, i) => `p${i}`));
        expect(devices.map((d) => d !== null)).to.deep.equal(Array.from({ length: 20 }, (_, i) => i === winner));
      });

      it('provisionDevice answers NOT_FOUND naming an unknown tenant', async function () {
        await expectRegistryError(store().provisionDevice('no-such-tenant', 'p1', '{"enabled":true}', 'x509-cert', 'CN=p1', credJson('p1', 'x509-cert', 'CN=p1'), -1), 'NOT_FOUND', /no-such-tenant/);
      });

      it('deleting a tenant purges its denied devices and their reserved identities too', async function () {
        await tenant('keep');
        await store().createDevice('t1', 'd1', deviceJson('d1'), CREATION);
        await add('d1', 'psk', 'a1');
        await deny('d1');
        await store().createDevice('keep', 'd1', deviceJson('d1'), CREATION);
        await store().denyDevice('keep', 'd1', 'tok_test', AT);

        await store().deleteTenant('t1');
        await tenant('t1');
        expect(await store().listDeniedDevices('t1', '', 100)).to.deep.equal({ ids: [], cursor: '' });
        await expectRegistryError(store().releaseDeniedDevice('t1', 'd1', 'restore'), 'NOT_FOUND');
        await store().createDevice('t1', 'd1', deviceJson('d1', { v: 2 }), CREATION);
        await add('d2', 'psk', 'a1');
        expect(await store().getCredentials('t1', 'psk', 'a1')).to.equal(credJson('d2', 'psk', 'a1'));
        // The other tenant's denied list is untouched.
        expect((await allDenied('keep', 100)).ids).to.deep.equal(['d1']);
      });
    });

    describe('bulk import and scans', function () {
      const dev = (deviceId: string, json: string | undefined, ...creds: [string, string, string][]) => ({
        deviceId, json, credentials: creds.map(([type, authId, owner]) => ({ type, authId, json: credJson(owner, type, authId) })),
      });

      it('writes devices with their credentials in one call; the same call again changes nothing', async function () {
        await tenant('t1');
        const batch = [dev('d1', '{"enabled":true}', ['psk', 'a1', 'd1'], ['x509-cert', 'CN=d1', 'd1']), dev('d2', '{"enabled":false}'), dev('d3', undefined, ['psk', 'a3', 'd3'])];
        expect(await store().importDevices('t1', batch, false)).to.deep.equal([{ outcome: 'created' }, { outcome: 'created' }, { outcome: 'created' }]);
        expect((await store().lookupDevices('t1', ['d1', 'd2', 'd3'])).map(dataOf)).to.deep.equal(['{"enabled":true}', '{"enabled":false}', null]);
        expect(await store().getDeviceCredentials('t1', 'd1')).to.deep.equal([credJson('d1', 'psk', 'a1'), credJson('d1', 'x509-cert', 'CN=d1')]);
        expect(await store().importDevices('t1', batch, false)).to.deep.equal([{ outcome: 'unchanged' }, { outcome: 'unchanged' }, { outcome: 'unchanged' }]);
        expect(await store().importDevices('t1', [dev('d1', '{"enabled":true}', ['psk', 'a1', 'd1'], ['psk', 'a4', 'd1'])], false)).to.deep.equal([{ outcome: 'updated' }]);
        expect(await store().getDeviceCredentials('t1', 'd1')).to.have.length(3);
      });

      it('reports conflicts per device and writes nothing of a refused device; replace overwrites and moves records', async function () {
        await tenant('t1');
        await store().importDevices('t1', [dev('d1', '{"enabled":true}', ['psk', 'a1', 'd1']), dev('d2', '{"enabled":true}', ['psk', 'a2', 'd2'])], false);
        await store().createDevice('t1', 'gone', deviceJson('gone'), CREATION);
        await store().addCredentials('t1', 'psk', 'kept', 'gone', credJson('gone', 'psk', 'kept'));
        await store().denyDevice('t1', 'gone', 'tok_test', '2030-01-01T00:00:00Z');
        const verdicts = await store().importDevices('t1', [
          dev('d1', '{"enabled":false}', ['psk', 'new', 'd1']),
          dev('d2', '{"enabled":true}', ['psk', 'a2', 'd2'], ['psk', 'a1', 'd2']),
          dev('d3', '{"enabled":true}', ['psk', 'kept', 'd3']),
          dev('gone', '{"enabled":true}'),
        ], false);
        expect(verdicts).to.deep.equal([{ conflict: 'DEVICE_DIFFERS' }, { conflict: 'OWNED', index: 1, owner: 'd1' }, { conflict: 'RESERVED', index: 0 }, { conflict: 'DENIED' }]);
        expect(await store().lookupCredentials('t1', 'psk', 'new'), 'nothing of a refused device').to.equal(null);
        expect((await store().lookupDevices('t1', ['d3'])).map(dataOf)).to.deep.equal([null]);

        const replaced = await store().importDevices('t1', [dev('d1', '{"enabled":false}'), dev('d2', '{"enabled":true}', ['psk', 'a1', 'd2'])], true);
        expect(replaced).to.deep.equal([{ outcome: 'replaced' }, { outcome: 'replaced' }]);
        expect(await store().getDeviceCredentials('t1', 'd1'), 'the moved record left its old device').to.deep.equal([]);
        expect(await store().getDeviceCredentials('t1', 'd2')).to.deep.equal([credJson('d2', 'psk', 'a2'), credJson('d2', 'psk', 'a1')]);
      });

      it('answers NOT_FOUND naming an unknown tenant', async function () {
        await expectRegistryError(store().importDevices('no-such-tenant', [dev('d1', '{}')], false), 'NOT_FOUND', /no-such-tenant/);
      });

      it('scans tenants, devices, credentials and the index completely, and reads the records of many devices', async function () {
        await tenant('t1');
        await tenant('t2');
        const many = Array.from({ length: 250 }, (_, i) => dev(`d${i}`, `{"n":${i}}`, ['psk', `a${i}`, `d${i}`]));
        await store().importDevices('t1', many, false);
        const all = async (page: (cursor: string) => Promise<{ cursor: string; entries: readonly (readonly [string, string])[] }>) => {
          const found = new Map<string, string>();
          let cursor = '0';
          do {
            const result = await page(cursor);
            for (const [k, v] of result.entries) found.set(k, v);
            cursor = result.cursor;
          } while (cursor !== '0');
          return found;
        };
        expect([...(await all((c) => store().scanTenants(c, 10))).keys()].sort()).to.deep.equal(['t1', 't2']);
        const devices = await all((c) => store().scanDevices('t1', c, 50));
        expect(devices.size).to.equal(250);
        expect(dataOf(devices.get('d7'))).to.equal('{"n":7}');
        expect((await all((c) => store().scanCredentials('t1', c, 50))).size).to.equal(250);
        expect((await all((c) => store().scanCredentialIndex('t1', c, 50))).get('d9')).to.equal(JSON.stringify(['psk:a9']));
        expect(await store().credentialsOfDevices('t1', ['d3', 'none', 'd4'])).to.deep.equal([[credJson('d3', 'psk', 'a3')], [], [credJson('d4', 'psk', 'a4')]]);
      });
    });
  });
}
