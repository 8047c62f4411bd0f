/**
 * The Store contract of credentials sets and the credentials search (store.ts CredentialsSetStore),
 * part of storeContract: through the Store interface only, so it runs on standalone Redis and on
 * Redis Cluster alike.
 */
import { expect } from 'chai';
import { RegistryError } from '../../src/errors.js';
import { credentialsVersion } from '../../src/model/version.js';
import { credentialSearchPrefix } from '../../src/store/keys.js';
import type { CredentialsSetRecord, Store } from '../../src/store/store.js';
import { CREATION, credJson, deviceJson, expectRegistryError, tenantJson } from './store-contract.js';

const record = (d: string, type: string, authId: string, extra: Record<string, unknown> = {}): CredentialsSetRecord =>
  ({ type, authId, json: credJson(d, type, authId, extra) });

export function credentialsSetContract(store: () => Store): void {
  const T = 't1';
  const versionOf = async (d: string) => credentialsVersion(await store().getCredentialsSet(T, d));
  const replace = async (d: string, records: CredentialsSetRecord[]) => store().replaceCredentialsSet(T, d, await versionOf(d), records);
  /** The auth-ids of a search page, as `type/auth-id` of each record. */
  const found = async (prefix: string, offset = 0, count = 100, after?: string) => {
    const page = await store().searchCredentials(T, prefix, offset, count, after);
    return { total: page.total, ids: page.entries.map(({ json }) => { const r = JSON.parse(json ?? '{}') as Record<string, string>; return `${r.type}/${r['auth-id']}`; }) };
  };
  const byAuthId = (authId: string, whole = false) => credentialSearchPrefix({ authId, whole });
  const byType = (type: string, authIdPrefix = '') => credentialSearchPrefix({ type, authIdPrefix });

  describe('credentials sets and search', function () {
    beforeEach(async function () {
      await store().createTenant(T, tenantJson(T), []);
      for (const d of ['d1', 'd2']) await store().createDevice(T, d, deviceJson(d), CREATION);
    });

    describe('credentials sets', function () {
      it('getCredentialsSet answers the records in index order, [] for a device without any, NOT_FOUND naming an unknown device or tenant', async function () {
        await store().addCredentials(T, 'psk', 'b', 'd1', credJson('d1', 'psk', 'b'));
        await store().addCredentials(T, 'hashed-password', 'a', 'd1', credJson('d1', 'hashed-password', 'a'));
        expect(await store().getCredentialsSet(T, 'd1')).to.deep.equal([credJson('d1', 'psk', 'b'), credJson('d1', 'hashed-password', 'a')]);
        expect(await store().getCredentialsSet(T, 'd2')).to.deep.equal([]);
        await expectRegistryError(store().getCredentialsSet(T, 'ghost'), 'NOT_FOUND', /device "ghost"/);
        await expectRegistryError(store().getCredentialsSet('nope', 'd1'), 'NOT_FOUND', /tenant "nope"/);
      });

      it('the Lua scripts compute the same set version as credentialsVersion (empty set, UTF-8 records)', async function () {
        expect(await store().replaceCredentialsSet(T, 'd1', credentialsVersion([]), [record('d1', 'psk', 'ü✓', { note: '日本 😀' })])).to.equal(true);
        expect(await store().replaceCredentialsSet(T, 'd1', credentialsVersion([credJson('d1', 'psk', 'ü✓', { note: '日本 😀' })]), [])).to.equal(true);
        expect(await store().getCredentialsSet(T, 'd1')).to.deep.equal([]);
      });

      it('replaceCredentialsSet replaces the whole set in the given order: dropped records are gone, kept ones updated in place', async function () {
        await store().addCredentials(T, 'psk', 'a', 'd1', credJson('d1', 'psk', 'a'));
        await store().addCredentials(T, 'psk', 'b', 'd1', credJson('d1', 'psk', 'b'));
        expect(await replace('d1', [record('d1', 'x509-cert', 'CN=c'), record('d1', 'psk', 'b', { v: 2 })])).to.equal(true);
        expect(await store().getCredentialsSet(T, 'd1')).to.deep.equal([credJson('d1', 'x509-cert', 'CN=c'), credJson('d1', 'psk', 'b', { v: 2 })]);
        expect(await store().lookupCredentials(T, 'psk', 'a')).to.equal(null);
        expect(await store().getDeviceCredentials(T, 'd1')).to.deep.equal([credJson('d1', 'x509-cert', 'CN=c'), credJson('d1', 'psk', 'b', { v: 2 })]);
        // The identities dropped are free for another device.
        await store().addCredentials(T, 'psk', 'a', 'd2', credJson('d2', 'psk', 'a'));
      });

      it('writes nothing and answers false when the set changed after it was read', async function () {
        const read = await versionOf('d1');
        await store().addCredentials(T, 'psk', 'a', 'd1', credJson('d1', 'psk', 'a'));
        expect(await store().replaceCredentialsSet(T, 'd1', read, [record('d1', 'psk', 'z')])).to.equal(false);
        expect(await store().getCredentialsSet(T, 'd1')).to.deep.equal([credJson('d1', 'psk', 'a')]);
        expect(await store().lookupCredentials(T, 'psk', 'z')).to.equal(null);
      });

      it('refuses an identity another device owns, or a denied device keeps reserved, with CONFLICT naming it, writing nothing', async function () {
        await store().addCredentials(T, 'psk', 'theirs', 'd2', credJson('d2', 'psk', 'theirs'));
        await store().addCredentials(T, 'psk', 'mine', 'd1', credJson('d1', 'psk', 'mine'));
        await expectRegistryError(replace('d1', [record('d1', 'psk', 'new'), record('d1', 'psk', 'theirs')]), 'CONFLICT', /"psk" with auth-id "theirs" belong to another device/);
        await store().createDevice(T, 'gone', deviceJson('gone'), CREATION);
        await store().addCredentials(T, 'hashed-password', 'kept', 'gone', credJson('gone', 'hashed-password', 'kept'));
        await store().denyDevice(T, 'gone', 'tok_test', '2024-05-01T12:00:00.000Z');
        await expectRegistryError(replace('d1', [record('d1', 'hashed-password', 'kept')]), 'CONFLICT', /"kept" are reserved by a device on the denied list/);
        expect(await store().getCredentialsSet(T, 'd1')).to.deep.equal([credJson('d1', 'psk', 'mine')]);
        expect(await store().lookupCredentials(T, 'psk', 'new')).to.equal(null);
        expect(await store().getCredentials(T, 'psk', 'theirs')).to.equal(credJson('d2', 'psk', 'theirs'));
      });

      it('answers NOT_FOUND naming an unknown device (also a denied one) or tenant, writing nothing', async function () {
        await expectRegistryError(store().replaceCredentialsSet(T, 'ghost', credentialsVersion([]), [record('ghost', 'psk', 'g')]), 'NOT_FOUND', /device "ghost"/);
        await store().denyDevice(T, 'd2', 'tok_test', '2024-05-01T12:00:00.000Z');
        await expectRegistryError(store().replaceCredentialsSet(T, 'd2', credentialsVersion([]), [record('d2', 'psk', 'g')]), 'NOT_FOUND', /device "d2"/);
        await expectRegistryError(store().replaceCredentialsSet('nope', 'd1', credentialsVersion([]), []), 'NOT_FOUND', /tenant "nope"/);
        expect(await store().lookupCredentials(T, 'psk', 'g')).to.equal(null);
      });

      it('20 parallel replaces from the same version: exactly one is written', async function () {
        const read = await versionOf('d1');
        const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store().replaceCredentialsSet(T, 'd1', read, [record('d1', 'psk', `race-${i}`)])));
        expect(results.filter((r) => r)).to.have.length(1);
        const winner = results.indexOf(true);
        expect(await store().getCredentialsSet(T, 'd1')).to.deep.equal([credJson('d1', 'psk', `race-${winner}`)]);
      });

      it('addCredentials refuses a record beyond the limit it is given with FORBIDDEN', async function () {
        await store().addCredentials(T, 'psk', 'a', 'd1', credJson('d1', 'psk', 'a'), 2);
        await store().addCredentials(T, 'psk', 'b', 'd1', credJson('d1', 'psk', 'b'), 2);
        const err = await expectRegistryError(store().addCredentials(T, 'psk', 'c', 'd1', credJson('d1', 'psk', 'c'), 2), 'FORBIDDEN', /max-credentials-per-device/);
        expect(err).to.be.instanceOf(RegistryError);
        await expectRegistryError(store().addCredentials(T, 'psk', 'c', 'd2', credJson('d2', 'psk', 'c'), 0), 'FORBIDDEN');
        await store().addCredentials(T, 'psk', 'c', 'd2', credJson('d2', 'psk', 'c'));
        expect(await store().lookupCredentials(T, 'psk', 'c')).to.equal(credJson('d2', 'psk', 'c'));
      });
    });

    describe('credentials search', function () {
      beforeEach(async function () {
        await replace('d1', [record('d1', 'hashed-password', 'sensor-1'), record('d1', 'psk', 'sensor-1'), record('d1', 'psk', 'sensor-10')]);
        await replace('d2', [record('d2', 'hashed-password', 'sensor-2'), record('d2', 'x509-cert', 'CN=sensor,O=ACME'), record('d2', 'psk', 'ünïcödé')]);
      });

      it('finds one auth-id across types, an auth-id prefix, and one type, each in lexicographic order', async function () {
        expect(await found(byAuthId('sensor-1', true))).to.deep.equal({ total: 2, ids: ['hashed-password/sensor-1', 'psk/sensor-1'] });
        expect(await found(byAuthId('sensor-'))).to.deep.equal({ total: 4, ids: ['hashed-password/sensor-1', 'psk/sensor-1', 'psk/sensor-10', 'hashed-password/sensor-2'] });
        expect(await found(byType('psk'))).to.deep.equal({ total: 3, ids: ['psk/sensor-1', 'psk/sensor-10', 'psk/ünïcödé'] });
        expect(await found(byType('psk', 'sensor-1'))).to.deep.equal({ total: 2, ids: ['psk/sensor-1', 'psk/sensor-10'] });
        expect(await found(byAuthId('ü'))).to.deep.equal({ total: 1, ids: ['psk/ünïcödé'] });
        expect(await found(byAuthId('CN=sensor,'))).to.deep.equal({ total: 1, ids: ['x509-cert/CN=sensor,O=ACME'] });
        expect(await found(byAuthId('nobody'))).to.deep.equal({ total: 0, ids: [] });
      });

      it('pages with offset and count, total counting the whole range', async function () {
        expect(await found(byAuthId(''), 0, 2)).to.deep.equal({ total: 6, ids: ['x509-cert/CN=sensor,O=ACME', 'hashed-password/sensor-1'] });
        expect(await found(byAuthId(''), 4, 2)).to.deep.equal({ total: 6, ids: ['hashed-password/sensor-2', 'psk/ünïcödé'] });
        expect(await found(byAuthId(''), 6, 2)).to.deep.equal({ total: 6, ids: [] });
      // After a member: the page starts behind it, the total still counts the whole range.
      const [, second] = (await store().searchCredentials(T, byAuthId(''), 0, 2)).entries;
      expect(await found(byAuthId(''), 0, 2, second?.member)).to.deep.equal({ total: 6, ids: ['psk/sensor-1', 'psk/sensor-10'] });
      });

      it('follows every write: legacy add, update, delete, delete of a device, deny, provisioning, import and set replacement', async function () {
        await store().addCredentials(T, 'psk', 'added', 'd1', credJson('d1', 'psk', 'added'));
        await store().updateCredentials(T, 'psk', 'added', 'd2', credJson('d2', 'psk', 'added'));
        expect((await found(byAuthId('added'))).ids).to.deep.equal(['psk/added']);
        await store().deleteCredentials(T, 'psk', 'added');
        await store().deleteDeviceCredentials(T, 'd1');
        await store().denyDevice(T, 'd2', 'tok_test', '2024-05-01T12:00:00.000Z');
        expect(await found(byAuthId(''))).to.deep.equal({ total: 0, ids: [] });
        await store().provisionDevice(T, 'p1', deviceJson('p1'), 'x509-cert', 'CN=p1', credJson('p1', 'x509-cert', 'CN=p1'), -1);
        await store().importDevices(T, [{ deviceId: 'i1', json: deviceJson('i1'), credentials: [{ type: 'psk', authId: 'imported', json: credJson('i1', 'psk', 'imported') }] }], false);
        expect((await found(byAuthId(''))).ids).to.deep.equal(['x509-cert/CN=p1', 'psk/imported']);
        await replace('i1', [record('i1', 'rpk', 'imported')]);
        expect((await found(byAuthId(''))).ids).to.deep.equal(['x509-cert/CN=p1', 'rpk/imported']);
        expect((await found(byType('psk'))).ids).to.deep.equal([]);
      });

      it('answers NOT_FOUND naming an unknown tenant', async function () {
        await expectRegistryError(store().searchCredentials('nope', byAuthId(''), 0, 10), 'NOT_FOUND', /tenant "nope"/);
      });
    });
  });
}
