/**
 * The HTTP management API while its Redis is down: every request answers 503 with a JSON error
 * (no driver details) instead of hanging (the answers come while Redis stays down), and the
 * registry recovers by itself once Redis is back.
 * Uses a private redis-server (with an append-only file, so data survives its restarts).
 */
import { expect } from 'chai';
import { http, startTestRegistry, type HttpResult, type TestRegistry } from '../../helpers/registry.js';
import { eventually } from '../../helpers/eventually.js';
import { connectionAttempt, startTestRedis, type TestRedis } from '../../helpers/redis-server.js';
import { expectCreated, expectError, expectOk } from './support.js';

describe('HTTP while Redis is down', function () {
  this.timeout(30_000);
  let redis: TestRedis | undefined;
  let registry: TestRegistry | undefined;
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);

  before(async function () {
    process.on('unhandledRejection', onRejection);
    redis = await startTestRedis(['--appendonly', 'yes']);
    registry = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url, REGISTRY_REDIS_COMMAND_TIMEOUT_MS: '1000' });
  });

  after(async function () {
    await registry?.stop();
    await redis?.destroy();
    process.off('unhandledRejection', onRejection);
  });

  const base = () => (registry as TestRegistry).base;
  const call = (method: string, path: string, body?: unknown) => http(base(), method, path, body);

  /** A 503 with a JSON error that names no driver or connection details. */
  function expectUnavailable(res: HttpResult): void {
    expectError(res, 503);
    const redisPort = String((redis as TestRedis).port);
    for (const detail of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ioredis', 'enableOfflineQueue', 'Stream isn', 'Connection is closed', 'Command timed out', redisPort, '127.0.0.1', '    at ']) {
      expect(res.text, `the error body leaks "${detail}"`).to.not.include(detail);
    }
  }

  /** Waits until GET /tenant/DEFAULT_TENANT answers 200 again. */
  function recovery(): Promise<void> {
    return eventually('the registry answering again', async () => {
      const res = await call('GET', '/tenant/DEFAULT_TENANT');
      expect(res.status, res.text).to.equal(200);
    });
  }

  /** The requests that must answer 503 during an outage. */
  async function expectAllUnavailable(): Promise<void> {
    expectUnavailable(await call('GET', '/tenant/DEFAULT_TENANT'));
    expectUnavailable(await call('POST', '/tenant', { 'tenant-id': 'during-outage' }));
    expectUnavailable(await call('POST', '/registration/DEFAULT_TENANT', { 'device-id': 'during-outage' }));
    expectUnavailable(await call('GET', '/registration/DEFAULT_TENANT/4711'));
    expectUnavailable(await call('POST', '/credentials/DEFAULT_TENANT', {
      'device-id': '4711', type: 'hashed-password', 'auth-id': 'during-outage', secrets: [{ 'pwd-plain': 'secret' }],
    }));
    expectUnavailable(await call('GET', '/credentials/DEFAULT_TENANT/4711'));
    expectUnavailable(await call('PUT', '/tenant/tenant-before', { enabled: false }));
    expectUnavailable(await call('DELETE', '/registration/DEFAULT_TENANT/4711'));
  }

  it('serves requests while Redis is up', async function () {
    expect(expectOk(await call('GET', '/tenant/DEFAULT_TENANT'))['tenant-id']).to.equal('DEFAULT_TENANT');
    expectCreated(await call('POST', '/tenant', { 'tenant-id': 'tenant-before' }), '/tenant/tenant-before');
    expectCreated(await call('POST', '/registration/DEFAULT_TENANT', { 'device-id': '4711' }));
  });

  it('answers GET /tenant/DEFAULT_TENANT with 503 and a JSON error once Redis is stopped', async function () {
    await (redis as TestRedis).stop();
    expectUnavailable(await call('GET', '/tenant/DEFAULT_TENANT'));
  });

  it('answers a POST with 503 and a JSON error while Redis is stopped', async function () {
    expectUnavailable(await call('POST', '/tenant', { 'tenant-id': 'during-outage' }));
  });

  it('answers every kind of request with 503 while Redis is stopped, also after the registry tried to reconnect', async function () {
    await expectAllUnavailable();
    await connectionAttempt((redis as TestRedis).port);
    await expectAllUnavailable();
  });

  it('still answers 400 and 404 that need no Redis while Redis is stopped', async function () {
    expectError(await call('POST', '/tenant', '[]'), 400);
    expectError(await call('GET', '/nope'), 404);
  });

  it('answers requests again by itself after Redis restarts, with the data kept', async function () {
    await (redis as TestRedis).restart();
    await recovery();
    expect(expectOk(await call('GET', '/tenant/tenant-before'))['tenant-id']).to.equal('tenant-before');
    expectOk(await call('GET', '/registration/DEFAULT_TENANT/4711'));
    expectError(await call('GET', '/tenant/during-outage'), 404);
    expectCreated(await call('POST', '/tenant', { 'tenant-id': 'tenant-after' }), '/tenant/tenant-after');
    expectCreated(await call('POST', '/credentials/tenant-after', {
      'device-id': 'd', type: 'hashed-password', 'auth-id': 'a', secrets: [{ 'pwd-plain': 'secret' }],
    }));
    expectOk(await call('GET', '/credentials/tenant-after/d'));
  });

  it('answers 503 after Redis is killed and recovers after it restarts', async function () {
    await (redis as TestRedis).stop(true);
    expectUnavailable(await call('GET', '/tenant/DEFAULT_TENANT'));
    expectUnavailable(await call('POST', '/tenant', { 'tenant-id': 'during-kill' }));
    await (redis as TestRedis).restart();
    await recovery();
    expectCreated(await call('POST', '/tenant', { 'tenant-id': 'after-kill' }));
  });

  it('did not crash: the process answers and saw no unhandled rejection', async function () {
    expectOk(await call('GET', '/tenant/DEFAULT_TENANT'));
    expect(rejections.map(String)).to.deep.equal([]);
    const fatal = (registry as TestRegistry).logs.filter((line) => /"level":60/.test(line));
    expect(fatal).to.deep.equal([]);
  });
});
