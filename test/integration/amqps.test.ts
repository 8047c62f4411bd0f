/**
 * AMQPS (REGISTRY_AMQP_TLS_CERT/_KEY) with SASL PLAIN, and SASL EXTERNAL by client certificate CN
 * (REGISTRY_AMQP_TLS_CLIENT_CA), against a real registry and Redis.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import bcrypt from 'bcrypt';
import { expect } from 'chai';
import { clientRhea } from '../helpers/fresh-rhea.js';
import type { Connection, EventContext } from 'rhea';
import { sharedRedis } from '../helpers/root-hooks.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const exec = promisify(execFile);

async function makePki(dir: string): Promise<void> {
  const openssl = (...args: string[]) => exec('openssl', args, { cwd: dir });
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=test-ca', '-days', '1', '-keyout', 'ca.key', '-out', 'ca.pem');
  for (const name of ['server', 'mqtt-adapter', 'stranger']) {
    const cn = name === 'server' ? 'localhost' : name;
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', `${name}.pem`);
  }
}

/** Opens a TLS connection and resolves with the outcome of a tenant get, or the connection error. */
function tenantGet(port: number, dir: string, options: Record<string, unknown>): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const container = clientRhea.rhea.create_container();
    container.on('error', () => undefined); // link refusals after a refused login are expected here
    const conn: Connection = container.connect({
      transport: 'tls', host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(join(dir, 'ca.pem')), reconnect: false, ...options,
    } as never);
    let done = false;
    const finish = (result: { status?: number; error?: string }) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      conn.close();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ error: 'timeout' }), 5000);
    conn.on('connection_error', (ctx: EventContext) => finish({ error: String((ctx.connection.error as { condition?: string } | undefined)?.condition ?? 'connection error') }));
    conn.on('connection_close', (ctx: EventContext) => finish({ error: String((ctx.connection.error as { condition?: string } | undefined)?.condition ?? 'closed') }));
    conn.on('disconnected', () => finish({ error: 'disconnected' }));
    const receiver = conn.open_receiver({ source: { address: 'tenant/tls-reply' } });
    receiver.on('message', (ctx: EventContext) => finish({ status: ctx.message?.application_properties?.status as number }));
    receiver.on('receiver_open', () => {
      const sender = conn.open_sender({ target: { address: 'tenant' } });
      sender.on('sendable', () => {
        sender.send({ message_id: 'tls-1', subject: 'get', reply_to: 'tenant/tls-reply', body: clientRhea.rhea.message.data_section(Buffer.from('{"tenant-id":"DEFAULT_TENANT"}')) });
      });
    });
  });
}

describe('AMQPS and SASL EXTERNAL', function () {
  this.timeout(30_000);
  let dir: string;
  let registry: TestRegistry;

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'registry-pki-'));
    await makePki(dir);
    const hash = bcrypt.hashSync('adapter-secret', bcrypt.genSaltSync(4, 'a'));
    const role = [{ resource: 'tenant', activities: ['READ', 'WRITE'] }, { operation: 'tenant/*:get', activities: ['EXECUTE'] }];
    writeFileSync(join(dir, 'accounts.json'), JSON.stringify({
      roles: { adapter: role },
      users: { 'http-adapter@HONO': { mechanism: 'PLAIN', 'password-hash': hash, authorities: ['adapter'] }, 'mqtt-adapter': { mechanism: 'EXTERNAL', authorities: ['adapter'] } },
    }));
    const redis = await sharedRedis();
    await redis.command('FLUSHALL');
    registry = await startTestRegistry({
      REGISTRY_REDIS_URL: redis.url,
      REGISTRY_AMQPS_PORT: '0',
      REGISTRY_AMQP_TLS_CERT: join(dir, 'server.pem'),
      REGISTRY_AMQP_TLS_KEY: join(dir, 'server.key'),
      REGISTRY_AMQP_TLS_CLIENT_CA: join(dir, 'ca.pem'),
      REGISTRY_AMQP_ACCOUNTS_FILE: join(dir, 'accounts.json'),
    });
  });

  after(async function () {
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves SASL PLAIN over TLS on the AMQPS port', async function () {
    const port = registry.registry.amqpsPort as number;
    expect(await tenantGet(port, dir, { username: 'http-adapter@HONO', password: 'adapter-secret' })).to.deep.equal({ status: 200 });
  });

  it('authenticates SASL EXTERNAL by the CN of a client certificate signed by the configured CA', async function () {
    const port = registry.registry.amqpsPort as number;
    const result = await tenantGet(port, dir, { enable_sasl_external: true, cert: readFileSync(join(dir, 'mqtt-adapter.pem')), key: readFileSync(join(dir, 'mqtt-adapter.key')) });
    expect(result).to.deep.equal({ status: 200 });
  });

  it('closes the connection of a certificate whose CN has no account', async function () {
    const port = registry.registry.amqpsPort as number;
    const result = await tenantGet(port, dir, { enable_sasl_external: true, cert: readFileSync(join(dir, 'stranger.pem')), key: readFileSync(join(dir, 'stranger.key')) });
    expect(result).to.deep.equal({ error: 'amqp:unauthorized-access' });
  });
});
