/**
 * `make run`'s process: the built registry with its embedded redis-server.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { http as plainHttp } from '../../helpers/registry.js';
import { freePort } from '../../helpers/redis-server.js';
import { startRegistryProcess, type RegistryProcess } from '../../helpers/process.js';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('registry process with the embedded Redis', function () {
  this.timeout(60_000);
  let dataDir: string;
  let running: RegistryProcess | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'registry-embedded-'));
  });

  afterEach(async () => {
    await running?.stop('SIGKILL');
    running = undefined;
    const pidFile = join(dataDir, 'redis.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Starts the built registry; its requests use the admin token a first start writes to the data dir. */
  async function start(port: number): Promise<string> {
    running = startRegistryProcess({ REGISTRY_DATA_DIR: dataDir, REGISTRY_HTTP_PORT: String(port), REGISTRY_AMQP_PORT: '0', REGISTRY_BCRYPT_COST: '4' });
    await running.waitFor(/AMQP 1.0 listening/);
    return `http://127.0.0.1:${port}`;
  }

  const http = (base: string, method: string, path: string, body?: unknown) =>
    plainHttp(base, method, path, body, { Authorization: `Bearer ${readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()}` });

  it('keeps data across a restart and stops its redis-server on SIGTERM with exit code 0', async function () {
    const port = await freePort();
    let base = await start(port);
    expect((await http(base, 'GET', '/tenant/DEFAULT_TENANT')).status).to.equal(200);
    expect((await http(base, 'POST', '/registration/DEFAULT_TENANT', { 'device-id': 'survivor', ep: 'x' })).status).to.equal(201);
    expect((await http(base, 'DELETE', '/tenant/DEFAULT_TENANT')).status).to.equal(204);
    expect((await http(base, 'POST', '/tenant', { 'tenant-id': 'kept' })).status).to.equal(201);
    expect((await http(base, 'POST', '/registration/kept', { 'device-id': 'd1', ep: 'IMEI' })).status).to.equal(201);
    const redisPid = Number(readFileSync(join(dataDir, 'redis.pid'), 'utf8'));

    expect(await running?.stop('SIGTERM')).to.equal(0);
    expect(isAlive(redisPid)).to.equal(false);
    expect(existsSync(join(dataDir, 'appendonlydir'))).to.equal(true);

    base = await start(port);
    const device = await http(base, 'GET', '/registration/kept/d1');
    expect(device.status).to.equal(200);
    expect(device.json).to.deep.equal({ 'device-id': 'd1', data: { enabled: true, ep: 'IMEI' } });
    // The default tenant is created only in a fresh store: its deletion is remembered.
    expect((await http(base, 'GET', '/tenant/DEFAULT_TENANT')).status).to.equal(404);
  });

  it('stops a redis-server left behind by a killed registry and starts cleanly', async function () {
    const port = await freePort();
    const base = await start(port);
    expect((await http(base, 'POST', '/registration/DEFAULT_TENANT', { 'device-id': 'd2' })).status).to.equal(201);
    const orphan = Number(readFileSync(join(dataDir, 'redis.pid'), 'utf8'));
    await running?.stop('SIGKILL');
    expect(isAlive(orphan)).to.equal(true);
    // No wait for the orphan's once-a-second fsync: the next start stops it with SIGTERM, on which
    // redis-server writes out its append-only file, so the write is there at once.

    const again = await start(port);
    expect(isAlive(orphan)).to.equal(false);
    expect((await http(again, 'GET', '/registration/DEFAULT_TENANT/d2')).status).to.equal(200);
  });

  it('refuses a data directory another running registry is using', async function () {
    await start(await freePort());
    const second = startRegistryProcess({ REGISTRY_DATA_DIR: dataDir, REGISTRY_HTTP_PORT: String(await freePort()), REGISTRY_AMQP_PORT: '0' });
    expect(await second.exited).to.equal(1);
    expect(second.output.join('\n')).to.match(/in use by the registry with pid/);
  });

  it('creates an admin token on the first start and refuses requests without a token (401)', async function () {
    const base = await start(await freePort());
    const line = await running?.waitFor(/created an admin token/);
    expect(line).to.include(join(dataDir, 'admin-token'));
    expect(line).to.not.include(readFileSync(join(dataDir, 'admin-token'), 'utf8').trim());
    expect((await plainHttp(base, 'GET', '/tenant/DEFAULT_TENANT')).status).to.equal(401);
    expect((await http(base, 'GET', '/tenant/DEFAULT_TENANT')).status).to.equal(200);
  });

  it('exits with status 2 and one message listing every configuration problem', async function () {
    running = startRegistryProcess({ REGISTRY_HTTP_PORT: 'eighty', REGISTRY_MAX_BCRYPT_COST: '99', REGISTRY_LOG_LEVEL: 'loud', REGISTRY_DATA_DIR: dataDir });
    expect(await running.exited).to.equal(2);
    const text = running.output.join('\n');
    expect(text).to.include('REGISTRY_HTTP_PORT').and.include('REGISTRY_MAX_BCRYPT_COST').and.include('REGISTRY_LOG_LEVEL');
  });
});
