/**
 * `device-registry check` (docs/reliability.md): a store the registry wrote has no findings; every
 * kind of damage written into Redis by hand is found, counted and, with --fix, repaired.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { sharedRedis } from '../../helpers/root-hooks.js';
import { http, startTestRegistry, type TestRegistry } from '../../helpers/registry.js';
import type { TestRedis } from '../../helpers/redis-server.js';
import { keys } from '../../../src/store/keys.js';
import { CLI, runCli } from '../../helpers/cli.js';

describe('device-registry check', function () {
  this.timeout(30_000);
  let redis: TestRedis;
  let registry: TestRegistry;
  const cred = (device: string, authId: string) => ({
    'device-id': device, type: 'hashed-password', 'auth-id': authId, secrets: [{ 'hash-function': 'sha-256', 'pwd-hash': Buffer.alloc(32, 1).toString('base64') }],
  });

  before(async function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`make build\` first (make test does)`);
    redis = await sharedRedis();
  });

  beforeEach(async function () {
    await redis.command('FLUSHALL');
    registry = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url });
    const b = registry.base;
    for (const tenant of ['t1', 'we{ir}d:*/ü']) {
      expect((await http(b, 'POST', '/tenant', { 'tenant-id': tenant })).status).to.equal(201);
      const t = encodeURIComponent(tenant);
      for (const d of ['d1', 'd2', 'gone']) expect((await http(b, 'POST', `/registration/${t}`, { 'device-id': d })).status).to.equal(201);
      expect((await http(b, 'POST', `/credentials/${t}`, cred('d1', 'a1'))).status).to.equal(201);
      expect((await http(b, 'POST', `/credentials/${t}`, cred('d1', 'a2'))).status).to.equal(201);
      expect((await http(b, 'POST', `/credentials/${t}`, cred('gone', 'a3'))).status).to.equal(201);
      expect((await http(b, 'DELETE', `/registration/${t}/gone`)).status).to.equal(204);
      expect((await http(b, 'PUT', `/registration/${t}/d2`, { ep: 'x' })).status).to.equal(204);
    }
    expect((await http(b, 'POST', '/tenant', { 'tenant-id': 'doomed' })).status).to.equal(201);
    expect((await http(b, 'POST', '/registration/doomed', { 'device-id': 'd' })).status).to.equal(201);
    expect((await http(b, 'DELETE', '/tenant/doomed')).status).to.equal(204);
  });

  afterEach(() => registry.stop());

  it('prints its usage with --help', async function () {
    const result = await runCli(redis.url, 'check', '--help');
    expect(result.code).to.equal(0);
    expect(result.stdout).to.match(/^usage: device-registry check \[--fix\]/);
  });

  it('finds nothing in a store written by the registry and exits 0', async function () {
    const result = await runCli(redis.url, 'check');
    expect(result.stdout.trim(), result.stderr).to.equal('0 finding(s)');
    expect(result.code).to.equal(0);
  });

  it('finds every kind of damage, counts it by kind, exits 1, and --fix repairs all that has a repair', async function () {
    const damage = [
      `HDEL ${keys.deviceCredentials('t1')} d1`, // credentials a1, a2 no longer indexed
      `HSET ${keys.deviceCredentials('t1')} d2 '["hashed-password:nobody"]'`, // index entry without record
      `HSET ${keys.devices('ghost')} d '{}'`, // data of a tenant that does not exist
      `SET ${keys.tenantMarker('ghost2')} 1`, // marker without tenant
      `HSET ${keys.tenantsDeleting()} ghost3 '{}'`, // an unfinished deletion
      `HSET ${keys.devices('ghost3')} d '{}'`,
      `ZREM ${keys.deniedIndex('t1')} gone`, // denied list out of step with its paging index
      `HSET ${keys.deniedIdentities('t1')} 'hashed-password:x' d2`, // identity reserved by a device that is not denied
      `HSET ${keys.caIndex()} 'cn=ca' t1`, // CA index entry the tenant does not list
      `ZREM ${keys.credentialsSearch('t1')} "a\\x00a1\\x00hashed-password"`, // credentials a1 not found by a search for their auth-id
      `ZADD ${keys.credentialsSearch('t1')} 0 "t\\x00psk\\x00ghost"`, // a search entry without credentials
      `DEL ${keys.tenantMarker('t1')}`, // tenant without marker
      'SET stray-key 1', // outside the layout
      `ZREM ${keys.deviceIds('t1')} d1`, // a live device missing from the search indexes
      `ZADD ${keys.deviceIds('t1')} 0 phantom`, // the search indexes list a device that is not live
    ];
    for (const line of damage) expect(await redis.command(line), line).to.not.match(/^-/);

    const found = await runCli(redis.url, 'check', '--json');
    expect(found.code, found.stderr).to.equal(1);
    const report = JSON.parse(found.stdout) as { total: number; counts: Record<string, number> };
    expect(report.counts).to.deep.equal({
      'unknown-key': 1, 'tenant-without-marker': 1, 'tenant-deletion-unfinished': 1, 'marker-without-tenant': 1, 'data-without-tenant': 1,
      'ca-index-dangling': 1, 'credentials-not-indexed': 2, 'index-entry-dangling': 1, 'denied-index-mismatch': 1, 'denied-identity-dangling': 1,
      'device-not-indexed': 1, 'device-index-dangling': 1, 'credentials-search-mismatch': 2,
    });
    expect(report.total).to.equal(15);

    const text = await runCli(redis.url, 'check');
    expect(text.code).to.equal(1);
    expect(text.stdout).to.include('credentials-not-indexed\t"t1"').and.include('15 finding(s): ');

    const fixed = await runCli(redis.url, 'check', '--fix');
    expect(fixed.code).to.equal(1);
    expect(fixed.stdout).to.include('repaired 13').and.match(/^unknown-key\t-\t"stray-key" .*\(no automatic repair\)$/m).and.include('2 finding(s): ');
    expect(fixed.stdout).to.match(/^device-index-dangling\t"t1"\t.*\(no automatic repair\)$/m);
    await redis.command('DEL stray-key');
    await redis.command(`ZREM ${keys.deviceIds('t1')} phantom`);
    expect((await runCli(redis.url, 'check')).stdout.trim()).to.equal('0 finding(s)');

    // The repaired store serves as before.
    expect((await http(registry.base, 'GET', '/credentials/t1/d1')).json).to.have.property('total', 2);
    expect((await http(registry.base, 'POST', '/registration/t1', { 'device-id': 'd3' })).status).to.equal(201);
    expect((await http(registry.base, 'GET', '/denied-devices/t1')).json).to.deep.equal(['gone']);
  });

  it('finds and repairs the tenant alias index and the CA DNs shared in a trust-anchor group when out of step', async function () {
    const b = registry.base;
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const ca = { 'subject-dn': 'CN=shared', 'public-key': key, algorithm: 'EC' };
    for (const t of ['g1', 'g2']) {
      const created = await http(b, 'POST', '/tenant', { 'tenant-id': t, 'trust-anchor-group': 'g', alias: `alias-${t}`, 'trusted-ca': ca });
      expect(created.status, JSON.stringify(created.json)).to.equal(201);
    }
    expect((await runCli(redis.url, 'check')).stdout.trim()).to.equal('0 finding(s)');
    const damage = [
      `HDEL ${keys.tenantAliases()} alias-g1`, // a tenant's alias not indexed
      `HSET ${keys.tenantAliases()} ghost-alias g2`, // an alias the tenant does not have
      `HSET ${keys.caShared()} CN=shared '["g1","g2","ghost"]'`, // a shared DN listing a tenant that does not exist
    ];
    for (const line of damage) expect(await redis.command(line), line).to.not.match(/^-/);

    const found = await runCli(redis.url, 'check', '--json');
    expect((JSON.parse(found.stdout) as { counts: Record<string, number> }).counts).to.deep.equal({ 'alias-index-missing': 1, 'alias-index-dangling': 1, 'ca-index-dangling': 1 });
    const fixed = await runCli(redis.url, 'check', '--fix');
    expect(fixed.stdout).to.include('repaired 3');
    expect((await runCli(redis.url, 'check')).stdout.trim()).to.equal('0 finding(s)');
    // The repaired alias is taken again.
    expect((await http(b, 'POST', '/tenant', { 'tenant-id': 'g3', alias: 'alias-g1' })).status).to.equal(409);
  });
});
