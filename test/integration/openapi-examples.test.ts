/**
 * "Try it out" with the examples as they stand: every operation of the OpenAPI document, sent to a
 * running registry (bearer token auth, a fresh store) with its parameter and body examples, is
 * never answered 400 or 5xx. Writes go first, so that the reads and deletions find what they made,
 * and the tenant is deleted last.
 */
import { expect } from 'chai';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { http } from '../helpers/registry.js';
import { BOOTSTRAP, bearer, useTokenRegistry } from '../helpers/security.js';

interface Parameter { name: string; in: 'path' | 'query' | 'header'; example?: unknown }
interface Operation { parameters?: Parameter[]; requestBody?: { content: Record<string, { example?: unknown }> } }

const doc = parse(readFileSync(new URL('../../api_swagger.yaml', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, Operation>> };
const ORDER = ['post', 'put', 'patch', 'get', 'delete'];
const depth = (path: string): number => path.replace(/^\/v1\//, '/').split('/').length;
const operations = Object.entries(doc.paths)
  .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })))
  // Deletions of the deepest resources first (a /v1 path as deep as its legacy twin): the tenant goes last.
  .sort((a, b) => ORDER.indexOf(a.method) - ORDER.indexOf(b.method) || (a.method === 'delete' ? depth(b.path) - depth(a.path) : 0));

/**
 * The request Swagger UI makes from the examples: path parameters filled in, query parameters
 * appended, the body (with its media type); header parameters (If-Match) are optional and left out.
 */
function requestOf(path: string, op: Operation): { url: string; body: unknown; headers: Record<string, string> } {
  let url = path;
  const query = new URLSearchParams();
  for (const p of op.parameters ?? []) {
    if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(String(p.example)));
    else if (p.in === 'query') query.set(p.name, String(p.example));
  }
  const search = query.toString();
  const [mediaType, content] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
  return { url: search === '' ? url : `${url}?${search}`, body: content?.example, headers: mediaType === undefined ? {} : { 'Content-Type': mediaType } };
}

describe('the OpenAPI examples against a running registry', function () {
  const started = useTokenRegistry();

  it('answers every operation sent with its examples, and none with 400 or 5xx', async function () {
    const registry = started();
    expect(operations.length).to.be.greaterThan(20);
    const answers: string[] = [];
    for (const { path, method, op } of operations) {
      const { url, body, headers } = requestOf(path, op);
      const res = await http(registry.base, method.toUpperCase(), url, body, { ...bearer(BOOTSTRAP), ...headers });
      answers.push(`${method.toUpperCase()} ${url} → ${res.status}`);
      expect(res.status, `${method.toUpperCase()} ${url}: ${res.text}`).to.not.equal(400);
      expect(res.status, `${method.toUpperCase()} ${url}: ${res.text}`).to.be.below(500);
    }
    // The examples fit together: what the writes made, the reads find and the deletions remove.
    expect(answers).to.include.members([
      'POST /tenant → 201', 'POST /registration/DEFAULT_TENANT → 201', 'POST /credentials/DEFAULT_TENANT → 201', 'POST /tokens → 201',
      'PUT /credentials/DEFAULT_TENANT/sensor1/hashed-password → 204', 'GET /registration/DEFAULT_TENANT/4711 → 200',
      'DELETE /registration/DEFAULT_TENANT/4711 → 204', 'DELETE /tenant/DEFAULT_TENANT → 204',
      'POST /v1/tenants → 201', 'PUT /v1/tenants/DEFAULT_TENANT → 204', 'PATCH /v1/tenants/DEFAULT_TENANT → 204', 'GET /v1/tenants/DEFAULT_TENANT → 200',
      'POST /v1/devices/DEFAULT_TENANT → 201', 'PUT /v1/devices/DEFAULT_TENANT/4711 → 204', 'PATCH /v1/devices/DEFAULT_TENANT/4711 → 204',
      'GET /v1/devices/DEFAULT_TENANT/4711 → 200', 'DELETE /v1/devices/DEFAULT_TENANT/4711 → 204',
    ]);
  });
});
