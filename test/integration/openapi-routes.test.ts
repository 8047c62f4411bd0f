/**
 * The running router and the committed OpenAPI document agree: every documented operation is
 * routed, and every other method on a documented path is answered 405.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { sharedRedis } from '../helpers/root-hooks.js';
import { http, startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const doc = parse(readFileSync(new URL('../../api_swagger.yaml', import.meta.url), 'utf8')) as {
  paths: Record<string, Record<string, unknown>>;
};
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

describe('router and OpenAPI document', function () {
  let registry: TestRegistry;

  before(async function () {
    const redis = await sharedRedis();
    await redis.command('FLUSHALL');
    registry = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url });
  });

  after(() => registry.stop());

  for (const [path, operations] of Object.entries(doc.paths)) {
    const concrete = path.replace(/\{\w+\}/g, 'x');
    it(`routes exactly the documented methods of ${path}`, async function () {
      for (const method of METHODS) {
        const res = await http(registry.base, method, concrete, method === 'POST' || method === 'PUT' ? {} : undefined);
        const documented = method.toLowerCase() in operations;
        expect(res.status, `${method} ${concrete}: ${res.text}`).to.not.equal(documented ? 405 : 200);
        if (documented) expect((res.json as { error?: string } | undefined)?.error ?? '').to.not.equal('no such resource');
        else expect(res.status, `${method} ${concrete}`).to.equal(405);
      }
    });
  }
});
