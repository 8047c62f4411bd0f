/**
 * Two registry instances on one Redis Cluster: a change made through one is seen at once through
 * the other, on the HTTP face and the AMQP face, and the bad-authentication limiter counts the
 * failures made at both.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { openClient, type AmqpClient } from '../helpers/amqp-client.js';
import { http, startTestRegistry, type HttpResult, type TestRegistry } from '../helpers/registry.js';
import { sharedStore } from '../helpers/root-hooks.js';
import { requestFrom } from '../helpers/security.js';
import { ADAPTER_AND_ADMIN, ADAPTER_USER, accountsFileText, expectAnswer, tempFile } from '../integration/amqp/support.js';

const BOOTSTRAP = 'two-instances-bootstrap-token-0123456789abcdef';
const PEPPER = 'two-instances-pepper-0123456789abcdef0123456789';
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
const ADAPTER_PASSWORD = ADAPTER_AND_ADMIN[ADAPTER_USER]?.password as string;

describe('two registry instances on one Redis Cluster', function () {
  this.timeout(60_000);
  let a: TestRegistry;
  let b: TestRegistry;
  let amqpA: AmqpClient;
  let amqpB: AmqpClient;
  let accounts: { path: string; remove(): void };

  /** A management request with the bootstrap token. */
  const call = (r: TestRegistry, method: string, path: string, body?: unknown): Promise<HttpResult> => http(r.base, method, path, body, auth(BOOTSTRAP));
  const expectStatus = async (res: Promise<HttpResult>, status: number) => {
    const r = await res;
    expect(r.status, r.text).to.equal(status);
    return r;
  };
  const assert = (c: AmqpClient, tenant: string, device: string) =>
    c.request(`registration/${tenant}`, { subject: 'assert', applicationProperties: { device_id: device } }, { timeoutMs: 5000 });
  const credentials = (c: AmqpClient, tenant: string, authId: string) =>
    c.request(`credentials/${tenant}`, { subject: 'get', body: { type: 'psk', 'auth-id': authId } }, { timeoutMs: 5000 });
  const tenantGet = (c: AmqpClient, tenant: string) => c.request('tenant', { subject: 'get', body: { 'tenant-id': tenant } }, { timeoutMs: 5000 });

  before(async function () {
    const store = await sharedStore();
    expect(await store.command('FLUSHALL')).to.equal('+OK');
    accounts = tempFile('accounts.json', accountsFileText(ADAPTER_AND_ADMIN));
    const env = {
      ...store.env, REGISTRY_HTTP_AUTH: 'token', REGISTRY_BOOTSTRAP_TOKEN: BOOTSTRAP, REGISTRY_TOKEN_PEPPER: PEPPER,
      REGISTRY_AMQP_ACCOUNTS_FILE: accounts.path, REGISTRY_AUTH_FAILURE_LIMIT: '4', REGISTRY_AUTH_FAILURE_WINDOW_SECONDS: '60', REGISTRY_AUTH_BLOCK_SECONDS: '60',
    };
    a = await startTestRegistry(env);
    b = await startTestRegistry(env);
    amqpA = await openClient({ port: a.registry.amqpPort, username: ADAPTER_USER, password: ADAPTER_PASSWORD });
    amqpB = await openClient({ port: b.registry.amqpPort, username: ADAPTER_USER, password: ADAPTER_PASSWORD });
  });

  after(async function () {
    await amqpA?.close();
    await amqpB?.close();
    await a?.stop();
    await b?.stop();
    accounts?.remove();
  });

  it('both instances seeded one DEFAULT_TENANT and share the bootstrap token', async function () {
    await expectStatus(call(a, 'GET', '/tenant/DEFAULT_TENANT'), 200);
    await expectStatus(call(b, 'GET', '/tenant/DEFAULT_TENANT'), 200);
    await expectStatus(call(b, 'POST', '/tenant', { 'tenant-id': 'DEFAULT_TENANT' }), 409);
  });

  it('HTTP: tenants, devices and credentials written through one are read through the other at once', async function () {
    for (let i = 0; i < 6; i++) {
      const [writer, reader] = i % 2 === 0 ? [a, b] : [b, a];
      const t = `both-${i}`;
      await expectStatus(call(writer, 'POST', '/tenant', { 'tenant-id': t }), 201);
      expect((await expectStatus(call(reader, 'GET', `/tenant/${t}`), 200)).json).to.have.property('tenant-id', t);
      await expectStatus(call(reader, 'POST', `/registration/${t}`, { 'device-id': 'd1', ep: `v${i}` }), 201);
      expect((await expectStatus(call(writer, 'GET', `/registration/${t}/d1`), 200)).json).to.deep.include({ 'device-id': 'd1' });
      await expectStatus(call(writer, 'PUT', `/registration/${t}/d1`, { ep: `w${i}` }), 204);
      expect(((await expectStatus(call(reader, 'GET', `/registration/${t}/d1`), 200)).json as { data: { ep: string } }).data.ep).to.equal(`w${i}`);
      await expectStatus(call(writer, 'POST', `/credentials/${t}`, { 'device-id': 'd1', type: 'psk', 'auth-id': 'p1', secrets: [{ key: 'c2VjcmV0' }] }), 201);
      expect((await expectStatus(call(reader, 'GET', `/credentials/${t}/d1`), 200)).json).to.have.property('total', 1);
      await expectStatus(call(reader, 'DELETE', `/tenant/${t}`), 204);
      await expectStatus(call(writer, 'GET', `/tenant/${t}`), 404);
      await expectStatus(call(writer, 'GET', `/registration/${t}/d1`), 404);
    }
  });

  it('AMQP: what one instance is told over HTTP, the other answers over AMQP at once (and back)', async function () {
    const t = 'amqp-both';
    await expectStatus(call(a, 'POST', '/tenant', { 'tenant-id': t }), 201);
    expectAnswer(await tenantGet(amqpB, t), 200);
    await expectStatus(call(a, 'POST', `/registration/${t}`, { 'device-id': 'd1' }), 201);
    await expectStatus(call(a, 'POST', `/credentials/${t}`, { 'device-id': 'd1', type: 'psk', 'auth-id': 'p1', secrets: [{ key: 'c2VjcmV0' }] }), 201);
    expectAnswer(await assert(amqpB, t, 'd1'), 200);
    expect(expectAnswer(await credentials(amqpB, t, 'p1'), 200)).to.have.property('device-id', 'd1');

    // Changed through B: A's AMQP face sees the change on its next request.
    await expectStatus(call(b, 'PUT', `/tenant/${t}`, { enabled: false }), 204);
    expect(expectAnswer(await tenantGet(amqpA, t), 200)).to.have.property('enabled', false);
    await expectStatus(call(b, 'DELETE', `/credentials/${t}/d1`), 204);
    expectAnswer(await credentials(amqpA, t, 'p1'), 404);
    await expectStatus(call(b, 'DELETE', `/registration/${t}/d1`), 204);
    expectAnswer(await assert(amqpA, t, 'd1'), 404);
    // Restored from the denied list through A: B asserts it again.
    await expectStatus(call(a, 'DELETE', `/denied-devices/${t}/d1`), 204);
    expectAnswer(await assert(amqpB, t, 'd1'), 200);
    // The Device Connection API: the last gateway set through A is read through B.
    await expectStatus(call(a, 'POST', `/registration/${t}`, { 'device-id': 'gw' }), 201);
    const set = await amqpA.request(`device_con/${t}`, { subject: 'set-last-gw', applicationProperties: { device_id: 'd1', gateway_id: 'gw' } }, { timeoutMs: 5000 });
    expectAnswer(set, 204);
    const got = await amqpB.request(`device_con/${t}`, { subject: 'get-last-gw', applicationProperties: { device_id: 'd1' } }, { timeoutMs: 5000 });
    expect(expectAnswer(got, 200)).to.have.property('gateway-id', 'gw');
  });

  it('tokens: created through one instance, usable through the other; revoked through the other, refused by the first', async function () {
    const created = await expectStatus(call(a, 'POST', '/tokens', { scopes: ['tenants:read'], tenants: ['*'], 'expires-in': '1h' }), 201);
    const { token, id } = created.json as { token: string; id: string };
    await expectStatus(http(b.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, auth(token)), 200);
    await expectStatus(call(b, 'DELETE', `/tokens/${id}`), 204);
    await expectStatus(http(a.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, auth(token)), 401);
  });

  it('tokens: revoking a token through one instance revokes what it minted through both, on both at once', async function () {
    const mint = async (r: TestRegistry, by: string, scopes: string[]) =>
      (await expectStatus(http(r.base, 'POST', '/tokens', { scopes, tenants: ['*'], 'expires-in': '1h' }, auth(by)), 201)).json as { token: string; id: string };
    const root = await mint(a, BOOTSTRAP, ['tokens:create', 'tenants:read']);
    const child = await mint(b, root.token, ['tokens:create', 'tenants:read']);
    const grandchild = await mint(a, child.token, ['tenants:read']);
    for (const r of [a, b]) await expectStatus(http(r.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, auth(grandchild.token)), 200);
    await expectStatus(call(b, 'DELETE', `/tokens/${root.id}`), 204);
    for (const r of [a, b]) {
      for (const t of [root, child, grandchild]) {
        // 429 once these failures block the address: a valid token would still pass.
        const res = await http(r.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, auth(t.token));
        expect(res.status, res.text).to.be.oneOf([401, 429]);
      }
    }
  });

  it('the bad-authentication limiter counts failures at both instances: 2 at A and 2 at B block the address at both', async function () {
    // From an address of its own (127.0.0.3), so that failures of other tests do not count.
    const from = (r: TestRegistry, headers: Record<string, string>) => requestFrom('127.0.0.3', r.registry.httpPort, 'GET', '/tenant/DEFAULT_TENANT', headers);
    const wrong = () => auth(`dr_${randomBytes(32).toString('base64url')}`);
    for (const r of [a, a, b, b]) expect((await from(r, wrong())).status).to.equal(401);
    for (const r of [a, b]) {
      const blocked = await from(r, wrong());
      expect(blocked.status, blocked.text).to.equal(429);
      expect(Number(blocked.headers['retry-after'])).to.be.within(1, 60);
      // a valid token is never refused
      expect((await from(r, auth(BOOTSTRAP))).status).to.equal(200);
    }
    // Other addresses are not blocked.
    await expectStatus(call(a, 'GET', '/tenant/DEFAULT_TENANT'), 200);
  });
});
