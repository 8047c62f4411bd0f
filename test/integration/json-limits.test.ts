/**
 * JSON that the registry cannot handle safely or store exactly is refused on every face that
 * reads JSON (docs/reliability.md, "Hostile input: limits"): bodies nested deeper than
 * REGISTRY_JSON_MAX_DEPTH (default 32) and numbers a 64-bit float cannot give back (1e999999,
 * 30-digit integers). HTTP answers 400 naming the problem, AMQP rejects with hono:bad-request,
 * import refuses the line or file; nothing is stored.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../helpers/cli.js';
import { http, type HttpResult } from '../helpers/registry.js';
import { sharedStore } from '../helpers/root-hooks.js';
import { ADAPTER_AND_ADMIN, ADMIN_USER, TENANT, expectAnswer, expectRejected, useAmqpRegistry } from './amqp/support.js';

const DEPTHS = [5000, 20_000];
/** `levels` nested arrays around 1: a value that is `levels` deep on its own. */
const nested = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
const BIG_NUMBERS = ['1e999999', '-1e999999', '123456789012345678901234567890', '1e-400'];

/** A JSON body text with `field` set to the raw JSON `value`. */
const withField = (base: Record<string, unknown>, field: string, value: string) => JSON.stringify({ ...base, [field]: 0 }).replace(/0}$/, `${value}}`);

function expectRefused(res: HttpResult, pattern: RegExp): void {
  expect(res.status, res.text).to.equal(400);
  const error = (res.json as { error?: unknown } | undefined)?.error;
  expect(error, res.text).to.be.a('string').that.matches(pattern);
}

describe('JSON depth and exact numbers on every face', function () {
  this.timeout(60_000);
  const suite = useAmqpRegistry({}, { accounts: ADAPTER_AND_ADMIN });
  const device = { 'device-id': 'dev-1' };
  const credentials = { 'device-id': 'dev-1', type: 'psk', 'auth-id': 'psk-1', secrets: [{ key: 'c2VjcmV0' }] };

  /** Every HTTP request that carries a body of stored data: method, path, a valid body, what makes its target exist. */
  const bodies = () => [
    { method: 'POST', path: '/tenant', body: { 'tenant-id': 'fresh' } },
    { method: 'PUT', path: `/tenant/${TENANT}`, body: { enabled: true } },
    { method: 'POST', path: `/registration/${TENANT}`, body: device },
    { method: 'PUT', path: `/registration/${TENANT}/dev-1`, body: { enabled: true }, needs: 'device' },
    { method: 'POST', path: `/credentials/${TENANT}`, body: credentials, needs: 'device' },
    { method: 'PUT', path: `/credentials/${TENANT}/psk-1/psk`, body: credentials, needs: 'credentials' },
  ];
  const provision = async (needs: string | undefined) => {
    if (needs === undefined) return;
    expect((await http(suite.base, 'POST', `/registration/${TENANT}`, device)).status).to.equal(201);
    if (needs === 'credentials') expect((await http(suite.base, 'POST', `/credentials/${TENANT}`, credentials)).status).to.equal(201);
  };

  describe('HTTP', function () {
    it('answers 400 to a field nested 5,000 and 20,000 levels deep on POST/PUT /tenant, /registration and /credentials', async function () {
      for (const { method, path, body, needs } of bodies()) {
        await provision(needs);
        for (const levels of DEPTHS) {
          const res = await http(suite.base, method, path, withField(body, 'custom', nested(levels)));
          expectRefused(res, /nested deeper than 32 levels/);
        }
        await http(suite.base, 'DELETE', `/registration/${TENANT}/dev-1`);
        await http(suite.base, 'DELETE', `/denied-devices/${TENANT}/dev-1?purge=true`);
      }
      expect((await http(suite.base, 'GET', '/tenant/fresh')).status).to.equal(404);
      expect((await http(suite.base, 'GET', '/health')).status).to.equal(200);
    });

    it('accepts a body exactly 32 levels deep and refuses 33', async function () {
      const ok = await http(suite.base, 'POST', `/registration/${TENANT}`, withField({ 'device-id': 'deep-ok' }, 'ext', nested(31)));
      expect(ok.status, ok.text).to.equal(201);
      const stored = await http(suite.base, 'GET', `/registration/${TENANT}/deep-ok`);
      expect(JSON.stringify((stored.json as { data: { ext: unknown } }).data.ext)).to.equal(nested(31));
      expectRefused(await http(suite.base, 'POST', `/registration/${TENANT}`, withField({ 'device-id': 'deep-no' }, 'ext', nested(32))), /nested deeper than 32 levels/);
    });

    it('answers 400 naming the field to numbers that would be stored changed (1e999999, 30 digits), and stores nothing', async function () {
      for (const { method, path, body, needs } of bodies()) {
        await provision(needs);
        for (const number of BIG_NUMBERS) {
          const res = await http(suite.base, method, path, withField(body, 'ext', `{"list":[0,${number}]}`));
          expectRefused(res, /the number at "ext\/list\/1" cannot be stored exactly/);
        }
        await http(suite.base, 'DELETE', `/registration/${TENANT}/dev-1`);
        await http(suite.base, 'DELETE', `/denied-devices/${TENANT}/dev-1?purge=true`);
      }
      expect((await http(suite.base, 'GET', '/tenant/fresh')).status).to.equal(404);
    });

    it('stores numbers a 64-bit float holds exactly as they were sent', async function () {
      const numbers = '{"i":9007199254740991,"f":0.1,"e":1.5e-7,"n":-42,"z":0}';
      const res = await http(suite.base, 'POST', `/registration/${TENANT}`, withField({ 'device-id': 'numbers' }, 'ext', numbers));
      expect(res.status, res.text).to.equal(201);
      const stored = await http(suite.base, 'GET', `/registration/${TENANT}/numbers`);
      expect(stored.text).to.include(`"ext":${numbers}`);
    });
  });

  describe('AMQP', function () {
    const manage = async (endpoint: string, subject: string, body: Buffer, properties: Record<string, string> = {}) => {
      const client = await suite.client({ username: ADMIN_USER });
      return client.request(endpoint, { subject, body, applicationProperties: properties });
    };
    const raw = (base: Record<string, unknown>, value: string, field = 'ext') => Buffer.from(withField(base, field, value));

    it('rejects register, tenant add and credentials add bodies nested 5,000 and 20,000 levels deep (hono:bad-request)', async function () {
      await http(suite.base, 'POST', `/registration/${TENANT}`, { 'device-id': 'dev-2' });
      for (const levels of DEPTHS) {
        const requests = [
          manage(`registration/${TENANT}`, 'register', raw({}, nested(levels), 'custom'), { device_id: 'deep' }),
          manage('tenant', 'add', raw({}, nested(levels), 'custom'), { tenant_id: 'deep' }),
          manage(`credentials/${TENANT}`, 'add', raw({ ...credentials, 'device-id': 'dev-2' }, nested(levels), 'custom')),
        ];
        for (const res of await Promise.all(requests)) {
          expectRejected(res);
          expect(res.rejected?.description).to.match(/nested deeper than 32 levels/);
        }
      }
      const client = await suite.client({ username: ADMIN_USER });
      expectAnswer(await client.request(`registration/${TENANT}`, { subject: 'get', applicationProperties: { device_id: 'deep' } }), 404);
    });

    it('rejects register and add bodies with numbers that cannot be stored exactly, and stores nothing', async function () {
      await http(suite.base, 'POST', `/registration/${TENANT}`, { 'device-id': 'dev-2' });
      for (const number of BIG_NUMBERS) {
        const requests = [
          manage(`registration/${TENANT}`, 'register', raw({}, number), { device_id: 'big' }),
          manage('tenant', 'add', raw({}, number), { tenant_id: 'big' }),
          manage(`credentials/${TENANT}`, 'add', raw({ ...credentials, 'device-id': 'dev-2' }, number)),
        ];
        for (const res of await Promise.all(requests)) {
          expectRejected(res);
          expect(res.rejected?.description).to.match(/the number at "ext" cannot be stored exactly/);
        }
      }
      expect((await http(suite.base, 'GET', `/registration/${TENANT}/big`)).status).to.equal(404);
      expect((await http(suite.base, 'GET', '/tenant/big')).status).to.equal(404);
      expect((await http(suite.base, 'GET', `/credentials/${TENANT}/dev-2`)).status).to.equal(404);
    });
  });

  describe('import', function () {
    let work: string;
    let url: string;
    beforeEach(async function () {
      work = mkdtempSync(join(tmpdir(), 'registry-json-limits-'));
      url = (await sharedStore()).env.REGISTRY_REDIS_URL as string;
    });
    afterEach(() => rmSync(work, { recursive: true, force: true }));
    const write = (name: string, text: string) => {
      const path = join(work, name);
      writeFileSync(path, text);
      return path;
    };

    it('refuses NDJSON lines nested 5,000 and 20,000 levels deep or with inexact numbers, and imports the others', async function () {
      const line = (id: string, ext: string) => withField({ kind: 'device', tenant: TENANT, 'device-id': id }, 'data', `{"ext":${ext}}`);
      const lines = [line('ok-1', '1'), ...DEPTHS.map((levels, i) => line(`deep-${i}`, nested(levels))), ...BIG_NUMBERS.map((n, i) => line(`big-${i}`, n)), line('ok-2', '[0.5]')];
      const run = await runCli(url, 'import', '--ndjson', write('devices.ndjson', `${lines.join('\n')}\n`));
      expect(run.code, run.stderr).to.equal(1);
      expect(run.stderr.match(/nested deeper than 32 levels/g)).to.have.length(2);
      expect(run.stderr.match(/the number at "data\/ext" cannot be stored exactly/g)).to.have.length(BIG_NUMBERS.length);
      for (const id of ['ok-1', 'ok-2']) expect((await http(suite.base, 'GET', `/registration/${TENANT}/${id}`)).status).to.equal(200);
      for (const id of ['deep-0', 'deep-1', 'big-0']) expect((await http(suite.base, 'GET', `/registration/${TENANT}/${id}`)).status).to.equal(404);
    });

    it('refuses Hono files holding a record nested 5,000 or 20,000 levels deep, or an inexact number, and writes nothing', async function () {
      const devicesFile = (data: string) => `[{"tenant":${JSON.stringify(TENANT)},"devices":[{"device-id":"ok"},{"device-id":"bad","data":${data}}]}]`;
      const cases: [string, RegExp][] = [
        ...[32, ...DEPTHS].map((levels): [string, RegExp] => [devicesFile(`{"ext":${nested(levels)}}`), /a record is nested deeper than 32 levels/]),
        [devicesFile('{"ext":123456789012345678901234567890}'), /the number at "0\/devices\/1\/data\/ext" cannot be stored exactly/],
      ];
      for (const [text, pattern] of cases) {
        const run = await runCli(url, 'import', '--devices', write('device-identities.json', text));
        expect(run.code, run.stderr).to.equal(2);
        expect(run.stderr).to.match(pattern);
      }
      const tenants = `[{"tenant-id":"t-deep","ext":${nested(DEPTHS[0] as number)}}]`;
      const run = await runCli(url, 'import', '--tenants', write('tenants.json', tenants));
      expect(run.code, run.stderr).to.equal(2);
      expect(run.stderr).to.match(/a record is nested deeper than 32 levels/);
      expect((await http(suite.base, 'GET', `/registration/${TENANT}/ok`)).status).to.equal(404);
      expect((await http(suite.base, 'GET', '/tenant/t-deep')).status).to.equal(404);
    });

    it('accepts a record as deep as an HTTP body may be (32 levels), inside the file structure', async function () {
      const text = `[{"tenant":${JSON.stringify(TENANT)},"devices":[{"device-id":"deep-ok","data":{"ext":${nested(31)}}}]}]`;
      const run = await runCli(url, 'import', '--devices', write('device-identities.json', text));
      expect(run.code, run.stderr).to.equal(0);
      expect((await http(suite.base, 'GET', `/registration/${TENANT}/deep-ok`)).status).to.equal(200);
    });
  });
});
