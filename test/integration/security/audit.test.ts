/**
 * The audit trail (docs/security.md "Audit trail"): every mutating route of the route table
 * appends an entry (time, token id, tenant, action = operationId, target = path, outcome = status),
 * failures included; `GET /audit` needs audit:read, shows a tenant-restricted token only its
 * tenants, and pages with `before`.
 */
import { expect } from 'chai';
import { http, type TestRegistry } from '../../helpers/registry.js';
import {
  BOOTSTRAP, FIXTURES, Provisioner, ROUTES, bearer, callRoute, concretePath, expectJsonError, flushRedis, freshTenant, happyTenants, mint, startTokenRegistry,
} from '../../helpers/security.js';

interface AuditEntry {
  id: string;
  time: string;
  token: string;
  tenant?: string;
  action: string;
  target: string;
  outcome: string;
}

const ENTRY_KEYS = ['id', 'time', 'token', 'tenant', 'action', 'target', 'outcome'];

describe('audit trail', function () {
  this.timeout(20_000);
  let registry: TestRegistry;
  let base: string;
  let provision: Provisioner;

  before(async function () {
    await flushRedis();
    registry = await startTokenRegistry({ REGISTRY_AUTH_FAILURE_LIMIT: '1000' });
    base = registry.base;
    provision = new Provisioner(base);
  });

  after(async function () {
    await registry?.stop();
    await flushRedis();
  });

  async function audit(query = '', token = BOOTSTRAP): Promise<AuditEntry[]> {
    const res = await http(base, 'GET', `/audit${query}`, undefined, bearer(token));
    expect(res.status, res.text).to.equal(200);
    expect(res.json).to.be.an('array');
    return res.json as AuditEntry[];
  }

  it('the route table marks every mutating route, and only those, for the audit trail', function () {
    // The console's sign-in and sign-out write their entries themselves: only they know the token
    // (test/integration/console/session.test.ts).
    for (const route of ROUTES) expect(route.audit, `${route.method} ${route.path}`).to.equal(route.method !== 'GET' && route.tag !== 'session');
  });

  for (const route of ROUTES.filter((r) => r.audit)) {
    it(`${route.method} ${route.path} writes an entry: action ${route.operationId}, target, tenant, token id, outcome ${route.success.status}`, async function () {
      const tenant = freshTenant();
      await FIXTURES[route.operationId]?.prepare?.(provision, tenant);
      const caller = await mint(base, BOOTSTRAP, { scopes: [...route.scopes], tenants: happyTenants(route, tenant) });
      const started = Date.now();
      const res = await callRoute(base, route, tenant, bearer(caller.token), { tokenId: caller.id });
      expect(res.status, res.text).to.equal(route.success.status);
      const entries = (await audit('?limit=50')).filter((e) => e.token === caller.id);
      expect(entries, JSON.stringify(entries)).to.have.length(1);
      const entry = entries[0] as AuditEntry;
      expect(entry.action).to.equal(route.operationId);
      expect(entry.target).to.equal(concretePath(route, tenant, caller.id));
      expect(entry.outcome).to.equal(String(route.success.status));
      if (route.tenant === 'none') expect(entry).to.not.have.property('tenant');
      else expect(entry.tenant).to.equal(tenant);
      expect(Date.parse(entry.time), 'written while the call was made').to.be.at.least(started).and.at.most(Date.now());
      expect(entry.id).to.match(/^\d+-\d+$/);
      for (const key of Object.keys(entry)) expect(ENTRY_KEYS, key).to.include(key);
    });
  }

  it('keeps the route\'s own query parameters in the target and no other value (?access_token=…)', async function () {
    const tenant = freshTenant();
    await provision.denied(tenant);
    const caller = await mint(base, BOOTSTRAP, { scopes: ['devices:delete', 'devices:purge'], tenants: [tenant] });
    const secret = 'query-secret-0123456789abcdef';
    const query = `?access_token=${secret}&purge=true&token=${secret}&password=${secret}&${secret}&weird%20name=${secret}`;
    const res = await http(base, 'DELETE', `/denied-devices/${tenant}/dev-1${query}`, undefined, bearer(caller.token));
    expect(res.status, res.text).to.equal(204);
    const entries = (await audit('?limit=50')).filter((e) => e.token === caller.id);
    expect(entries.map((e) => e.target)).to.deep.equal([
      `/denied-devices/${tenant}/dev-1?access_token=[redacted]&purge=true&token=[redacted]&password=[redacted]&[redacted]&[redacted]`,
    ]);
  });

  it('tells a purge of a denied device from a restore', async function () {
    const tenant = freshTenant();
    await provision.denied(tenant);
    await provision.call('DELETE', `/denied-devices/${tenant}/dev-1`, undefined, 204);
    await provision.call('DELETE', `/registration/${tenant}/dev-1`, undefined, 204);
    await provision.call('DELETE', `/denied-devices/${tenant}/dev-1?purge=true`, undefined, 204);
    const [purge, restore] = (await audit(`?tenant=${tenant}`)).filter((e) => e.target.startsWith('/denied-devices/'));
    expect(purge).to.not.equal(undefined);
    expect(restore).to.not.equal(undefined);
    expect(`${purge?.action} ${purge?.target}`).to.not.equal(`${restore?.action} ${restore?.target}`);
  });

  it('records failures too: 409, 404, 400 and a body tenant outside the token', async function () {
    const tenant = freshTenant();
    await provision.tenant(tenant);
    const caller = await mint(base, BOOTSTRAP, { scopes: ['tenants:create', 'devices:create', 'devices:delete', 'credentials:write'], tenants: [tenant] });
    const h = bearer(caller.token);
    expect((await http(base, 'POST', '/tenant', { 'tenant-id': tenant }, h)).status).to.equal(409);
    expect((await http(base, 'DELETE', `/registration/${tenant}/no-such-device`, undefined, h)).status).to.equal(404);
    expect((await http(base, 'POST', `/registration/${tenant}`, { 'device-id': 42 }, h)).status).to.equal(400);
    expect((await http(base, 'POST', `/registration/${tenant}`, { 'device-id': 'd1' }, h)).status).to.equal(201);
    expect((await http(base, 'POST', `/registration/${tenant}`, { 'device-id': 'd1' }, h)).status).to.equal(409);
    const foreign = freshTenant('foreign');
    expect((await http(base, 'POST', '/tenant', { 'tenant-id': foreign }, h)).status).to.equal(403);
    const mine = (await audit('?limit=100')).filter((e) => e.token === caller.id);
    const seen = mine.map((e) => `${e.action} ${e.target} ${e.tenant ?? '-'} ${e.outcome}`).reverse();
    expect(seen).to.deep.equal([
      `createTenant /tenant ${tenant} 409`,
      `deleteRegistration /registration/${tenant}/no-such-device ${tenant} 404`,
      `registerDevice /registration/${tenant} ${tenant} 400`,
      `registerDevice /registration/${tenant} ${tenant} 201`,
      `registerDevice /registration/${tenant} ${tenant} 409`,
      `createTenant /tenant ${foreign} 403`,
    ]);
  });

  it('reads write no entries', async function () {
    const tenant = freshTenant();
    await provision.device(tenant);
    const caller = await mint(base, BOOTSTRAP, { scopes: ['tenants:read', 'devices:read', 'tokens:read', 'audit:read'], tenants: [tenant] });
    for (const path of [`/tenant/${tenant}`, `/registration/${tenant}/dev-1`, `/denied-devices/${tenant}`, '/tokens', '/audit']) {
      expect((await http(base, 'GET', path, undefined, bearer(caller.token))).status, path).to.equal(200);
    }
    expect((await audit('?limit=200')).filter((e) => e.token === caller.id)).to.deep.equal([]);
  });

  it('GET /audit needs audit:read', async function () {
    const caller = await mint(base, BOOTSTRAP, { scopes: ['tokens:read', 'devices:read'], tenants: ['*'] });
    const res = await http(base, 'GET', '/audit', undefined, bearer(caller.token));
    expectJsonError(res, 403);
    expect(res.headers.get('www-authenticate') ?? '').to.include('scope="audit:read"');
    expectJsonError(await http(base, 'GET', '/audit'), 401);
  });

  it('shows a tenant-restricted token only the entries of its tenants; ?tenant= of another tenant is 403', async function () {
    const [t1, t2] = [freshTenant('mine'), freshTenant('theirs')];
    await provision.device(t1);
    await provision.device(t2);
    const reader = await mint(base, BOOTSTRAP, { scopes: ['audit:read'], tenants: [t1] });
    const entries = await audit('?limit=1000', reader.token);
    expect(entries.length).to.be.greaterThan(1);
    for (const entry of entries) expect(entry.tenant).to.equal(t1);
    expect(entries.map((e) => e.action)).to.include.members(['createTenant', 'registerDevice']);
    const filtered = await audit(`?tenant=${t1}`, reader.token);
    expect(filtered).to.deep.equal(entries.slice(0, filtered.length));
    expectJsonError(await http(base, 'GET', `/audit?tenant=${t2}`, undefined, bearer(reader.token)), 403);
    // the all-tenant token may filter by any tenant
    const theirs = await audit(`?tenant=${t2}`);
    expect(theirs.length).to.be.greaterThan(1);
    for (const entry of theirs) expect(entry.tenant).to.equal(t2);
  });

  it('pages newest first with limit and before', async function () {
    const tenant = freshTenant('paging');
    await provision.tenant(tenant);
    for (let i = 0; i < 7; i++) await provision.call('POST', `/registration/${tenant}`, { 'device-id': `p${i}` }, 201);
    const all = await audit(`?tenant=${tenant}`);
    expect(all).to.have.length(8);
    expect(all.map((e) => e.target)).to.deep.equal([...Array.from({ length: 7 }, () => `/registration/${tenant}`), '/tenant']);
    const ids = all.map((e) => e.id);
    const cmp = (x: string, y: string) => {
      const [xm, xs] = x.split('-').map(BigInt) as [bigint, bigint];
      const [ym, ys] = y.split('-').map(BigInt) as [bigint, bigint];
      return xm === ym ? Number(ys - xs) : Number(ym - xm);
    };
    expect([...ids].sort(cmp), 'newest first').to.deep.equal(ids);
    const pages: AuditEntry[][] = [];
    let before: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page = await audit(`?tenant=${tenant}&limit=3${before === undefined ? '' : `&before=${before}`}`);
      if (page.length === 0) break;
      pages.push(page);
      before = page[page.length - 1]?.id;
    }
    expect(pages.map((p) => p.length)).to.deep.equal([3, 3, 2]);
    expect(pages.flat()).to.deep.equal(all);
    expectJsonError(await http(base, 'GET', '/audit?before=yesterday', undefined, bearer(BOOTSTRAP)), 400);
    expectJsonError(await http(base, 'GET', '/audit?limit=0', undefined, bearer(BOOTSTRAP)), 400);
    expectJsonError(await http(base, 'GET', '/audit?limit=100000', undefined, bearer(BOOTSTRAP)), 400);
  });
});
