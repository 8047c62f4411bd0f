/**
 * Authentication modes of the management API (docs/security.md "Bearer tokens"):
 * REGISTRY_HTTP_AUTH=none only on loopback and with a loud warning, token as the default, and the
 * HTTPS listener of REGISTRY_HTTP_TLS_CERT / REGISTRY_HTTP_TLS_KEY.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { http, startTestRegistry, type TestRegistry } from '../../helpers/registry.js';
import { sharedRedis } from '../../helpers/root-hooks.js';
import { BOOTSTRAP, bearer, expectJsonError, flushRedis, startTokenRegistry } from '../../helpers/security.js';

const exec = promisify(execFile);

async function rejection(promise: Promise<TestRegistry>): Promise<Error> {
  try {
    const started = await promise;
    await started.stop();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the registry started');
}

interface LogLine {
  level: number;
  msg: string;
}

const parsed = (logs: readonly string[]): LogLine[] => logs.map((l) => JSON.parse(l) as LogLine);

interface HttpsAnswer { status: number; text: string; authorized: boolean; setCookie: string[] }

function httpsCall(port: number, method: string, path: string, ca: Buffer, headers: Record<string, string> = {}, body?: string): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', servername: 'localhost', port, path, method, ca, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const authorized = (res.socket as unknown as { authorized?: boolean }).authorized === true;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), authorized, setCookie: res.headers['set-cookie'] ?? [] }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const httpsGet = (port: number, path: string, ca: Buffer, headers: Record<string, string> = {}) => httpsCall(port, 'GET', path, ca, headers);

describe('management API authentication modes', function () {
  this.timeout(20_000);
  let redisUrl: string;

  before(async function () {
    await flushRedis();
    redisUrl = (await sharedRedis()).url;
  });

  after(flushRedis);

  describe('REGISTRY_HTTP_AUTH=none', function () {
    for (const address of ['0.0.0.0', '::', '192.0.2.10']) {
      it(`is refused with the non-loopback REGISTRY_BIND_ADDRESS=${address}, naming REGISTRY_HTTP_AUTH`, async function () {
        const err = await rejection(startTestRegistry({ REGISTRY_REDIS_URL: redisUrl, REGISTRY_HTTP_AUTH: 'none', REGISTRY_BIND_ADDRESS: address }));
        expect(err.message).to.include('REGISTRY_HTTP_AUTH');
        expect(err.message).to.include(address);
      });
    }

    it('on loopback logs a loud warning and accepts requests without a token', async function () {
      const registry = await startTestRegistry({ REGISTRY_REDIS_URL: redisUrl, REGISTRY_HTTP_AUTH: 'none', REGISTRY_BIND_ADDRESS: '127.0.0.1' });
      try {
        const warnings = parsed(registry.logs).filter((l) => l.level >= 40 && l.msg.includes('REGISTRY_HTTP_AUTH=none'));
        expect(warnings, registry.logs.join('\n')).to.have.length(1);
        expect(warnings[0]?.msg).to.include('without authentication');
        expect((await http(registry.base, 'GET', '/tenant/DEFAULT_TENANT')).status).to.equal(200);
        expect((await http(registry.base, 'POST', '/tenant', { 'tenant-id': 'anonymous-mode' })).status).to.equal(201);
        // whatever header comes along
        expect((await http(registry.base, 'GET', '/tenant/anonymous-mode', undefined, { Authorization: 'Bearer junk' })).status).to.equal(200);
        const audit = await http(registry.base, 'GET', '/audit');
        expect(audit.status).to.equal(200);
        expect((audit.json as { token: string; action: string }[]).find((e) => e.action === 'createTenant')?.token).to.equal('anonymous');
      } finally {
        await registry.stop();
      }
    });
  });

  describe('REGISTRY_HTTP_AUTH=token', function () {
    it('is the default: without the variable, requests need a token', async function () {
      const registry = await startTestRegistry({ REGISTRY_REDIS_URL: redisUrl, REGISTRY_HTTP_AUTH: '', REGISTRY_BOOTSTRAP_TOKEN: BOOTSTRAP });
      try {
        expectJsonError(await http(registry.base, 'GET', '/tenant/DEFAULT_TENANT'), 401);
        expect((await http(registry.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, bearer(BOOTSTRAP))).status).to.equal(200);
        expect(parsed(registry.logs).some((l) => l.msg.includes('REGISTRY_HTTP_AUTH=none'))).to.equal(false);
      } finally {
        await registry.stop();
      }
    });

    it('may listen on a non-loopback address', async function () {
      const registry = await startTokenRegistry({ REGISTRY_BIND_ADDRESS: '0.0.0.0' });
      try {
        expectJsonError(await http(registry.base, 'GET', '/tokens'), 401);
        expect((await http(registry.base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP))).status).to.equal(200);
      } finally {
        await registry.stop();
      }
    });

    it('refuses unknown modes and a malformed REGISTRY_BOOTSTRAP_TOKEN', async function () {
      expect((await rejection(startTestRegistry({ REGISTRY_REDIS_URL: redisUrl, REGISTRY_HTTP_AUTH: 'basic' }))).message).to.include('REGISTRY_HTTP_AUTH');
      for (const value of ['too-short', 'has spaces in it but is long enough to pass', `${'x'.repeat(40)}"`]) {
        const err = await rejection(startTestRegistry({ REGISTRY_REDIS_URL: redisUrl, REGISTRY_HTTP_AUTH: 'token', REGISTRY_BOOTSTRAP_TOKEN: value }));
        expect(err.message).to.include('REGISTRY_BOOTSTRAP_TOKEN');
        expect(err.message).to.not.include(value);
      }
      const pepper = await rejection(startTestRegistry({ REGISTRY_REDIS_URL: redisUrl, REGISTRY_HTTP_AUTH: 'token', REGISTRY_TOKEN_PEPPER: 'short-pepper' }));
      expect(pepper.message).to.include('REGISTRY_TOKEN_PEPPER');
      expect(pepper.message).to.not.include('short-pepper');
    });
  });

  describe('HTTPS (REGISTRY_HTTP_TLS_CERT, REGISTRY_HTTP_TLS_KEY)', function () {
    let dir: string;
    let cert: string;
    let key: string;

    before(async function () {
      dir = await mkdtemp(join(tmpdir(), 'registry-security-tls-'));
      cert = join(dir, 'cert.pem');
      key = join(dir, 'key.pem');
      await exec('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert,
        '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ]);
    });

    after(async function () {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    it('serves the management API over HTTPS with token authentication, and no plain HTTP on that port', async function () {
      const registry = await startTokenRegistry({ REGISTRY_HTTP_TLS_CERT: cert, REGISTRY_HTTP_TLS_KEY: key });
      try {
        const ca = await readFile(cert);
        const port = registry.registry.httpPort;
        const anonymous = await httpsGet(port, '/tenant/DEFAULT_TENANT', ca);
        expect(anonymous.status).to.equal(401);
        expect(anonymous.authorized).to.equal(true);
        const ok = await httpsGet(port, '/tenant/DEFAULT_TENANT', ca, bearer(BOOTSTRAP));
        expect(ok.status, ok.text).to.equal(200);
        expect(JSON.parse(ok.text)).to.be.an('object');
        let plain: number | Error;
        try {
          plain = (await http(`http://127.0.0.1:${port}`, 'GET', '/tenant/DEFAULT_TENANT', undefined, bearer(BOOTSTRAP))).status;
        } catch (err) {
          plain = err as Error;
        }
        expect(plain).to.not.equal(200);
        // a client that does not trust the certificate is refused
        let untrusted: unknown;
        try {
          await httpsGet(port, '/tenant/DEFAULT_TENANT', Buffer.from(''), bearer(BOOTSTRAP));
        } catch (err) {
          untrusted = err;
        }
        expect(untrusted).to.be.instanceOf(Error);
      } finally {
        await registry.stop();
      }
    });

    it('gives the console a __Host- session cookie marked Secure, and accepts it over HTTPS', async function () {
      const registry = await startTokenRegistry({ REGISTRY_HTTP_TLS_CERT: cert, REGISTRY_HTTP_TLS_KEY: key });
      try {
        const ca = await readFile(cert);
        const port = registry.registry.httpPort;
        const origin = { 'X-Registry-Console': '1', Origin: `https://127.0.0.1:${port}`, 'Content-Type': 'application/json' };
        const signedIn = await httpsCall(port, 'POST', '/session', ca, origin, JSON.stringify({ token: BOOTSTRAP }));
        expect(signedIn.status, signedIn.text).to.equal(201);
        const [set = ''] = signedIn.setCookie;
        expect(set).to.match(/^__Host-registry-session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
        const cookie = set.split(';')[0] as string;
        expect((await httpsGet(port, '/session', ca, { Cookie: cookie })).status).to.equal(200);
        // the plain name is no session over TLS: a cookie set over plain HTTP does not count
        expect((await httpsGet(port, '/session', ca, { Cookie: cookie.replace('__Host-', '') })).status).to.equal(401);
        const out = await httpsCall(port, 'DELETE', '/session', ca, { ...origin, Cookie: cookie });
        expect(out.setCookie).to.deep.equal(['__Host-registry-session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure']);
      } finally {
        await registry.stop();
      }
    });

    it('refuses a certificate without a key', async function () {
      const err = await rejection(startTokenRegistry({ REGISTRY_HTTP_TLS_CERT: cert }));
      expect(err.message).to.include('REGISTRY_HTTP_TLS_KEY');
    });
  });
});
