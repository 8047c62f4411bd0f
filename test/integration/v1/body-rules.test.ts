/**
 * Hono's /v1 body rules as json-body.ts applies them, on a real listener with a real client: an
 * optional POST body may be left out (with or without Content-Type), a required one may not; a
 * PATCH body is a merge patch (application/merge-patch+json); bodies over the limit get 413.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import Koa from 'koa';
import { errorHandler } from '../../../src/http/error-handler.js';
import { readJsonBody, type BodyRules } from '../../../src/http/json-body.js';
import { createLogger } from '../../../src/log.js';
import { rawRequest } from '../http/support.js';

const RULES: Record<string, BodyRules> = {
  '/optional': { maxBytes: 100, maxDepth: 8, mediaType: 'application/json', optional: true },
  '/required': { maxBytes: 100, maxDepth: 8, mediaType: 'application/json', optional: false },
  '/patch': { maxBytes: 100, maxDepth: 8, mediaType: 'application/merge-patch+json', optional: false },
};

describe('/v1 body rules (json-body.ts)', function () {
  let server: Server;
  let base: string;

  before(async function () {
    const app = new Koa();
    app.use(errorHandler(createLogger('silent')));
    app.use(async (ctx) => {
      const rules = RULES[ctx.path];
      if (rules === undefined) return;
      const body = await readJsonBody(ctx, rules);
      ctx.body = { got: body === undefined ? 'nothing' : body };
    });
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const send = (path: string, body: string | undefined, headers: Record<string, string> = {}) =>
    rawRequest(base, 'POST', path, body === undefined ? undefined : new TextEncoder().encode(body), headers);

  it('takes an optional body that is left out, with or without Content-Type', async function () {
    expect((await send('/optional', undefined)).json).to.deep.equal({ got: 'nothing' });
    expect((await send('/optional', undefined, { 'Content-Type': 'application/json' })).json).to.deep.equal({ got: 'nothing' });
    expect((await send('/optional', '', { 'Content-Type': 'application/json' })).json).to.deep.equal({ got: 'nothing' });
    expect((await send('/optional', '{"a":1}', { 'Content-Type': 'application/json' })).json).to.deep.equal({ got: { a: 1 } });
  });

  it('answers 400 to an optional body sent without Content-Type, and to an invalid one', async function () {
    expect((await send('/optional', '{"a":1}')).status).to.equal(400);
    expect((await send('/optional', '{"a":', { 'Content-Type': 'application/json' })).status).to.equal(400);
  });

  it('answers 400 to a required body that is missing or empty', async function () {
    expect((await send('/required', undefined)).status).to.equal(400);
    const empty = await send('/required', '', { 'Content-Type': 'application/json' });
    expect(empty.status).to.equal(400);
    expect((empty.json as { error: string }).error).to.match(/empty/);
  });

  it('reads a merge patch only as application/merge-patch+json', async function () {
    const ok = await send('/patch', '{"ext":null}', { 'Content-Type': 'application/merge-patch+json; charset=utf-8' });
    expect(ok.json).to.deep.equal({ got: { ext: null } });
    const plain = await send('/patch', '{"ext":null}', { 'Content-Type': 'application/json' });
    expect(plain.status).to.equal(400);
    expect((plain.json as { error: string }).error).to.match(/application\/merge-patch\+json/);
  });

  it('answers 413 to an optional body over the limit', async function () {
    expect((await send('/optional', JSON.stringify({ a: 'x'.repeat(200) }), { 'Content-Type': 'application/json' })).status).to.equal(413);
  });
});
