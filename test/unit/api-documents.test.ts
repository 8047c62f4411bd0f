/**
 * The two API documents: amqp_asyncapi.yaml is what the endpoints' operation tables generate, and
 * both documents validate against their official JSON Schemas (AsyncAPI 3.0.0 from
 * @asyncapi/specs, OpenAPI 3.1 from @seriousme/openapi-schema-validator).
 */
import { readFileSync } from 'node:fs';
import specs from '@asyncapi/specs';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';
import { parse } from 'yaml';
import { asyncApiYaml, buildAsyncApi } from '../../src/amqp/asyncapi.js';
import { ENDPOINTS } from '../../src/amqp/endpoints/index.js';
import { packageVersion } from '../../src/http/api-docs.js';
import { buildOpenApi } from '../../src/http/openapi.js';
import { refs } from '../helpers/json-refs.js';

type Json = Record<string, unknown>;
const root = new URL('../../', import.meta.url);
const version = packageVersion();
const committed = readFileSync(new URL('amqp_asyncapi.yaml', root), 'utf8');

/** The official AsyncAPI 3.0.0 schema. It bundles its own copy of the draft-07 meta-schema, so ajv must not add another. */
function asyncApiValidator(): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false });
  (addFormatsModule as unknown as (a: Ajv) => Ajv)(ajv);
  return ajv.compile((specs as unknown as { schemas: Record<string, object> }).schemas['3.0.0'] as object);
}

/** Resolves a local `#/a/b/c` reference in the document, following references to references. */
function resolve(doc: Json, ref: string): unknown {
  const node = ref
    .slice(2)
    .split('/')
    .reduce<unknown>((n, key) => (n as Json | undefined)?.[key], doc) as Json | undefined;
  return typeof node?.$ref === 'string' ? resolve(doc, node.$ref) : node;
}

describe('amqp_asyncapi.yaml', function () {
  it('is up to date with the endpoints and schemas (run `make swagger` when this fails)', function () {
    expect(committed).to.equal(asyncApiYaml(version));
  });

  it('validates against the official AsyncAPI 3.0.0 JSON Schema', function () {
    const validate = asyncApiValidator();
    const ok = validate(parse(committed));
    expect(ok, JSON.stringify(validate.errors?.slice(0, 5), null, 1)).to.equal(true);
  });

  it('is rejected by that schema when an operation is broken (the check has teeth)', function () {
    const broken = buildAsyncApi(version) as { operations: Record<string, Json> };
    (broken.operations['registration.assert'] as Json).action = 'publish';
    expect(asyncApiValidator()(broken)).to.equal(false);
  });

  it('documents exactly the operations the endpoints declare, each with its request and reply', function () {
    const doc = parse(committed) as { operations: Record<string, Json>; channels: Record<string, Json> };
    const declared = ENDPOINTS.flatMap((e) => Object.keys(e.operations).map((op) => `${e.name}.${op}`));
    expect(Object.keys(doc.operations).sort()).to.deep.equal(declared.sort());
    for (const endpoint of ENDPOINTS) {
      for (const [subject, spec] of Object.entries(endpoint.operations)) {
        const op = doc.operations[`${endpoint.name}.${subject}`] as { messages: { $ref: string }[]; reply: { messages: { $ref: string }[] } };
        const request = resolve(doc as Json, op.messages[0]?.$ref ?? '') as { headers: { properties: Json; required: string[] }; payload?: unknown };
        expect((request.headers.properties.subject as Json).const).to.equal(subject);
        for (const [name, property] of Object.entries(spec.properties ?? {})) {
          expect(request.headers.properties, `${endpoint.name} ${subject}`).to.have.property(name);
          expect(request.headers.required.includes(name), `${endpoint.name} ${subject} ${name}`).to.equal(property.required);
        }
        expect(request.payload !== undefined).to.equal(spec.body !== undefined);
        const reply = resolve(doc as Json, op.reply.messages[0]?.$ref ?? '') as { headers: { properties: { status: { enum: number[] } } } };
        expect(reply.headers.properties.status.enum).to.include.members([...spec.statuses, 503]);
      }
    }
  });

  it('resolves every $ref inside the document', function () {
    const doc = buildAsyncApi(version);
    for (const ref of refs(doc)) expect(resolve(doc, ref), `unresolved ${ref}`).to.not.equal(undefined);
  });
});

describe('api_swagger.yaml against the OpenAPI 3.1 schema', function () {
  it('validates', async function () {
    const validator = new Validator();
    const result = await validator.validate(parse(readFileSync(new URL('api_swagger.yaml', root), 'utf8')) as Record<string, unknown>);
    expect(validator.version).to.equal('3.1');
    expect(result.valid, JSON.stringify(result.errors)).to.equal(true);
  });

  it('is rejected by that schema when a response is broken (the check has teeth)', async function () {
    const broken = buildOpenApi(version) as { paths: Record<string, Record<string, { responses: Json }>> };
    (broken.paths['/health'] as Record<string, { responses: Json }>).get!.responses = { 200: { content: {} } };
    expect((await new Validator().validate(broken)).valid).to.equal(false);
  });
});
