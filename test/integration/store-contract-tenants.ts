/**
 * The part of the Store contract about tenant aliases, trust-anchor groups and tenant versions
 * (If-Match checked in the write's own atomic step), run by storeContract on every backend.
 */
import { expect } from 'chai';
import type { RegistryError } from '../../src/errors.js';
import { versionOf } from '../../src/model/version.js';
import type { Store } from '../../src/store/store.js';
import { expectRegistryError, tenantJson } from './store-contract.js';

export function tenantIndexesContract(store: () => Store): void {
  describe('tenant aliases', function () {
    it('finds a tenant by its alias; an alias is unique, follows updates and is released by a deletion', async function () {
      const t1 = tenantJson('t1', { alias: 'one' });
      await store().createTenant('t1', t1, [], { alias: 'one' });
      expect(await store().getTenantByAlias('one')).to.equal(t1);
      expect(await store().getTenantByAlias('two')).to.equal(null);
      await expectRegistryError(store().createTenant('t2', tenantJson('t2'), [], { alias: 'one' }), 'CONFLICT', /alias/);
      expect(await store().getTenant('t2')).to.equal(null);

      await store().createTenant('t2', tenantJson('t2'), [], { alias: 'two' });
      await expectRegistryError(store().updateTenant('t2', tenantJson('t2', { v: 2 }), [], { alias: 'one' }), 'CONFLICT', /alias/);
      expect(await store().getTenant('t2')).to.equal(tenantJson('t2'));
      expect(await store().getTenantByAlias('two')).to.equal(tenantJson('t2'));

      await store().updateTenant('t1', tenantJson('t1', { alias: 'uno' }), [], { alias: 'uno' });
      expect(await store().getTenantByAlias('one')).to.equal(null);
      await store().updateTenant('t2', tenantJson('t2', { alias: 'one' }), [], { alias: 'one' });
      expect(await store().getTenantByAlias('one')).to.equal(tenantJson('t2', { alias: 'one' }));
      await store().updateTenant('t2', tenantJson('t2'), []);
      expect(await store().getTenantByAlias('one')).to.equal(null);
      await store().deleteTenant('t1');
      expect(await store().getTenantByAlias('uno')).to.equal(null);
      await store().createTenant('t3', tenantJson('t3'), [], { alias: 'uno' });
    });

    it('20 parallel creations with one alias: exactly one succeeds', async function () {
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store().createTenant(`p${i}`, tenantJson(`p${i}`), [], { alias: 'same' })));
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.lengthOf(1);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as RegistryError).code).to.equal('CONFLICT');
    });
  });

  describe('trust-anchor groups', function () {
    const inGroup = (id: string, group: string) => tenantJson(id, { 'trust-anchor-group': group });

    it('tenants of one group share a CA DN; a lookup by that DN then finds none; tenants of another group or none may not share it', async function () {
      await store().createTenant('t1', inGroup('t1', 'g'), ['CN=ca'], { group: 'g' });
      await store().createTenant('t2', inGroup('t2', 'g'), ['CN=ca', 'CN=own'], { group: 'g' });
      expect(await store().getTenantByCa('CN=ca')).to.equal(null);
      expect(await store().getTenantByCa('CN=own')).to.equal(inGroup('t2', 'g'));
      await store().createTenant('t3', inGroup('t3', 'g'), ['CN=ca'], { group: 'g' });
      await expectRegistryError(store().createTenant('t4', tenantJson('t4'), ['CN=ca']), 'CONFLICT', /subject DN/);
      await expectRegistryError(store().createTenant('t4', inGroup('t4', 'h'), ['CN=ca'], { group: 'h' }), 'CONFLICT', /subject DN/);
      expect(await store().getTenant('t4')).to.equal(null);

      // A member leaving the group while keeping the DN conflicts with the others, and changes nothing.
      await expectRegistryError(store().updateTenant('t1', inGroup('t1', 'h'), ['CN=ca'], { group: 'h' }), 'CONFLICT');
      expect(await store().getTenant('t1')).to.equal(inGroup('t1', 'g'));

      await store().deleteTenant('t2');
      await store().updateTenant('t3', inGroup('t3', 'g'), []);
      expect(await store().getTenantByCa('CN=ca')).to.equal(inGroup('t1', 'g'));
      expect(await store().getTenantByCa('CN=own')).to.equal(null);
      // Alone with the DN again, t1 may leave the group.
      await store().updateTenant('t1', tenantJson('t1'), ['CN=ca']);
      await expectRegistryError(store().createTenant('t5', inGroup('t5', 'g'), ['CN=ca'], { group: 'g' }), 'CONFLICT');
    });

    it('a tenant without a group keeps its DN to itself', async function () {
      await store().createTenant('t1', tenantJson('t1'), ['CN=ca']);
      await expectRegistryError(store().createTenant('t2', inGroup('t2', 'g'), ['CN=ca'], { group: 'g' }), 'CONFLICT');
      expect(await store().getTenantByCa('CN=ca')).to.equal(tenantJson('t1'));
    });
  });

  describe('tenant versions (If-Match)', function () {
    it('updates and deletes only when the stored version is one of If-Match (or *); a mismatch changes nothing', async function () {
      const v1 = tenantJson('t1', { v: 1 });
      await store().createTenant('t1', v1, ['CN=ca'], { alias: 'a' });
      await expectRegistryError(store().updateTenant('t1', tenantJson('t1', { v: 2 }), [], { ifMatch: '0123456789abcdef' }), 'PRECONDITION_FAILED', /version mismatch/);
      expect(await store().getTenant('t1')).to.equal(v1);
      expect(await store().getTenantByCa('CN=ca')).to.equal(v1);
      expect(await store().getTenantByAlias('a')).to.equal(v1);

      const v2 = tenantJson('t1', { v: 2 });
      await store().updateTenant('t1', v2, ['CN=ca'], { alias: 'a', ifMatch: `0123456789abcdef,${versionOf(v1)}` });
      expect(await store().getTenant('t1')).to.equal(v2);
      await store().updateTenant('t1', v1, ['CN=ca'], { alias: 'a', ifMatch: '*' });

      await expectRegistryError(store().deleteTenant('t1', { ifMatch: versionOf(v2) }), 'PRECONDITION_FAILED');
      expect(await store().getTenant('t1')).to.equal(v1);
      await store().deleteTenant('t1', { ifMatch: versionOf(v1) });
      expect(await store().getTenant('t1')).to.equal(null);
    });

    it('answers NOT_FOUND, not PRECONDITION_FAILED, for an unknown tenant with If-Match', async function () {
      await expectRegistryError(store().updateTenant('nope', tenantJson('nope'), [], { ifMatch: '*' }), 'NOT_FOUND');
      await expectRegistryError(store().deleteTenant('nope', { ifMatch: '0123456789abcdef' }), 'NOT_FOUND');
    });

    it('two racing updates with the same If-Match: exactly one succeeds, the other is PRECONDITION_FAILED', async function () {
      const v1 = tenantJson('t1');
      await store().createTenant('t1', v1, []);
      const results = await Promise.allSettled(['a', 'b'].map((w) => store().updateTenant('t1', tenantJson('t1', { w }), [], { ifMatch: versionOf(v1) })));
      expect(results.filter((r) => r.status === 'fulfilled')).to.have.lengthOf(1);
      const failed = results.find((r) => r.status === 'rejected');
      expect(((failed as PromiseRejectedResult).reason as RegistryError).code).to.equal('PRECONDITION_FAILED');
    });
  });
}
