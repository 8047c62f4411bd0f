/**
 * JSON Schema validation of wire shapes. The schemas in `schemas/` are the one source of truth:
 * ajv compiles them here, and scripts/swagger.ts turns the same files into the OpenAPI document.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { badRequest } from './errors.js';

/** `schemas/` sits next to `src/` and to `dist/`, so the same relative path works for both. */
export const SCHEMA_DIR = fileURLToPath(new URL('../schemas/', import.meta.url));

export type SchemaName = 'tenant' | 'tenant-v1' | 'tenant-search-result' | 'registration' | 'credentials' | 'registration-response' | 'credentials-list' | 'amqp-accounts' | 'token-request' | 'token-created' | 'token-list' | 'id-list' | 'audit-list' | 'health'
  | 'amqp-tenant-query' | 'amqp-credentials-query' | 'amqp-assertion' | 'amqp-last-gateway'
  | 'merge-patch' | 'v1-created' | 'device' | 'device-search-result' | 'bulk-devices' | 'bulk-result'
  | 'session-request' | 'session' | 'overview' | 'credentials-set' | 'credentials-search-result';

/** Every schema file, by its `$id` (file name). */
export function loadSchemas(): Record<string, Record<string, unknown>> {
  const schemas: Record<string, Record<string, unknown>> = {};
  for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json')).sort()) {
    schemas[file] = JSON.parse(readFileSync(`${SCHEMA_DIR}${file}`, 'utf8')) as Record<string, unknown>;
  }
  return schemas;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

function compileAll(): Map<SchemaName, ValidateFunction> {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  for (const schema of Object.values(loadSchemas())) ajv.addSchema(schema);
  const names: SchemaName[] = ['tenant', 'tenant-v1', 'tenant-search-result', 'registration', 'credentials', 'registration-response', 'credentials-list', 'amqp-accounts', 'token-request', 'token-created', 'token-list', 'id-list', 'audit-list', 'health', 'merge-patch', 'v1-created',
    'device', 'device-search-result', 'bulk-devices', 'bulk-result', 'session-request', 'session', 'credentials-set'];
  return new Map(names.map((name) => [name, ajv.getSchema(`${name}.json`) as ValidateFunction]));
}

let validators: Map<SchemaName, ValidateFunction> | undefined;

/** The kinds of id the AMQP APIs carry outside bodies (application properties, link addresses), and auth-ids the registry derives. */
export type IdKind = 'TenantId' | 'DeviceId' | 'AuthId';
let idValidators: Map<IdKind, ValidateFunction> | undefined;

/**
 * Whether `value` is a valid id of this kind: the definition in schemas/common.json that every
 * body's ids are validated against (1–256 characters, no control characters or unpaired surrogates).
 */
export function isValidId(kind: IdKind, value: string): boolean {
  idValidators ??= compileIds();
  return (idValidators.get(kind) as ValidateFunction)(value);
}

function compileIds(): Map<IdKind, ValidateFunction> {
  // allErrors off: the first broken rule decides, nothing else is computed for a hostile value.
  const ajv = new Ajv2020({ strict: true });
  ajv.addSchema(loadSchemas()['common.json'] as Record<string, unknown>);
  const kinds: IdKind[] = ['TenantId', 'DeviceId', 'AuthId'];
  return new Map(kinds.map((kind) => [kind, ajv.getSchema(`common.json#/$defs/${kind}`) as ValidateFunction]));
}

/** Throws BAD_REQUEST naming every problem (up to five) when `value` does not match the schema. */
export function validate(name: SchemaName, value: unknown): void {
  validators ??= compileAll();
  const check = validators.get(name);
  if (check === undefined) throw new Error(`no schema ${name}`);
  if (check(value)) return;
  throw badRequest(describeErrors(check.errors ?? []));
}

/**
 * What a value breaking a `pattern` of schemas/ must be instead, by pattern (a test checks that
 * every pattern of the schemas has its sentence here).
 */
export const PATTERN_MESSAGES: Readonly<Record<string, string>> = {
  '^[^\\u0000-\\u001F\\u007F\\uD800-\\uDFFF]+$': 'must not contain control characters or unpaired surrogates',
  '^[^\\u0000-\\u001F\\u007F\\uD800-\\uDFFF*]+$': 'must not contain control characters, unpaired surrogates or *',
  '^[A-Za-z0-9+/]*={0,2}$': 'must be Base64',
  '^[a-z0-9-]+$': 'must be lower-case letters, digits and hyphens (an LDH label)',
  '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$': 'must be an ISO-8601 date-time with offset, e.g. 2037-06-01T14:00:00+01:00',
  '^\\d{1,9}[smhd]?$': 'must be a lifetime such as 30d, 12h, 90m, 3600s or a number of seconds',
  '^\\$2[aby]\\$\\d\\d\\$[./A-Za-z0-9]{53}$': 'must be a bcrypt hash ($2a$, $2b$ or $2y$)',
};

/** A `type` error of one oneOf branch when another branch at the same place says more (`30x`: the pattern, not "must be of type integer"). */
function isAlternativeType(e: ErrorObject, errors: readonly ErrorObject[]): boolean {
  const branch = /^(.*\/oneOf)\/\d+\//.exec(e.schemaPath)?.[1];
  if (e.keyword !== 'type' || branch === undefined) return false;
  return errors.some((o) => o !== e && o.instancePath === e.instancePath && o.keyword !== 'type' && o.keyword !== 'oneOf' && o.schemaPath.startsWith(`${branch}/`));
}

/** Human-readable text for ajv errors: `secrets/0/hash-function must be one of: sha-256, sha-512, bcrypt`. */
export function describeErrors(errors: readonly ErrorObject[]): string {
  const seen = new Set<string>();
  for (const e of errors) {
    // oneOf/anyOf/if report a summary after the specific branch errors: keep only the useful one.
    if (e.keyword === 'if' || (e.keyword === 'oneOf' && errors.length > 1) || isAlternativeType(e, errors)) continue;
    seen.add(describe(e));
    if (seen.size === 5) break;
  }
  return [...seen].join('; ');
}

function describe(e: ErrorObject): string {
  const where = e.instancePath === '' ? 'body' : e.instancePath.slice(1);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${where === 'body' ? '' : `${where}: `}missing required property "${String(params.missingProperty)}"`;
    case 'enum':
      return `${where} must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'type':
      return `${where} must be of type ${String(params.type)}`;
    case 'pattern':
      return `${where} ${PATTERN_MESSAGES[String(params.pattern)] ?? `must match ${String(params.pattern)}`}`;
    case 'format':
      return `${where} must be an ISO-8601 date-time with offset, e.g. 2037-06-01T14:00:00+01:00`;
    case 'oneOf':
      return `${where} has the wrong shape`;
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return `${where} has the unknown property "${String(params.additionalProperty ?? params.unevaluatedProperty)}"`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}
