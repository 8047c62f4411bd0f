/**
 * Transport-level rules of the HTTP management API for every route that takes a body
 * (docs/amqp-api.md §7.5: `Content-Type: application/json` required, empty or non-JSON body 400)
 * plus the additions: JSON objects only, valid UTF-8, 64 KiB limit (413), JSON error
 * bodies for every 4xx, 404 for unknown paths and 405 for a wrong method on a known path.
 */
import { Agent, request } from 'node:http';
import { expect } from 'chai';
import { ROUTES } from '../../../src/http/routes.js';
import { loadSchemas } from '../../../src/validation.js';
import { http, type HttpResult } from '../../helpers/registry.js';
import { createTenant, expectCreated, expectError, expectOk, rawRequest, useRegistry } from './support.js';

const TENANT = 'tenant-e';
const LIMIT = 64 * 1024;

/** A concrete path for a route template. */
function concrete(path: string): string {
  return path
    .replace('{tenantId}', TENANT)
    .replace('{deviceId}', 'device-1')
    .replace('{authId}', 'auth-1')
    .replace('{type}', 'hashed-password');
}

/** A valid-looking body for a route, so that only the property under test is wrong. */
function validBody(path: string): Record<string, unknown> {
  if (path.startsWith('/v1/tenants')) return { ext: {} };
  if (path.startsWith('/tenant')) return { 'tenant-id': path === '/tenant' ? 'new-tenant' : TENANT };
  if (path.startsWith('/registration')) return path.includes('{deviceId}') ? { enabled: true } : { 'device-id': 'device-1' };
  if (path.startsWith('/v1/devices')) return { enabled: true };
  if (path.startsWith('/v1/bulk/devices')) return { items: [{ id: 'device-1' }] };
  return { 'device-id': 'device-1', type: 'hashed-password', 'auth-id': 'auth-1', secrets: [{ 'pwd-plain': 'secret' }] };
}

/** Exactly `size` bytes of JSON: the valid body with a padding member. */
function paddedBody(path: string, size: number): Buffer {
  const base = JSON.stringify({ ...validBody(path), pad: '' });
  const pad = 'x'.repeat(size - Buffer.byteLength(base));
  const body = Buffer.from(JSON.stringify({ ...validBody(path), pad }));
  expect(body.length).to.equal(size);
  return body;
}

/**
 * Sends the body with chunked transfer encoding (no Content-Length), the way a streaming client does.
 * Without `agent` a fresh connection is used and closed afterwards.
 */
function chunkedRequest(base: string, method: string, path: string, body: Buffer, chunkSize = 4096, agent: Agent | false = false): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers = { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' };
    const req = request(`${base}${path}`, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
        resolve({ status: res.statusCode ?? 0, headers, text, json });
      });
    });
    req.on('error', reject);
    let offset = 0;
    const writeMore = (): void => {
      while (offset < body.length) {
        const chunk = body.subarray(offset, offset + chunkSize);
        offset += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', writeMore);
          return;
        }
      }
      req.end();
    };
    writeMore();
  });
}

describe('HTTP transport rules', function () {
  this.timeout(20_000);
  const suite = useRegistry();

  beforeEach(async function () {
    await createTenant(suite.base, TENANT);
  });

  const withBody = ROUTES.filter((route) => route.body !== undefined);

  it('has POST and PUT routes with bodies for every resource', function () {
    expect(withBody.map((r) => `${r.method} ${r.path}`)).to.include.members([
      'POST /tenant', 'PUT /tenant/{tenantId}',
      'POST /registration/{tenantId}', 'PUT /registration/{tenantId}/{deviceId}',
      'POST /credentials/{tenantId}', 'PUT /credentials/{tenantId}/{authId}/{type}',
    ]);
  });

  for (const route of withBody) {
    const name = `${route.method} ${route.path}`;
    const path = concrete(route.path);
    const json = () => Buffer.from(JSON.stringify(validBody(route.path)));
    // A PATCH body is a JSON merge patch; every other body is JSON.
    const type = { 'Content-Type': route.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' };
    // The console's sign-in comes from its own page: without that proof it is refused (403) before its body is read.
    const from = (headers: Record<string, string> = {}) => (route.sameOrigin === true ? { 'X-Registry-Console': '1', Origin: suite.base, ...headers } : headers);

    describe(name, function () {
      it('answers 400 without Content-Type', async function () {
        expectError(await rawRequest(suite.base, route.method, path, json(), from()), 400);
      });

      it('answers 400 with Content-Type text/plain', async function () {
        expectError(await rawRequest(suite.base, route.method, path, json(), from({ 'Content-Type': 'text/plain' })), 400);
      });

      it('answers 400 with Content-Type application/x-www-form-urlencoded', async function () {
        expectError(await rawRequest(suite.base, route.method, path, json(), from({ 'Content-Type': 'application/x-www-form-urlencoded' })), 400);
      });

      if (route.bodyOptional === true) {
        it('takes an empty or whitespace-only body as no body (Hono\'s optional POST body)', async function () {
          for (const body of [undefined, new Uint8Array(0), new TextEncoder().encode(' \r\n\t ')]) {
            const res = await rawRequest(suite.base, route.method, path, body, from(type));
            expect(res.status, res.text).to.be.oneOf([route.success.status, 409]);
          }
        });
      } else {
        it('answers 400 to an empty body', async function () {
          expectError(await rawRequest(suite.base, route.method, path, undefined, from(type)), 400);
          expectError(await rawRequest(suite.base, route.method, path, new Uint8Array(0), from(type)), 400);
        });

        it('answers 400 to a whitespace-only body', async function () {
          expectError(await http(suite.base, route.method, path, ' \r\n\t ', from(type)), 400);
        });
      }

      for (const text of ['{not json', 'tenant-id=x', '{"a":1} trailing', "{'a':1}"]) {
        it(`answers 400 to a body that is not JSON: ${text}`, async function () {
          expectError(await http(suite.base, route.method, path, text, from(type)), 400);
        });
      }

      // Bodies are objects, but for the routes whose schema is an array (/v1 credential sets).
      const shape = loadSchemas()[`${route.body}.json`]?.type === 'array' ? 'an array' : 'an object';
      const others = shape === 'an array' ? ['{}', '{"type":"psk"}'] : ['[]', '[{"tenant-id":"x"}]'];
      for (const text of [...others, '42', '"a string"', 'null', 'true']) {
        it(`answers 400 to JSON that is not ${shape}: ${text}`, async function () {
          expectError(await http(suite.base, route.method, path, text, from(type)), 400);
        });
      }

      it('answers 400 to invalid UTF-8 bytes', async function () {
        const valid = JSON.stringify(validBody(route.path));
        for (const bad of [[0xff, 0xfe], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]]) {
          // the invalid bytes become the value of an extra member
          const body = Buffer.concat([Buffer.from(`${valid.slice(0, -1)},"bad":"`), Buffer.from(bad), Buffer.from('"}')]);
          expectError(await rawRequest(suite.base, route.method, path, body, from(type)), 400);
        }
      });

      // A bulk route takes bodies up to REGISTRY_HTTP_MAX_BULK_BODY_BYTES (4 MiB).
      const limit = route.bulk === true ? 4 * 1024 * 1024 : LIMIT;
      it(`answers 413 to a body above ${limit / 1024} KiB`, async function () {
        expectError(await rawRequest(suite.base, route.method, path, paddedBody(route.path, limit + 1), from(type)), 413);
        expectError(await rawRequest(suite.base, route.method, path, paddedBody(route.path, Math.max(1024 * 1024, limit * 2)), from(type)), 413);
      });
    });
  }

  describe('body limits and media type parameters', function () {
    it('accepts a body of exactly 64 KiB', async function () {
      const res = await rawRequest(suite.base, 'POST', '/tenant', paddedBody('/tenant', LIMIT), { 'Content-Type': 'application/json' });
      expectCreated(res, '/tenant/new-tenant');
      expect((expectOk(await http(suite.base, 'GET', '/tenant/new-tenant')).pad as string).length).to.be.greaterThan(60_000);
    });

    it('answers 413 to a chunked body above 64 KiB sent without Content-Length', async function () {
      const res = await chunkedRequest(suite.base, 'POST', '/tenant', paddedBody('/tenant', 256 * 1024));
      expectError(res, 413);
      expectError(await http(suite.base, 'GET', '/tenant/new-tenant'), 404);
    });

    it('answers the next request on the same keep-alive connection after a 413 to a chunked body', async function () {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        expectError(await chunkedRequest(suite.base, 'POST', '/tenant', paddedBody('/tenant', 256 * 1024), 4096, agent), 413);
        // A connection left waiting for the rest of the refused body would leave this unanswered.
        expectCreated(await chunkedRequest(suite.base, 'POST', '/tenant', paddedBody('/tenant', 1000), 4096, agent), '/tenant/new-tenant');
      } finally {
        agent.destroy();
      }
    });

    it('accepts a chunked body within the limit', async function () {
      expectCreated(await chunkedRequest(suite.base, 'POST', '/tenant', paddedBody('/tenant', 10_000), 1000), '/tenant/new-tenant');
    });

    it('accepts Content-Type parameters and any case of the media type', async function () {
      expectCreated(await http(suite.base, 'POST', '/tenant', { 'tenant-id': 'a' }, { 'Content-Type': 'application/json; charset=utf-8' }));
      expectCreated(await http(suite.base, 'POST', '/tenant', { 'tenant-id': 'b' }, { 'Content-Type': 'Application/JSON' }));
    });

    it('answers 400 to the JSON media type with a suffix (application/json-patch+json)', async function () {
      expectError(await http(suite.base, 'POST', '/tenant', { 'tenant-id': 'a' }, { 'Content-Type': 'application/json-patch+json' }), 400);
    });
  });

  describe('unknown paths and methods', function () {
    for (const path of ['/', '/nope', '/tenants', '/tenant/a/b', '/registration', `/registration/${TENANT}/d/extra`, `/credentials/${TENANT}/a/b/c`, '/v1', '/v1/tenant', `/v1/tenants/${TENANT}/extra`]) {
      it(`answers 404 with a JSON error to GET ${path}`, async function () {
        expectError(await http(suite.base, 'GET', path), 404);
      });
    }

    it('answers 404 with a JSON error to a POST on an unknown path', async function () {
      expectError(await http(suite.base, 'POST', '/nope', { a: 1 }), 404);
    });

    const wrongMethods: [string, string][] = [
      ['GET', '/tenant'],
      ['DELETE', '/tenant'],
      ['POST', `/tenant/${TENANT}`],
      ['PATCH', `/tenant/${TENANT}`],
      ['GET', `/registration/${TENANT}`],
      ['PUT', `/registration/${TENANT}`],
      ['POST', `/registration/${TENANT}/device-1`],
      ['GET', `/credentials/${TENANT}`],
      ['PUT', `/credentials/${TENANT}/device-1`],
      ['POST', `/credentials/${TENANT}/auth-1/hashed-password`],
    ];
    for (const [method, path] of wrongMethods) {
      it(`answers 405 with a JSON error to ${method} ${path}`, async function () {
        const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? { 'tenant-id': TENANT } : undefined;
        expectError(await http(suite.base, method, path, body), 405);
      });
    }

    it('sends an Allow header listing the methods of the path with a 405', async function () {
      const res = await http(suite.base, 'DELETE', '/tenant');
      expectError(res, 405);
      expect((res.headers.get('allow') ?? '').split(/,\s*/)).to.include('POST');
    });
  });

  describe('error bodies', function () {
    it('answers every 4xx of the API with a JSON object holding a non-empty error text', async function () {
      const results: HttpResult[] = [
        await http(suite.base, 'GET', '/tenant/unknown'),
        await http(suite.base, 'POST', '/tenant', { 'tenant-id': TENANT }),
        await http(suite.base, 'POST', '/tenant', { 'tenant-id': 7 }),
        await http(suite.base, 'POST', `/registration/${TENANT}`, { 'device-id': ['x'] }),
        await http(suite.base, 'POST', `/credentials/${TENANT}`, { type: 'psk' }),
        await http(suite.base, 'DELETE', `/credentials/${TENANT}/nobody`),
      ];
      expect(results.map((r) => r.status)).to.deep.equal([404, 409, 400, 400, 400, 404]);
      for (const res of results) expectError(res, res.status);
    });
  });
});
