/**
 * `make swagger`: writes the API documents at the repository root: api_swagger.yaml (OpenAPI 3.1,
 * the management API) from the route table, amqp_asyncapi.yaml (AsyncAPI 3.0, the AMQP APIs) from
 * the endpoints' operation tables, both with the JSON Schemas of schemas/.
 */
import { writeFileSync } from 'node:fs';
import { asyncApiYaml } from '../src/amqp/asyncapi.js';
import { packageVersion } from '../src/http/api-docs.js';
import { openApiYaml } from '../src/http/openapi.js';

const root = new URL('../', import.meta.url);
const version = packageVersion();
writeFileSync(new URL('api_swagger.yaml', root), openApiYaml(version));
writeFileSync(new URL('amqp_asyncapi.yaml', root), asyncApiYaml(version));
console.log('wrote api_swagger.yaml and amqp_asyncapi.yaml');
