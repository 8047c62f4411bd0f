/**
 * The JSON Schemas of `schemas/` as named components of an API document (OpenAPI 3.1
 * `components.schemas`, AsyncAPI 3 `components.schemas`): every `$defs` entry and every file by
 * its title, with file and `$defs` references rewritten to `#/components/schemas/<name>`.
 */
import { loadSchemas } from './validation.js';

type Json = Record<string, unknown>;

/** `common.json#/$defs/X`, `#/$defs/X` and `x.json` references → `#/components/schemas/…`. */
function rewriteRefs(node: unknown, titles: Readonly<Record<string, string>>): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, titles));
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === '$schema' || key === '$id' || key === '$defs') continue;
    if (key === '$ref' && typeof value === 'string') {
      const [file, pointer] = value.split('#');
      out.$ref = `#/components/schemas/${pointer ? pointer.split('/').pop() : titles[file ?? '']}`;
    } else {
      out[key] = rewriteRefs(value, titles);
    }
  }
  return out;
}

/** The components of the schema files `include` accepts (plus common.json's `$defs`), sorted by name. */
export function componentSchemas(include: (file: string) => boolean): Json {
  const files = Object.fromEntries(Object.entries(loadSchemas()).filter(([file]) => file === 'common.json' || include(file)));
  const titles = Object.fromEntries(Object.entries(loadSchemas()).map(([file, s]) => [file, String(s.title)]));
  const schemas: Json = {};
  for (const [file, schema] of Object.entries(files)) {
    for (const [name, def] of Object.entries((schema.$defs ?? {}) as Json)) schemas[name] = rewriteRefs(def, titles);
    if (file !== 'common.json') schemas[String(schema.title)] = rewriteRefs(schema, titles);
  }
  return Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
}

/** The component name of a schema file (`tenant` → its title). */
export function componentName(schema: string): string {
  const title = loadSchemas()[`${schema}.json`]?.title;
  if (typeof title !== 'string') throw new Error(`schemas/${schema}.json has no title`);
  return title;
}
