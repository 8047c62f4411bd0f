/**
 * The tenant service's registration-limits accessor (Hono's `registration-limits`), which the
 * device and credentials writes ask before refusing with 403, on a real Redis.
 */
import { expect } from 'chai';
import { createLogger } from '../../src/log.js';
import { createTenantService } from '../../src/service/tenants.js';
import { connectRedis, createRedisStore } from '../../src/store/redis.js';
import type { Store } from '../../src/store/store.js';
import { sharedRedis } from '../helpers/root-hooks.js';
import { expectRegistryError } from './store-contract.js';

describe('tenant service: registration limits', function () {
  let store: Store;

  before(async function () {
    const redis = await sharedRedis();
    store = createRedisStore(await connectRedis(redis.url, 1000, createLogger('silent')));
  });
  beforeEach(async function () {
    const redis = await sharedRedis();
    expect(await redis.command('FLUSHALL')).to.equal('+OK');
  });
  after(() => store?.close());

  it('answers the limits a tenant sets, -1 where it sets none, and follows updates', async function () {
    const tenants = createTenantService(store);
    await tenants.create({ 'tenant-id': 'limited', 'registration-limits': { 'max-devices': 2 } });
    expect(await tenants.registrationLimits('limited')).to.deep.equal({ 'max-devices': 2, 'max-credentials-per-device': -1 });
    await tenants.update('limited', { 'registration-limits': { 'max-credentials-per-device': 3 } });
    expect(await tenants.registrationLimits('limited')).to.deep.equal({ 'max-devices': -1, 'max-credentials-per-device': 3 });
    await tenants.create({ 'tenant-id': 'free' });
    expect(await tenants.registrationLimits('free')).to.deep.equal({ 'max-devices': -1, 'max-credentials-per-device': -1 });
  });

  it('answers NOT_FOUND for an unknown tenant, and refuses limits below -1 with BAD_REQUEST', async function () {
    const tenants = createTenantService(store);
    await expectRegistryError(tenants.registrationLimits('nope'), 'NOT_FOUND', /nope/);
    await expectRegistryError(tenants.create({ 'tenant-id': 'bad', 'registration-limits': { 'max-devices': -2 } }), 'BAD_REQUEST', /max-devices/);
  });
});
