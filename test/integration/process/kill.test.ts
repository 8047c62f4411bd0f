/**
 * Faults of the registry process (issue 6, docs/reliability.md): SIGKILL under write load leaves
 * no half-written state (`device-registry check` finds nothing once a restart has recovered, and
 * every acknowledged write is there); SIGTERM under HTTP and AMQP load answers every request in
 * flight, detaches the links, closes Redis and exits 0, and the data is there after a restart.
 * The tests wait on events (acknowledged writes, dispositions, answers, the exit), never on time.
 */
import { EventEmitter, once } from 'node:events';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { http } from '../../helpers/registry.js';
import { freePort, startTestRedis, type TestRedis } from '../../helpers/redis-server.js';
import { startRegistryProcess, type RegistryProcess } from '../../helpers/process.js';
import { runCli } from '../../helpers/cli.js';
import type { EventContext, Message } from 'rhea';
import { openClient, type AmqpClient } from '../../helpers/amqp-client.js';

describe('registry process faults', function () {
  this.timeout(120_000);
  let redis: TestRedis;
  let dataDir: string;
  let running: RegistryProcess | undefined;
  let httpPort: number;
  let amqpPort: number;

  before(async () => {
    redis = await startTestRedis();
  });
  after(() => redis.destroy());

  beforeEach(async () => {
    await redis.command('FLUSHALL');
    dataDir = mkdtempSync(join(tmpdir(), 'registry-faults-'));
    httpPort = await freePort();
    amqpPort = await freePort();
  });

  afterEach(async () => {
    await running?.stop('SIGKILL');
    running = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(): Promise<string> {
    running = startRegistryProcess({
      REGISTRY_REDIS_URL: redis.url, REGISTRY_DATA_DIR: dataDir, REGISTRY_HTTP_PORT: String(httpPort), REGISTRY_AMQP_PORT: String(amqpPort),
      REGISTRY_HTTP_AUTH: 'none', REGISTRY_BCRYPT_COST: '4', REGISTRY_AMQP_ANONYMOUS: 'true',
    });
    await running.waitFor(/AMQP 1.0 listening/, 30_000);
    return `http://127.0.0.1:${httpPort}`;
  }

  const cred = (device: string, authId: string) => ({
    'device-id': device, type: 'hashed-password', 'auth-id': authId, secrets: [{ 'hash-function': 'sha-256', 'pwd-hash': Buffer.alloc(32, 7).toString('base64') }],
  });

  /** What the load knows for certain: writes acknowledged before the kill. */
  interface Acknowledged {
    readonly devices: Set<string>;
    readonly credentials: Set<string>;
    readonly deletedDevices: Set<string>;
    readonly tenants: Set<string>;
    readonly deletedTenants: Set<string>;
    /** Tenants whose deletion was sent (it may have taken effect without an answer). */
    readonly tenantsDeleting: Set<string>;
    /** Emits `device` for each acknowledged device. */
    readonly events: EventEmitter;
  }

  /** Resolves once `count` devices are acknowledged. */
  function devicesAcknowledged(ack: Acknowledged, count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (ack.devices.size < count) return;
        ack.events.off('device', check);
        resolve();
      };
      ack.events.on('device', check);
      check();
    });
  }

  /** One worker: tenants with devices and credentials, deletions of both, until `stop()` is true. */
  async function writeLoad(base: string, worker: number, stop: () => boolean, ack: Acknowledged): Promise<void> {
    const attempt = async (method: string, path: string, body?: unknown): Promise<number> => {
      try {
        return (await http(base, method, path, body)).status;
      } catch {
        return 0; // the process is gone
      }
    };
    for (let round = 0; !stop(); round++) {
      const tenant = `w${worker}-t${round}`;
      if ((await attempt('POST', '/tenant', { 'tenant-id': tenant })) !== 201) continue;
      ack.tenants.add(tenant);
      for (let d = 0; d < 6 && !stop(); d++) {
        const device = `d${d}`;
        if ((await attempt('POST', `/registration/${tenant}`, { 'device-id': device })) === 201) {
          ack.devices.add(`${tenant}/${device}`);
          ack.events.emit('device');
        }
        if ((await attempt('POST', `/credentials/${tenant}`, cred(device, `a${d}`))) === 201) ack.credentials.add(`${tenant}/a${d}`);
      }
      if ((await attempt('DELETE', `/registration/${tenant}/d0`)) === 204) ack.deletedDevices.add(`${tenant}/d0`);
      await attempt('DELETE', `/credentials/${tenant}/d1`);
      if (round % 2 === 1) {
        ack.tenantsDeleting.add(tenant);
        if ((await attempt('DELETE', `/tenant/${tenant}`)) === 204) ack.deletedTenants.add(tenant);
      }
    }
  }

  it('SIGKILL under write load leaves nothing half-written: after a restart check finds nothing and every acknowledged write is there', async function () {
    const ack: Acknowledged = {
      devices: new Set(), credentials: new Set(), deletedDevices: new Set(), tenants: new Set(), deletedTenants: new Set(), tenantsDeleting: new Set(), events: new EventEmitter(),
    };
    for (let cycle = 0; cycle < 3; cycle++) {
      const base = await start();
      let killed = false;
      const workers = Array.from({ length: 12 }, (_, w) => writeLoad(base, cycle * 100 + w, () => killed, ack));
      // Kill once a fair number of writes went through, while the workers are mid-way.
      await devicesAcknowledged(ack, ack.devices.size + 150);
      running?.child.kill('SIGKILL');
      await running?.exited;
      killed = true;
      await Promise.all(workers);
    }

    // The restart's recovery finishes what the kills interrupted (tenant deletions, markers).
    const base = await start();
    const check = await runCli(redis.url, 'check');
    expect(check.stdout.trim(), check.stdout + check.stderr).to.equal('0 finding(s)');
    expect(check.code).to.equal(0);

    for (const tenant of ack.tenants) {
      if (ack.deletedTenants.has(tenant)) expect((await http(base, 'GET', `/tenant/${tenant}`)).status, tenant).to.equal(404);
      else if (!ack.tenantsDeleting.has(tenant)) expect((await http(base, 'GET', `/tenant/${tenant}`)).status, tenant).to.equal(200);
    }
    for (const key of ack.devices) {
      const [tenant] = key.split('/') as [string];
      if (ack.tenantsDeleting.has(tenant) || ack.deletedDevices.has(key)) continue;
      if (key.endsWith('/d0')) continue; // its deletion may have been in flight at the kill
      expect((await http(base, 'GET', `/registration/${key}`)).status, key).to.equal(200);
    }
    for (const key of ack.deletedDevices) {
      if (!ack.tenantsDeleting.has(key.split('/')[0] as string)) expect((await http(base, 'GET', `/registration/${key}`)).status, key).to.equal(404);
    }
    for (const key of ack.credentials) {
      const [tenant, authId] = key.split('/') as [string, string];
      if (ack.tenantsDeleting.has(tenant) || authId === 'a0' || authId === 'a1') continue; // deleted with d0, or by the d1 deletion
      expect((await http(base, 'GET', `/credentials/${tenant}/${authId}/hashed-password`)).status, key).to.equal(200);
    }
    expect(ack.devices.size).to.be.greaterThan(300);
  });

  it('SIGTERM under HTTP and AMQP load answers every request in flight, detaches the links and exits 0; the data is there after a restart', async function () {
    let base = await start();
    expect((await http(base, 'POST', '/tenant', { 'tenant-id': 'term' })).status).to.equal(201);
    for (let i = 0; i < 20; i++) expect((await http(base, 'POST', '/registration/term', { 'device-id': `d${i}` })).status).to.equal(201);

    const client: AmqpClient = await openClient({ port: amqpPort, anonymous: true });
    const link = await client.link('registration/term');
    const answers: unknown[] = [];
    const allAnswered = new Promise<void>((resolve) => {
      link.receiver.on('message', (ctx: EventContext) => {
        answers.push(ctx.message?.application_properties?.status);
        if (answers.length === 40) resolve();
      });
    });
    // HTTP requests whose head the registry has parsed and half of whose body is sent: in flight at the signal.
    const posts = await Promise.all(Array.from({ length: 20 }, (_, i) => halfSentPost(httpPort, '/registration/term', { 'device-id': `late-${i}`, ep: 'x'.repeat(200) })));
    const firstAccepted = once(link.sender, 'accepted');
    for (let i = 0; i < 40; i++) {
      link.sender.send({ message_id: `m${i}`, reply_to: link.replyAddress, subject: 'assert', application_properties: { device_id: `d${i % 20}` } } as unknown as Message);
    }
    // The signal comes while AMQP requests are being handled: at least one is accepted.
    await firstAccepted;
    running?.child.kill('SIGTERM');
    for (const post of posts) post.finish();

    const httpAnswers = await Promise.all(posts.map((p) => p.answered));
    await allAnswered;
    const code = await running?.exited;
    running = undefined;

    expect(httpAnswers).to.deep.equal(Array(20).fill(201));
    expect(answers).to.deep.equal(Array(40).fill(200));
    expect(code).to.equal(0);
    // Detached by the registry with a detach frame each, before the connection closed.
    const remote = (l: unknown) => (l as { remote: { detach?: { closed?: boolean } } }).remote.detach;
    expect(remote(link.sender)).to.include({ closed: true });
    expect(remote(link.receiver)).to.include({ closed: true });
    await client.close();

    base = await start();
    for (let i = 0; i < 20; i++) expect((await http(base, 'GET', `/registration/term/late-${i}`)).status, `late-${i}`).to.equal(200);
  });
});

/**
 * A POST whose head the registry has parsed (it answered `100 Continue`) and half of whose body is
 * written; `finish()` sends the rest.
 */
function halfSentPost(port: number, path: string, body: unknown): Promise<{ finish(): void; answered: Promise<number> }> {
  const text = Buffer.from(JSON.stringify(body));
  const half = Math.floor(text.length / 2);
  return new Promise((resolve, reject) => {
    const headers = { 'Content-Type': 'application/json', 'Content-Length': text.length, Expect: '100-continue' };
    const req = request({ port, host: '127.0.0.1', method: 'POST', path, headers });
    const answered = new Promise<number>((done, fail) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      });
      req.on('error', fail);
    });
    req.once('error', reject);
    req.once('continue', () => req.write(text.subarray(0, half), () => resolve({ finish: () => req.end(text.subarray(half)), answered })));
    req.flushHeaders();
  });
}
