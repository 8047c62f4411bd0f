/**
 * What the console's overview reads (GET /overview, docs/console.md): this instance's AMQP lookups
 * per second and their latency, sampled every REGISTRY_CONSOLE_SAMPLE_SECONDS; whether Redis
 * answers and what it is; the number of tenants for a caller that may read them all.
 */
import { expect } from 'chai';
import { openClient, type AmqpClient } from '../../helpers/amqp-client.js';
import { eventually } from '../../helpers/eventually.js';
import { startTestRedis } from '../../helpers/redis-server.js';
import { http, startTestRegistry, type TestRegistry } from '../../helpers/registry.js';
import { BOOTSTRAP, bearer, expectJsonError, flushRedis, mint, startTokenRegistry, type Json } from '../../helpers/security.js';

interface Sample { readonly time: string; readonly 'per-second': number; readonly 'p50-ms': number | null; readonly 'p99-ms': number | null }
interface Overview { lookups: { 'interval-seconds': number; samples: Sample[] }; redis: Json; tenants?: number }

describe('the console overview (GET /overview)', function () {
  this.timeout(30_000);
  let registry: TestRegistry;
  let client: AmqpClient;
  const overview = async (token = BOOTSTRAP) => {
    const res = await http(registry.base, 'GET', '/overview', undefined, bearer(token));
    expect(res.status, res.text).to.equal(200);
    return res.json as Overview;
  };

  before(async function () {
    await flushRedis();
    registry = await startTokenRegistry({ REGISTRY_CONSOLE_SAMPLE_SECONDS: '1', REGISTRY_AMQP_ANONYMOUS: 'true' });
    client = await openClient({ port: registry.registry.amqpPort, anonymous: true });
  });

  after(async function () {
    await client?.close();
    await registry?.stop();
    await flushRedis();
  });

  it('charts the lookups this instance answered: per second, median and 99th percentile latency', async function () {
    expect((await overview()).lookups['interval-seconds']).to.equal(1);
    const answered = async () => {
      for (let i = 0; i < 20; i++) expect((await client.request('tenant', { subject: 'get', body: { 'tenant-id': 'DEFAULT_TENANT' } })).status).to.equal(200);
    };
    await answered();
    const busy = await eventually('a sample with the lookups', async () => {
      await answered();
      const found = (await overview()).lookups.samples.find((s) => s['per-second'] > 0);
      expect(found).to.not.equal(undefined);
      return found as Sample;
    });
    expect(busy['p50-ms']).to.be.a('number').above(0);
    expect(busy['p99-ms']).to.be.a('number').at.least(busy['p50-ms'] as number);
    expect(Number.isFinite(Date.parse(busy.time))).to.equal(true);
  });

  it('reports Redis up with its version, and the tenants to a caller that may read them all', async function () {
    await http(registry.base, 'POST', '/tenant', { 'tenant-id': 'overview-t1' }, bearer(BOOTSTRAP));
    const all = await overview();
    expect(all.redis).to.include({ status: 'up', mode: 'standalone', masters: 1 });
    expect(all.redis.version).to.match(/^\d+\.\d+/);
    expect(all.redis['used-memory-bytes']).to.be.above(0);
    expect(all.tenants).to.equal(2);
    const restricted = await mint(registry.base, BOOTSTRAP, { scopes: ['tenants:read'], tenants: ['overview-t1'] });
    expect(await overview(restricted.token)).to.not.have.property('tenants');
    const noTenantScope = await mint(registry.base, BOOTSTRAP, { scopes: ['audit:read'], tenants: ['*'] });
    expect(await overview(noTenantScope.token)).to.not.have.property('tenants');
  });

  it('needs a token or session', async function () {
    expectJsonError(await http(registry.base, 'GET', '/overview'), 401);
  });

  it('reports Redis down, without details of the connection, while it does not answer', async function () {
    const redis = await startTestRedis();
    const own = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url, REGISTRY_REDIS_COMMAND_TIMEOUT_MS: '500' });
    try {
      expect(((await http(own.base, 'GET', '/overview')).json as Overview).redis.status).to.equal('up');
      await redis.stop();
      const res = await http(own.base, 'GET', '/overview');
      expect(res.status, res.text).to.equal(200);
      expect((res.json as Overview).redis).to.deep.equal({ status: 'down', error: 'Redis is unavailable' });
      expect(res.json).to.not.have.property('tenants');
    } finally {
      await own.stop();
      await redis.destroy();
    }
  });
});
