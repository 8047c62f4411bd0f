/**
 * `device-registry import` / `export` (dist/cli.js) against the run's Redis, read back through a
 * registry on the same store over HTTP and AMQP: Hono's file-based registry data unchanged
 * (test/fixtures/hono-registry, docs/amqp-api.md §7.2), idempotent re-runs, conflicts, bad files,
 * NDJSON and the round trip import(export(x)).
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcrypt';
import { expect } from 'chai';
import { http, startTestRegistry } from '../../helpers/registry.js';
import { sharedRedis } from '../../helpers/root-hooks.js';
import { expectAnswer, TENANT, useAmqpRegistry, type Json } from '../amqp/support.js';

const CLI = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../fixtures/hono-registry/', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('device-registry import and export', function () {
  this.timeout(60_000);
  const suite = useAmqpRegistry({}, { flush: false });
  let env: Record<string, string>;
  let work: string;

  /** Runs the command line; resolves with its exit code and output (never rejects on a non-zero exit). */
  const cli = (args: string[], input?: string): Promise<Run> =>
    new Promise((resolve) => {
      const child = execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr }),
      );
      if (input !== undefined) child.stdin?.end(input);
    });
  const get = async (path: string) => http(suite.base, 'GET', path);
  const file = (name: string, content: unknown) => {
    const path = join(work, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  };
  /** The whole store as sorted NDJSON lines (a device's records sorted too: their order carries no meaning). */
  const exportNdjson = async (): Promise<string> => {
    const out = await cli(['export', '--ndjson', '-']);
    expect(out.code, out.stderr).to.equal(0);
    const normal = (line: string) => {
      const value = JSON.parse(line) as Json;
      if (Array.isArray(value.credentials)) value.credentials = value.credentials.map((c) => JSON.stringify(c)).sort();
      return JSON.stringify(value);
    };
    return out.stdout.split('\n').filter((l) => l !== '').map(normal).sort().join('\n');
  };

  before(function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`make build\` first (make test does)`);
  });

  beforeEach(async function () {
    const redis = await sharedRedis();
    expect(await redis.command('FLUSHALL')).to.equal('+OK');
    env = { REGISTRY_REDIS_URL: redis.url, REGISTRY_TOKEN_PEPPER: 'import-test-pepper-0123456789abcdef01234', REGISTRY_BCRYPT_COST: '4' };
    work = mkdtempSync(join(tmpdir(), 'registry-import-'));
  });

  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('prints help for import and export, and refuses unusable arguments with exit code 2', async function () {
    for (const command of ['import', 'export']) {
      const help = await cli([command, '--help']);
      expect(help.code).to.equal(0);
      expect(help.stdout).to.match(new RegExp(`^usage: device-registry ${command}`));
    }
    expect((await cli(['--help'])).stdout).to.include('import').and.include('export');
    for (const args of [['import'], ['import', '--dir', FIXTURES, '--ndjson', '-'], ['import', '--bogus'], ['import', '--ndjson', '-', '--batch-size', '0'], ['export']]) {
      const run = await cli(args);
      expect(run.code, args.join(' ')).to.equal(2);
      expect(run.stderr, args.join(' ')).to.match(new RegExp(`^device-registry ${args[0]}: .* \\(see "device-registry ${args[0]} --help"\\)\\n$`));
    }
  });

  it("imports Hono's file-based registry files unchanged; HTTP and AMQP serve the data", async function () {
    const run = await cli(['import', '--dir', FIXTURES]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.include('tenants: 3 created').and.include('devices: 9 created').and.include('8 credentials records, 1 plain passwords hashed');

    const tenant = (await get('/tenant/HTTP_ONLY')).json as Json;
    expect(tenant.adapters).to.deep.equal([{ type: 'hono-http', enabled: true, 'device-authentication-required': true }]);
    expect((tenant['trusted-ca'] as Json[])[0]).to.include({ 'subject-dn': 'CN=ca-http,OU=Hono,O=Eclipse' });
    expect((await get('/tenant/DISABLED_TENANT')).json).to.deep.equal({ 'tenant-id': 'DISABLED_TENANT', enabled: false, ext: { comment: 'custom members are kept' } });
    expect((await get('/registration/DEFAULT_TENANT/4712')).json).to.deep.equal({ 'device-id': '4712', data: { enabled: true, via: 'gw-1' } });
    expect((await get('/registration/DEFAULT_TENANT/no-data')).json, 'a device without data').to.deep.equal({ 'device-id': 'no-data', data: { enabled: true } });
    expect((await get('/registration/DEFAULT_TENANT/gw-1')).json, 'members outside data are ignored, as Hono does').to.deep.equal({ 'device-id': 'gw-1', data: { enabled: true } });
    expect((await get('/registration/DEFAULT_TENANT/4714')).status, 'credentials alone register no device').to.equal(404);

    const sensor2 = (await get('/credentials/DEFAULT_TENANT/sensor2/hashed-password')).json as { secrets: Json[] };
    expect(sensor2.secrets[0]).to.not.have.property('pwd-plain');
    expect(sensor2.secrets[0]).to.include({ 'hash-function': 'bcrypt' });
    expect(await bcrypt.compare('hono-secret', sensor2.secrets[0]?.['pwd-hash'] as string)).to.equal(true);
    const gw2 = (await get('/credentials/DEFAULT_TENANT/gw2/hashed-password')).json as { secrets: Json[] };
    expect(gw2.secrets[0]?.['pwd-hash'], 'bcrypt hashes are stored with the $2a$ prefix Hono verifies').to.match(/^\$2a\$04\$/);
    expect((await get('/credentials/DEFAULT_TENANT/4711')).json).to.have.property('total', 4);

    const client = await suite.client();
    const tenantGet = expectAnswer(await client.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT } }), 200) as Json;
    expect(tenantGet['trusted-ca']).to.include({ 'subject-dn': 'CN=ca,OU=Hono,O=Eclipse' });
    const byCa = await client.request('tenant', { subject: 'get', body: { 'subject-dn': 'CN=ca-http,OU=Hono,O=Eclipse' } });
    expect(expectAnswer(byCa, 200)).to.include({ 'tenant-id': 'HTTP_ONLY' });
    const assert = (device: string, gateway?: string) =>
      client.request(`registration/${TENANT}`, { subject: 'assert', applicationProperties: { device_id: device, ...(gateway === undefined ? {} : { gateway_id: gateway }) } });
    expectAnswer(await assert('4713', 'gw-1'), 200);
    expectAnswer(await assert('4712', 'gw-1'), 200);
    expectAnswer(await assert('disabled-device'), 404);
    expectAnswer(await assert('4713', 'gw-2'), 403);
    const cred = (query: Json) => client.request(`credentials/${TENANT}`, { subject: 'get', body: query });
    expect(expectAnswer(await cred({ type: 'hashed-password', 'auth-id': 'gw', 'client-id': 'gateway-one' }), 200)).to.include({ 'device-id': 'gw-1' });
    expect(expectAnswer(await cred({ type: 'x509-cert', 'auth-id': 'CN=Device 4711,OU=Hono,O=Eclipse' }), 200)).to.include({ 'device-id': '4711' });
    expect(expectAnswer(await cred({ type: 'psk', 'auth-id': 'little-sensor2' }), 200)).to.include({ enabled: false });
    expect(expectAnswer(await cred({ type: 'psk', 'auth-id': 'only-credentials' }), 200)).to.include({ 'device-id': '4714' });
  });

  it('changes nothing when run again and reports every record unchanged (plain passwords keep their hash)', async function () {
    expect((await cli(['import', '--dir', FIXTURES])).code).to.equal(0);
    const before = await exportNdjson();
    const again = await cli(['import', '--dir', FIXTURES]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stderr).to.include('tenants: 0 created, 0 replaced, 3 unchanged').and.include('devices: 0 created, 0 updated, 0 replaced, 9 unchanged, 0 failed').and.include('0 plain passwords hashed');
    expect(await exportNdjson()).to.equal(before);
  });

  it('reports conflicts per record with a reason and exit code 1, and overwrites them only with --replace', async function () {
    expect((await cli(['import', '--dir', FIXTURES])).code).to.equal(0);
    expect((await http(suite.base, 'PUT', '/registration/DEFAULT_TENANT/4711', { enabled: false })).status).to.equal(204);
    expect((await http(suite.base, 'DELETE', '/registration/DEFAULT_TENANT/gw-2')).status).to.equal(204);
    expect((await http(suite.base, 'POST', '/registration/DEFAULT_TENANT', { 'device-id': 'other' })).status).to.equal(201);
    const gw = (await get('/credentials/DEFAULT_TENANT/gw/hashed-password')).json as Json;
    expect((await http(suite.base, 'PUT', '/credentials/DEFAULT_TENANT/gw/hashed-password', { ...gw, 'device-id': 'other' })).status).to.equal(204);
    const changed = await exportNdjson();

    const run = await cli(['import', '--dir', FIXTURES]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include('error: device-identities.json[0].devices[0]: conflict: device "4711" exists with different registration data');
    expect(run.stderr).to.include('error: device-identities.json[0].devices[5]: conflict: device "gw-2" is on the denied list of tenant "DEFAULT_TENANT"');
    expect(run.stderr).to.include('error: device-identities.json[0].devices[4]: conflict: credentials credentials.json[0].credentials[4] (hashed-password "gw") belongs to device "other"');
    expect(run.stderr).to.include('3 failed');
    expect(await exportNdjson(), 'a refused device writes nothing').to.equal(changed);

    const replaced = await cli(['import', '--dir', FIXTURES, '--replace']);
    expect(replaced.code, 'the denied device is still refused').to.equal(1);
    expect(replaced.stderr).to.include('"gw-2" is on the denied list').and.include('devices: 0 created, 0 updated, 2 replaced');
    expect((await get('/registration/DEFAULT_TENANT/4711')).json).to.have.nested.property('data.enabled', true);
    expect((await get('/credentials/DEFAULT_TENANT/gw/hashed-password')).json).to.include({ 'device-id': 'gw-1' });
    expect((await get('/credentials/DEFAULT_TENANT/other')).status, 'the moved record left the index of its old device').to.equal(404);
  });

  it('refuses a file that is not JSON or has the wrong shape with its position, exit code 2 and nothing written', async function () {
    const broken = file('device-identities.json', '[{"tenant": "DEFAULT_TENANT", "devices": [ {"device-id": "a"} ');
    const run = await cli(['import', '--tenants', join(FIXTURES, 'tenants.json'), '--devices', broken]);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.include(`${broken} is not valid JSON`).and.match(/position \d+|line \d+/);
    expect((await get('/tenant/DEFAULT_TENANT')).status, 'not even the tenants are written').to.equal(404);

    const shapes: [unknown, string][] = [
      [{ tenant: 'DEFAULT_TENANT', devices: [] }, 'must hold a JSON array'],
      [[{ tenant: 'DEFAULT_TENANT', devices: [] }, { tenant: 'DEFAULT_TENANT', devices: {} }], 'device-identities.json[1] must be an object {"tenant": "<tenant id>", "devices": [ … ]}'],
    ];
    for (const [content, message] of shapes) {
      const wrong = await cli(['import', '--tenants', join(FIXTURES, 'tenants.json'), '--devices', file('device-identities.json', content)]);
      expect(wrong.code).to.equal(2);
      expect(wrong.stderr).to.include(message);
      expect((await get('/tenant/DEFAULT_TENANT')).status).to.equal(404);
    }
  });

  it('names invalid records by position and reason, imports the valid ones, and writes nothing of an invalid device', async function () {
    const devices = [{ tenant: TENANT, devices: [{ 'device-id': 'good' }, { 'device-id': 'bad-via', data: { via: 42 } }, { 'device-id': 'bad-credentials' }, { 'device-id': 'good' }, { 'device-id': 'twice' }] }, { tenant: 'NO_SUCH_TENANT', devices: [{ 'device-id': 'x' }] }];
    const credentials = [{ tenant: TENANT, credentials: [
      { 'device-id': 'bad-credentials', type: 'psk', 'auth-id': 'fine', secrets: [{ key: 'Zm9v' }] },
      { 'device-id': 'bad-credentials', type: 'psk', 'auth-id': 'broken', secrets: [{ key: 'not base64!' }] },
      { 'device-id': 'twice', type: 'psk', 'auth-id': 'same', secrets: [{ key: 'Zm9v' }] },
      { 'device-id': 'twice', type: 'psk', 'auth-id': 'same', secrets: [{ key: 'YmFy' }] },
    ] }];
    const run = await cli(['import', '--tenants', join(FIXTURES, 'tenants.json'), '--devices', file('device-identities.json', devices), '--credentials', file('credentials.json', credentials)]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include('error: device-identities.json[0].devices[1]: via');
    expect(run.stderr).to.include('error: device-identities.json[0].devices[2]: credentials credentials.json[0].credentials[1]: secrets/0/key');
    expect(run.stderr).to.include('error: device-identities.json[0].devices[3]: device "good" of tenant "DEFAULT_TENANT" is listed more than once');
    expect(run.stderr).to.include('error: device-identities.json[0].devices[4]: credentials psk "same" of tenant "DEFAULT_TENANT" are listed more than once');
    expect(run.stderr).to.include('error: device-identities.json[1].devices[0]: tenant "NO_SUCH_TENANT" not found');
    expect(run.stderr).to.include('devices: 1 created').and.include('5 failed');
    expect((await get('/registration/DEFAULT_TENANT/good')).status).to.equal(200);
    expect((await get('/registration/DEFAULT_TENANT/bad-credentials')).status).to.equal(404);
    expect((await get('/credentials/DEFAULT_TENANT/fine/psk')).status, 'the valid record of an invalid device is not written').to.equal(404);
  });

  it('round-trips: import(export(x)) restores x, in Hono files and as NDJSON', async function () {
    expect((await cli(['import', '--dir', FIXTURES])).code).to.equal(0);
    const original = await exportNdjson();
    const dir = join(work, 'export');
    const exported = await cli(['export', '--dir', dir]);
    expect(exported.code, exported.stderr).to.equal(0);
    for (const name of ['tenants.json', 'device-identities.json', 'credentials.json']) {
      expect(statSync(join(dir, name)).mode & 0o777, `${name} holds secrets`).to.equal(0o600);
      expect(JSON.parse(readFileSync(join(dir, name), 'utf8'))).to.be.an('array');
    }
    const ndjson = join(work, 'all.ndjson');
    expect((await cli(['export', '--ndjson', ndjson])).code).to.equal(0);
    expect(readFileSync(ndjson, 'utf8').split('\n')[0]).to.match(/^\{"kind":"tenant","tenant-id":/);

    for (const args of [['--dir', dir], ['--ndjson', ndjson]]) {
      expect(await (await sharedRedis()).command('FLUSHALL')).to.equal('+OK');
      const run = await cli(['import', ...args]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stderr).to.include('tenants: 3 created').and.include('0 failed');
      expect(await exportNdjson(), args.join(' ')).to.equal(original);
    }
    expect((await cli(['export', '--dir', dir])).code, 'export never overwrites files').to.equal(2);
  });

  it('round-trips tenants written through /v1: alias, trust-anchor group, an empty CA list and the CA ids', async function () {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const ca = { id: 'ca-1', 'subject-dn': 'CN=group-ca', 'public-key': key, algorithm: 'EC' };
    for (const [id, body] of [['g1', { alias: 'first', 'trust-anchor-group': 'g', 'trusted-ca': [ca] }], ['g2', { 'trust-anchor-group': 'g', 'trusted-ca': [ca] }], ['none', { 'trusted-ca': [] }]] as const) {
      const created = await http(suite.base, 'POST', `/v1/tenants/${id}`, body);
      expect(created.status, created.text).to.equal(201);
    }
    const original = await exportNdjson();
    const ndjson = join(work, 'v1.ndjson');
    expect((await cli(['export', '--ndjson', ndjson])).code).to.equal(0);
    expect(await (await sharedRedis()).command('FLUSHALL')).to.equal('+OK');
    const run = await cli(['import', '--ndjson', ndjson]);
    expect(run.code, run.stderr).to.equal(0);
    expect(await exportNdjson()).to.equal(original);
    const client = await suite.client();
    expect(expectAnswer(await client.request('tenant', { subject: 'get', body: { 'tenant-id': 'first' } }), 200)).to.include({ 'tenant-id': 'g1' });
    expect((await http(suite.base, 'POST', '/v1/tenants/g3', { alias: 'first' })).status).to.equal(409);
  });

  it('streams NDJSON from stdin, naming a bad line by its number', async function () {
    const lines = [
      JSON.stringify({ kind: 'tenant', 'tenant-id': 'nd', enabled: true }),
      JSON.stringify({ kind: 'device', tenant: 'nd', 'device-id': 'd1', data: { via: ['gw'] }, credentials: [{ type: 'psk', 'auth-id': 'd1', secrets: [{ key: 'a2V5' }] }] }),
      '{"kind": "device", "tenant": "nd", "device-id": "d3", "credentials": [{"secrets": [{"pwd-plain": never-shown}]}]}',
      JSON.stringify({ kind: 'device', tenant: 'nd', 'device-id': 'gw' }),
      JSON.stringify({ kind: 'credentials', tenant: 'nd', 'device-id': 'd2', credentials: [{ type: 'hashed-password', 'auth-id': 'd2', secrets: [{ 'pwd-plain': 'secret-d2' }] }] }),
    ];
    const run = await cli(['import', '--ndjson', '-'], `${lines.join('\n')}\n`);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.include('error: stdin:3: not valid JSON');
    expect(run.stderr, 'no snippet of the input (it may hold a password)').to.not.include('never-shown');
    expect(run.stderr).to.include('tenants: 1 created').and.include('devices: 3 created').and.include('1 failed');
    expect((await get('/registration/nd/d1')).json).to.deep.equal({ 'device-id': 'd1', data: { enabled: true, via: ['gw'] } });
    expect((await get('/credentials/nd/d1/psk')).json).to.include({ 'device-id': 'd1' });
    expect((await get('/credentials/nd/d2/hashed-password')).status).to.equal(200);
  });

  it('validates without writing on --dry-run', async function () {
    const run = await cli(['import', '--dir', FIXTURES, '--dry-run']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderr).to.include('dry run, nothing written');
    expect((await get('/tenant/DEFAULT_TENANT')).status).to.equal(404);
  });
});

describe('device-registry import next to a registry on the same embedded data directory', function () {
  this.timeout(60_000);

  it("goes through the running registry's Redis socket; the registry serves the data at once", async function () {
    const registry = await startTestRegistry({});
    try {
      const run = await new Promise<Run>((resolve) =>
        execFile(process.execPath, [CLI, 'import', '--dir', FIXTURES], { env: { PATH: process.env.PATH ?? '', REGISTRY_DATA_DIR: registry.dataDir, REGISTRY_BCRYPT_COST: '4' } }, (err, stdout, stderr) =>
          resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr }),
        ),
      );
      expect(run.code, run.stderr).to.equal(1);
      expect(run.stderr, 'the DEFAULT_TENANT of the first start differs from the file').to.include('error: tenants.json[0]: tenant "DEFAULT_TENANT" exists with different content');
      expect(run.stderr).to.include('devices: 9 created');
      expect((await http(registry.base, 'GET', '/registration/HTTP_ONLY/http-1')).status).to.equal(200);
      expect((await http(registry.base, 'GET', '/tenant/HTTP_ONLY')).status).to.equal(200);
    } finally {
      await registry.stop();
    }
  });
});
