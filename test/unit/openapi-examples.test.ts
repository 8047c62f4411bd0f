/**
 * Every operation of the OpenAPI document has a real example for each parameter and body (Swagger
 * UI's "Try it out" sends them as they stand), and each example is valid: parameters against
 * their schemas, bodies by the registry's own validation, and a body member that a path parameter
 * names (`tenant-id` of PUT /tenant/{tenantId}) agrees with that parameter's example.
 * test/integration/openapi-examples.test.ts sends them to a running registry.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';
import { packageVersion } from '../../src/http/api-docs.js';
import { buildOpenApi } from '../../src/http/openapi.js';
import { ROUTES } from '../../src/http/routes.js';
import { validate } from '../../src/validation.js';

type Json = Record<string, unknown>;
interface Parameter { name: string; in: string; schema: Json; example?: unknown }
interface Operation { operationId: string; parameters?: Parameter[]; requestBody?: { content: Record<string, { example?: unknown }> } }

const doc = buildOpenApi(packageVersion()) as { paths: Record<string, Record<string, Operation>>; components: Json };
const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));

/** An ajv that resolves `#/components/schemas/…` references of the document. */
function schemaChecker(): (schema: Json, value: unknown) => string | undefined {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormatsModule as unknown as (a: Ajv2020) => Ajv2020)(ajv);
  ajv.addSchema({ $id: 'openapi.json', components: doc.components });
  return (schema, value) => {
    const check = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/')) as Json);
    return check(value) ? undefined : ajv.errorsText(check.errors);
  };
}

describe('examples of the OpenAPI document', function () {
  const check = schemaChecker();

  it('documents every route, so that every route is checked', function () {
    expect(operations.map((o) => `${o.method} ${o.path}`).sort()).to.deep.equal(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('has an example for every path and query parameter, valid against its schema', function () {
    const problems: string[] = [];
    for (const { method, path, op } of operations) {
      for (const p of op.parameters ?? []) {
        const where = `${method} ${path} ${p.in} parameter ${p.name}`;
        const invalid = p.example === undefined ? 'no example (give its schema `examples`)' : check(p.schema, p.example);
        if (invalid !== undefined) problems.push(`${where}: ${invalid}`);
      }
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('has a body example for every operation with a body, which the registry accepts as valid', function () {
    const problems: string[] = [];
    for (const route of ROUTES.filter((r) => r.body !== undefined)) {
      // application/json, or application/merge-patch+json for a PATCH
      const content = doc.paths[route.path]?.[route.method.toLowerCase()]?.requestBody?.content ?? {};
      const example = Object.values(content)[0]?.example;
      const where = `${route.method} ${route.path}`;
      if (example === undefined) problems.push(`${where}: no body example (give schemas/${route.body}.json \`examples\`)`);
      else {
        try {
          validate(route.body as NonNullable<typeof route.body>, example);
        } catch (err) {
          problems.push(`${where}: ${(err as Error).message}`);
        }
      }
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });

  it('gives a body member that a path parameter names the example of that parameter', function () {
    const put = doc.paths['/credentials/{tenantId}/{authId}/{type}']?.put;
    const body = put?.requestBody?.content['application/json']?.example as Json;
    const param = (name: string) => put?.parameters?.find((p) => p.name === name)?.example;
    expect([body['auth-id'], body.type]).to.deep.equal([param('authId'), param('type')]);
    const tenant = doc.paths['/tenant/{tenantId}']?.put;
    expect((tenant?.requestBody?.content['application/json']?.example as Json)['tenant-id']).to.equal(tenant?.parameters?.[0]?.example);
    const register = doc.paths['/registration/{tenantId}']?.post?.requestBody?.content['application/json']?.example as Json;
    expect(register, 'no member is added that the schema example does not have').not.to.have.property('tenant-id');
  });

  it('takes the examples from the schemas and the route table (DEFAULT_TENANT, an audit entry id)', function () {
    const tenantId = doc.paths['/tenant/{tenantId}']?.get?.parameters?.[0]?.example;
    expect(tenantId).to.equal('DEFAULT_TENANT');
    expect(doc.paths['/audit']?.get?.parameters?.find((p) => p.name === 'before')?.example).to.match(/^\d+-\d+$/);
  });
});
