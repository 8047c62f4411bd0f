import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { buildOpenApi, openApiYaml } from '../../src/http/openapi.js';
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

  it('documents exactly the routes of the route table, each with its bearer scopes and its 401, 403, 429 and 503 responses', function () {
    const doc = parse(readFileSync(new URL('api_swagger.yaml', root), 'utf8')) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented.sort()).to.deep.equal(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of ROUTES) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(op?.['x-required-scopes']).to.deep.equal(route.scopes);
      const auth = route.scopes.length === 0 ? [] : ['401', '403', '429'];
      expect(Object.keys(op?.responses as object)).to.include.members([String(route.success.status), ...auth, '503']);
      expect(op?.security).to.deep.equal(route.scopes.length === 0 ? [] : [{ bearer: route.scopes }]);
    }
  });
});
