/**
 * The built registry and command line with REGISTRY_REDIS_CLUSTER_NODES: a bad seed list stops
 * `dist/main.js` with exit code 2 and a clear message, a registry on a cluster starts no Redis of
 * its own, and `device-registry token create` works on the cluster.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { startTestCluster } from '../helpers/redis-cluster.js';
import { http, startTestRegistry } from '../helpers/registry.js';
import { sharedStore } from '../helpers/root-hooks.js';
import { keys } from '../../src/store/keys.js';

const exec = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../dist/main.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const PEPPER = 'cluster-process-pepper-0123456789abcdef0123';

async function failure(file: string, args: string[], env: Record<string, string>): Promise<{ code?: number; stderr?: string }> {
  try {
    await exec(process.execPath, [file, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 15_000 });
  } catch (err) {
    return err as { code?: number; stderr?: string };
  }
  return expect.fail(`${file} ${args.join(' ')} succeeded`);
}

describe('registry process on a Redis Cluster', function () {
  this.timeout(30_000);

  it('exits with code 2 and names each bad entry of REGISTRY_REDIS_CLUSTER_NODES, or the conflict with REGISTRY_REDIS_URL', async function () {
    const bad = await failure(MAIN, [], { REGISTRY_REDIS_CLUSTER_NODES: 'redis-a:7000,redis-b,redis-c:99999', REGISTRY_HTTP_PORT: '0', REGISTRY_AMQP_PORT: '0' });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('"redis-b" is not host:port').and.include('"redis-c:99999" is not host:port').and.not.include('"redis-a:7000"');
    expect(bad.stderr).to.not.match(/\n\s+at /);
    const both = await failure(MAIN, [], { REGISTRY_REDIS_CLUSTER_NODES: 'redis-a:7000', REGISTRY_REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(both.code).to.equal(2);
    expect(both.stderr).to.include('REGISTRY_REDIS_URL and REGISTRY_REDIS_CLUSTER_NODES exclude each other');
  });

  it('starts no Redis of its own and writes no admin token; the command line mints tokens on the cluster', async function () {
    const store = await sharedStore();
    expect(await store.command('FLUSHALL')).to.equal('+OK');
    const registry = await startTestRegistry({ ...store.env, REGISTRY_HTTP_AUTH: 'token', REGISTRY_TOKEN_PEPPER: PEPPER });
    try {
      const files = readdirSync(registry.dataDir);
      expect(files.filter((f) => /redis|appendonly|\.aof|\.rdb|admin-token/.test(f)), files.join(', ')).to.deep.equal([]);
      expect(registry.logs.some((line) => line.includes('"layer":"redis"'))).to.equal(false);

      const { stdout } = await exec(process.execPath, [CLI, 'token', 'create', '--scopes', 'tenants:read', '--tenants', '*', '--expires', '1h'], {
        env: { PATH: process.env.PATH ?? '', ...store.env, REGISTRY_TOKEN_PEPPER: PEPPER, REGISTRY_DATA_DIR: registry.dataDir },
      });
      const auth = { Authorization: `Bearer ${stdout.trim()}` };
      expect((await http(registry.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, auth)).status).to.equal(200);
      expect((await http(registry.base, 'DELETE', '/tenant/DEFAULT_TENANT', undefined, auth)).status).to.equal(403);
      expect((await http(registry.base, 'GET', '/ready')).status).to.equal(200);
    } finally {
      await registry.stop();
    }
  });

  it('runs on a cluster whose nodes require a password (redis://:password@host:port seeds), and refuses a wrong one without showing it', async function () {
    const password = 'cluster-auth-secret-0123456789';
    const cluster = await startTestCluster({ masters: 3, password });
    try {
      const registry = await startTestRegistry({ ...cluster.env });
      try {
        expect((await http(registry.base, 'POST', '/tenant', { 'tenant-id': 'with-auth' })).status).to.equal(201);
        expect((await http(registry.base, 'GET', '/tenant/with-auth')).status).to.equal(200);
        expect((await http(registry.base, 'GET', '/ready')).status).to.equal(200);
        expect(registry.logs.join('\n')).to.not.include(password);
      } finally {
        await registry.stop();
      }
      const wrong = 'wrong-password-0123456789';
      const seeds = cluster.seeds.split(',').map((seed) => `redis://:${wrong}@${seed}`).join(',');
      const err = await startTestRegistry({ REGISTRY_REDIS_CLUSTER_NODES: seeds }).then(
        async (r) => {
          await r.stop();
          return expect.fail('started with a wrong password');
        },
        (e: unknown) => e as Error,
      );
      expect(err.message).to.not.include(wrong).and.not.include(password);
    } finally {
      await cluster.destroy();
    }
  });

  it('device-registry check scans every master: nothing in a store the registry wrote, then finds and repairs a stray marker', async function () {
    const store = await sharedStore();
    expect(await store.command('FLUSHALL')).to.equal('+OK');
    const registry = await startTestRegistry({ ...store.env });
    const check = async (...args: string[]) => {
      try {
        const { stdout } = await exec(process.execPath, [CLI, 'check', ...args], { env: { PATH: process.env.PATH ?? '', ...store.env }, timeout: 20_000 });
        return { code: 0, stdout };
      } catch (err) {
        return err as { code: number; stdout: string };
      }
    };
    try {
      // Tenants hash to different masters; devices, credentials and a denied device in each.
      for (const tenant of ['alpha', 'bravo', 'charlie', 'delta']) {
        expect((await http(registry.base, 'POST', '/tenant', { 'tenant-id': tenant })).status).to.equal(201);
        for (const device of ['d1', 'd2']) {
          expect((await http(registry.base, 'POST', `/registration/${tenant}`, { 'device-id': device })).status).to.equal(201);
          const credentials = { 'device-id': device, type: 'hashed-password', 'auth-id': `${device}-auth`, secrets: [{ 'pwd-plain': 'a-secret-1' }] };
          expect((await http(registry.base, 'POST', `/credentials/${tenant}`, credentials)).status).to.equal(201);
        }
        expect((await http(registry.base, 'DELETE', `/registration/${tenant}/d2`)).status).to.equal(204);
        // The denied list is read with a MULTI pipeline routed to the tenant's master.
        expect((await http(registry.base, 'GET', `/denied-devices/${tenant}`)).json).to.deep.equal(['d2']);
      }
      const clean = await check();
      expect(clean.stdout.trim()).to.equal('0 finding(s)');
      expect(clean.code).to.equal(0);

      // redis-cli -c follows the MOVED redirection to the master of the key's slot.
      const [host, port] = String(store.env.REGISTRY_REDIS_CLUSTER_NODES).split(',')[0]?.split(':') ?? [];
      expect((await exec('redis-cli', ['-c', '-h', String(host), '-p', String(port), 'SET', keys.tenantMarker('ghost'), '1'])).stdout.trim()).to.equal('OK');
      const found = await check('--json');
      expect(found.code).to.equal(1);
      expect((JSON.parse(found.stdout) as { counts: Record<string, number> }).counts).to.deep.equal({ 'marker-without-tenant': 1 });
      expect((await check('--fix')).stdout).to.include('repaired 1');
      expect((await check()).stdout.trim()).to.equal('0 finding(s)');
    } finally {
      await registry.stop();
    }
  });
});
