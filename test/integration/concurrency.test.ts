/**
 * Races (issue 6, docs/reliability.md): N concurrent creates of one tenant, device or (type,
 * auth-id) give exactly one 201 and N-1 409; concurrent updates and deletes leave a consistent
 * store (`device-registry check` finds nothing) in one of the states a serial order explains.
 */
import { expect } from 'chai';
import { sharedRedis } from '../helpers/root-hooks.js';
import { http, startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { runCli } from '../helpers/cli.js';
import type { TestRedis } from '../helpers/redis-server.js';

const N = 24;

describe('concurrency', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let registry: TestRegistry;
  let base: string;

  const all = (count: number, request: (i: number) => Promise<{ status: number }>) => Promise.all(Array.from({ length: count }, (_, i) => request(i).then((r) => r.status)));
  const tally = (statuses: number[]) => statuses.reduce<Record<number, number>>((t, s) => ({ ...t, [s]: (t[s] ?? 0) + 1 }), {});
  const cred = (device: string, authId: string) => ({
    'device-id': device, type: 'hashed-password', 'auth-id': authId, secrets: [{ 'hash-function': 'sha-256', 'pwd-hash': Buffer.alloc(32, 3).toString('base64') }],
  });

  before(async () => {
    redis = await sharedRedis();
  });
  beforeEach(async () => {
    await redis.command('FLUSHALL');
    registry = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url });
    base = registry.base;
    expect((await http(base, 'POST', '/tenant', { 'tenant-id': 'race' })).status).to.equal(201);
  });
  afterEach(async () => {
    const check = await runCli(redis.url, 'check');
    await registry.stop();
    expect(check.stdout.trim(), 'device-registry check after the race').to.equal('0 finding(s)');
  });

  it(`${N} concurrent creates of one tenant: exactly one 201, the rest 409`, async function () {
    expect(tally(await all(N, () => http(base, 'POST', '/tenant', { 'tenant-id': 'same' })))).to.deep.equal({ 201: 1, 409: N - 1 });
  });

  it(`${N} concurrent creates of one device: exactly one 201, the rest 409`, async function () {
    expect(tally(await all(N, (i) => http(base, 'POST', '/registration/race', { 'device-id': 'same', n: i })))).to.deep.equal({ 201: 1, 409: N - 1 });
  });

  it(`${N} concurrent creates of one (type, auth-id), for different devices: exactly one 201, the rest 409`, async function () {
    expect(tally(await all(N, (i) => http(base, 'POST', '/credentials/race', cred(`dev-${i}`, 'same'))))).to.deep.equal({ 201: 1, 409: N - 1 });
    const winner = (await http(base, 'GET', '/credentials/race/same/hashed-password')).json as { 'device-id': string };
    expect((await http(base, 'GET', `/credentials/race/${winner['device-id']}`)).json).to.have.property('total', 1);
  });

  it(`${N} concurrent deletes of one tenant: exactly one 204, the rest 404`, async function () {
    expect(tally(await all(N, () => http(base, 'DELETE', '/tenant/race')))).to.deep.equal({ 204: 1, 404: N - 1 });
  });

  it('concurrent updates and deletes of one device: each 204 or 404, and the device ends up denied', async function () {
    expect((await http(base, 'POST', '/registration/race', { 'device-id': 'd' })).status).to.equal(201);
    const statuses = await all(N, (i) => (i % 4 === 0 ? http(base, 'DELETE', '/registration/race/d') : http(base, 'PUT', '/registration/race/d', { n: i })));
    expect(statuses.every((s) => s === 204 || s === 404), String(statuses)).to.equal(true);
    expect(statuses.filter((s, i) => i % 4 === 0 && s === 204)).to.have.length(1);
    expect((await http(base, 'GET', '/registration/race/d')).status).to.equal(404);
    expect((await http(base, 'GET', '/denied-devices/race')).json).to.deep.equal(['d']);
  });

  it('concurrent credential updates that move the record between devices, and deletes: the index follows the record', async function () {
    expect((await http(base, 'POST', '/credentials/race', cred('a', 'x'))).status).to.equal(201);
    const statuses = await all(N, (i) =>
      i === N - 1 ? http(base, 'DELETE', '/credentials/race/x/hashed-password') : http(base, 'PUT', '/credentials/race/x/hashed-password', cred(i % 2 === 0 ? 'a' : 'b', 'x')));
    expect(statuses.every((s) => s === 204 || s === 404), String(statuses)).to.equal(true);
    // The delete took effect at some point, after which every update is 404: no device lists the record.
    expect((await http(base, 'GET', '/credentials/race/x/hashed-password')).status).to.equal(404);
    expect((await http(base, 'GET', '/credentials/race/a')).status).to.equal(404);
    expect((await http(base, 'GET', '/credentials/race/b')).status).to.equal(404);
  });

  it('a device deletion racing credential additions and updates for it leaves no credentials of a denied device', async function () {
    expect((await http(base, 'POST', '/registration/race', { 'device-id': 'd' })).status).to.equal(201);
    const statuses = await all(N, (i) => (i === N / 2 ? http(base, 'DELETE', '/registration/race/d') : http(base, 'POST', '/credentials/race', cred('d', `k${i}`))));
    expect(statuses.every((s) => s === 201 || s === 204 || s === 409), String(statuses)).to.equal(true);
    expect((await http(base, 'GET', '/credentials/race/d')).status).to.equal(404);
  });

  it('a tenant deletion racing device and credential creations in it leaves no data of the tenant', async function () {
    const statuses = await all(N, (i) =>
      i === N / 2 ? http(base, 'DELETE', '/tenant/race') : i % 2 === 0 ? http(base, 'POST', '/registration/race', { 'device-id': `d${i}` }) : http(base, 'POST', '/credentials/race', cred(`d${i}`, `k${i}`)));
    expect(statuses.every((s) => s === 201 || s === 204 || s === 404), String(statuses)).to.equal(true);
    expect((await http(base, 'POST', '/tenant', { 'tenant-id': 'race' })).status).to.equal(201);
    expect((await http(base, 'GET', '/credentials/race/d1')).status).to.equal(404);
    expect((await http(base, 'GET', '/registration/race/d0')).status).to.equal(404);
  });

  it('concurrent restores and purges of one denied device: exactly one succeeds', async function () {
    expect((await http(base, 'POST', '/registration/race', { 'device-id': 'd' })).status).to.equal(201);
    expect((await http(base, 'DELETE', '/registration/race/d')).status).to.equal(204);
    const statuses = await all(N, (i) => http(base, 'DELETE', `/denied-devices/race/d${i % 2 === 0 ? '' : '?purge=true'}`));
    expect(tally(statuses)).to.deep.equal({ 204: 1, 404: N - 1 });
  });
});
