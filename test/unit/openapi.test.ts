import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { buildOpenApi, openApiYaml, operation } from '../../src/http/openapi.js';
import { isPublic, noContent, type Route } from '../../src/http/route.js';
import { ROUTES } from '../../src/http/routes.js';
import { refs } from '../helpers/json-refs.js';

const root = new URL('../../', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };

describe('api_swagger.yaml', function () {
  it('is up to date with the route table and schemas (run `make swagger` when this fails)', function () {
    const committed = readFileSync(new URL('api_swagger.yaml', root), 'utf8');
    expect(committed).to.equal(openApiYaml(version));
  });

  it('resolves every $ref inside the document', function () {
    const doc = buildOpenApi(version);
    for (const ref of refs(doc)) {
      expect(ref, ref).to.match(/^#\/components\/(schemas|responses)\//);
      const [, , kind, name] = ref.split('/');
      const components = doc.components as Record<string, Record<string, unknown>>;
      expect(components[kind ?? '']?.[name ?? ''], `unresolved ${ref}`).to.not.equal(undefined);
    }
  });

  it('documents exactly the routes of the route table, each with its scopes (bearer token or console session) and its 401, 403, 429 and 503 responses', function () {
    const doc = parse(readFileSync(new URL('api_swagger.yaml', root), 'utf8')) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).to.deep.equal(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of ROUTES) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(op?.['x-required-scopes']).to.deep.equal(route.scopes);
      const auth = isPublic(route) ? [] : ['401', '403', '429'];
      expect(Object.keys(op?.responses as object)).to.include.members([String(route.success.status), ...auth, '503']);
      expect(op?.security).to.deep.equal(isPublic(route) ? [] : [{ bearer: route.scopes }, { session: route.scopes }]);
    }
  });
});

describe('OpenAPI operations of /v1 routes', function () {
  const patch: Route = {
    method: 'PATCH', path: '/v1/devices/{tenantId}/{deviceId}', operationId: 'patchExample', tenant: 'path', audit: true, tag: 'devices', scopes: ['devices:update'],
    summary: 'A conditional merge patch', body: 'merge-patch', conditional: true,
    success: { status: 204, description: 'Patched', etag: true }, errors: [400, 403, 404, 412, 413],
    handle: async () => noContent,
  };
  const create: Route = { ...patch, method: 'POST', operationId: 'createExample', conditional: false, body: 'merge-patch', bodyOptional: true, success: { status: 201, description: 'Created', schema: 'v1-created', location: true, etag: true } };

  it('documents a PATCH body as application/merge-patch+json, the If-Match header, the ETag and the 403 and 412 answers', function () {
    const op = operation(patch) as { parameters: { name: string; in: string }[]; requestBody: { required: boolean; content: Record<string, unknown> }; responses: Record<string, { headers?: Record<string, unknown>; $ref?: string }> };
    expect(op.parameters.filter((p) => p.in === 'header').map((p) => p.name)).to.deep.equal(['If-Match']);
    expect(Object.keys(op.requestBody.content)).to.deep.equal(['application/merge-patch+json']);
    expect(op.requestBody.required).to.equal(true);
    expect(Object.keys(op.responses['204']?.headers ?? {})).to.deep.equal(['ETag']);
    expect(op.responses['412']?.$ref).to.equal('#/components/responses/PreconditionFailed');
    expect(op.responses['403']?.$ref).to.equal('#/components/responses/Forbidden');
  });

  it('documents an optional POST body as not required, with Location and ETag on the 201', function () {
    const op = operation(create) as { parameters: { in: string }[]; requestBody: { required: boolean; content: Record<string, unknown> }; responses: Record<string, { headers?: Record<string, unknown> }> };
    expect(op.requestBody.required).to.equal(false);
    expect(Object.keys(op.requestBody.content)).to.deep.equal(['application/json']);
    expect(op.parameters.some((p) => p.in === 'header')).to.equal(false);
    expect(Object.keys(op.responses['201']?.headers ?? {})).to.deep.equal(['Location', 'ETag']);
  });
});
