/**
 * `Authorization` is a singleton header (RFC 9110 §11.6.2): a request carrying it twice answers
 * 400 on every secured route, whichever of the two is valid, and counts as no failed
 * authentication (no token was checked). Sent over a raw socket: fetch would merge the two.
 */
import { connect } from 'node:net';
import { expect } from 'chai';
import { isPublic } from '../../../src/http/route.js';
import { ROUTES } from '../../../src/http/routes.js';
import { http, type TestRegistry } from '../../helpers/registry.js';
import { BOOTSTRAP, bearer, concretePath, expectJsonError, flushRedis, startTokenRegistry } from '../../helpers/security.js';

/** One request with the given header lines; resolves with the status and the body of the answer. */
function rawRequest(port: number, method: string, path: string, headerLines: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`${method} ${path} HTTP/1.1\r\nHost: registry\r\nConnection: close\r\nContent-Length: 0\r\n${headerLines.map((l) => `${l}\r\n`).join('')}\r\n`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

describe('a request with two Authorization headers', function () {
  this.timeout(20_000);
  let registry: TestRegistry;
  const WRONG = 'Authorization: Bearer dr_wrongwrongwrongwrongwrongwrongwrongwrongwro';
  const VALID = `Authorization: Bearer ${BOOTSTRAP}`;

  before(async function () {
    await flushRedis();
    registry = await startTokenRegistry({ REGISTRY_AUTH_FAILURE_LIMIT: '3' });
  });

  after(async function () {
    await registry?.stop();
    await flushRedis();
  });

  it('answers 400 with a JSON error on every secured route, whichever header comes first', async function () {
    const port = registry.registry.httpPort;
    for (const route of ROUTES.filter((r) => !isPublic(r))) {
      const path = concretePath(route, 'DEFAULT_TENANT');
      for (const lines of [[VALID, WRONG], [WRONG, VALID], [VALID, VALID], [VALID, VALID.toLowerCase().replace(BOOTSTRAP.toLowerCase(), BOOTSTRAP)]]) {
        const res = await rawRequest(port, route.method, path, lines);
        expect(res.status, `${route.method} ${path}`).to.equal(400);
        expect(JSON.parse(res.body)).to.deep.equal({ error: 'the Authorization header may be given only once' });
      }
    }
  });

  it('counts as no failed authentication, and a single header still works', async function () {
    const port = registry.registry.httpPort;
    for (let i = 0; i < 10; i++) expect((await rawRequest(port, 'GET', '/tokens', [WRONG, WRONG])).status).to.equal(400);
    expectJsonError(await http(registry.base, 'GET', '/tokens', undefined, { Authorization: WRONG.slice('Authorization: '.length) }), 401);
    expect((await http(registry.base, 'GET', '/tokens', undefined, bearer(BOOTSTRAP))).status).to.equal(200);
    expect((await rawRequest(port, 'GET', '/tokens', [VALID])).status).to.equal(200);
  });

  it('is not checked on public routes (no token needed there)', async function () {
    expect((await rawRequest(registry.registry.httpPort, 'GET', '/health', [WRONG, VALID])).status).to.equal(200);
  });
});
