/**
 * `make swagger`: writes api_swagger.yaml at the repository root from the route table and schemas.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { openApiYaml } from '../src/http/openapi.js';

const root = new URL('../', import.meta.url);
const { version } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };
writeFileSync(new URL('api_swagger.yaml', root), openApiYaml(version));
console.log('wrote api_swagger.yaml');
