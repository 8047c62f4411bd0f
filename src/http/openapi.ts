/**
 * Builds the OpenAPI 3.1 document of the management API from the route table and the JSON
 * Schemas in `schemas/` — the same sources the router and the validator use.
 */
import { stringify } from 'yaml';
import { ERROR_TABLE } from '../errors.js';
import { componentSchemas } from '../schema-components.js';
import { loadSchemas } from '../validation.js';
import { isPublic, type Route } from './route.js';
import { CONSOLE_HEADER, sessionCookieName } from './session-cookie.js';
import { ROUTES } from './routes.js';

type Json = Record<string, unknown>;

/**
 * Path parameters by name: a schema of schemas/common.json (by its `$defs` name) or inline, and the
 * body member that names the same thing (a PUT body's `tenant-id` must equal the path's tenant).
 * Examples come from the schemas' `examples`.
 */
const PATH_PARAMETERS: Readonly<Record<string, { schema: string | Json; description: string; member?: string }>> = {
  tenantId: { schema: 'TenantId', description: 'The tenant identifier.', member: 'tenant-id' },
  deviceId: { schema: 'DeviceId', description: 'The device identifier.', member: 'device-id' },
  authId: { schema: 'AuthId', description: 'The authentication identifier (URL-encoded; x509-cert subject DNs in any RFC 2253 spelling).', member: 'auth-id' },
  type: { schema: 'CredentialsType', description: 'The credentials type.', member: 'type' },
  tokenId: { schema: 'TokenId', description: 'The public id of a token (tok_…).' },
  asset: { schema: { type: 'string', pattern: '^[a-z0-9-]+(\\.[a-z0-9]+)+$', examples: ['swagger-ui.css'] }, description: 'A file name of the Swagger UI page (swagger-ui.css, swagger-ui-bundle.js …).' },
  file: { schema: { type: 'string', pattern: '^[a-z0-9-]+(\\.[a-z0-9]+)+$', examples: ['app.js'] }, description: 'A file name of the operator console (app.js, app.css, favicon.svg).' },
};

const ERROR_RESPONSES: Readonly<Record<number, { name: string; description: string; headers?: Record<string, string> }>> = {
  401: { name: 'Unauthorized', description: 'No token, a malformed Authorization header, an unknown, revoked or expired token, or a console session that has ended.', headers: { 'WWW-Authenticate': 'Bearer realm="device-registry"[, error="invalid_token", error_description="…"] (RFC 6750).' } },
  403: {
    name: 'Forbidden',
    description: 'The token lacks a scope of the operation (WWW-Authenticate names it), or the tenant is not in its list; or the operation is not allowed (a registration limit of the tenant is reached); or a request with the console\'s session cookie (or a sign-in or sign-out) that may come from another site: without the X-Registry-Console header, or not from this origin by Sec-Fetch-Site or Origin.',
    headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope", scope="<missing scopes>" when a scope is missing.' },
  },
  429: { name: 'TooManyRequests', description: 'Too many failed authentications from this address; retry after Retry-After seconds.', headers: { 'Retry-After': 'Seconds until the address may authenticate again.' } },
  400: {
    name: 'BadRequest',
    description: 'The request is malformed: wrong Content-Type, empty or invalid JSON, JSON nested deeper than REGISTRY_JSON_MAX_DEPTH, a number that cannot be stored exactly, a body that breaks the schema or the rules, or a second Authorization header. `error` says what is wrong.',
  },
  404: { name: 'NotFound', description: 'The tenant or the resource does not exist.' },
  409: { name: 'Conflict', description: 'The resource exists already, or a unique value (tenant id, CA subject DN, type + auth-id) is taken.' },
  412: { name: 'PreconditionFailed', description: 'If-Match names no current version of the resource (resource version mismatch); nothing was changed.' },
  413: { name: 'PayloadTooLarge', description: 'The request body exceeds REGISTRY_HTTP_MAX_BODY_BYTES (a bulk request: REGISTRY_HTTP_MAX_BULK_BODY_BYTES).' },
  503: { name: 'Unavailable', description: 'The store cannot be reached; retry later.' },
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** The If-Match header of a conditional route. */
const IF_MATCH: Json = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description: 'Only when the resource has one of these versions (the ETag of an earlier answer, quoted or bare; a comma list; * for any): otherwise 412 and nothing changes. Absent: unconditional.',
  schema: { type: 'string' },
  example: '*',
};

/** The component name of a schema file: its title. */
function schemaRef(name: string): { $ref: string } {
  return ref(String(loadSchemas()[`${name}.json`]?.title));
}

/** The first of a schema's `examples`: an inline schema, a `$defs` name of common.json, or a schema file. */
function exampleOf(schema: string | Json, file?: string): unknown {
  const resolved = typeof schema !== 'string' ? schema : file === undefined ? (loadSchemas()['common.json']?.$defs as Record<string, Json> | undefined)?.[schema] : loadSchemas()[`${file}.json`];
  const examples = resolved?.examples;
  return Array.isArray(examples) ? (examples[0] as unknown) : undefined;
}

/** `{example}` when there is one (an operation without stays valid; a test requires them). */
const withExample = (example: unknown): Json => (example === undefined ? {} : { example });

/**
 * The body example of a route: its schema's, where a member that a path parameter names (the
 * `tenant-id` of PUT /tenant/{tenantId}) takes that parameter's example, so that both agree.
 */
function bodyExample(route: Route, body: string): unknown {
  const example = route.bodyExample ?? exampleOf(body, body);
  if (example === null || typeof example !== 'object' || Array.isArray(example)) return example;
  const named = [...route.path.matchAll(/\{(\w+)\}/g)].flatMap(([, name]) => {
    const p = PATH_PARAMETERS[name ?? ''];
    return p?.member === undefined || !Object.hasOwn(example, p.member) ? [] : [[p.member, exampleOf(p.schema)]];
  });
  return { ...example, ...Object.fromEntries(named) };
}

/** The OpenAPI operation object of a route. */
export function operation(route: Route): Json {
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => {
    const p = PATH_PARAMETERS[name ?? ''];
    if (p === undefined) throw new Error(`route ${route.path}: undocumented path parameter ${name}`);
    return { name, in: 'path', required: true, description: p.description, schema: typeof p.schema === 'string' ? ref(p.schema) : p.schema, ...withExample(exampleOf(p.schema)) };
  });
  const query = (route.query ?? []).map((q) => ({ name: q.name, in: 'query', required: false, description: q.description, schema: q.schema, ...withExample(exampleOf(q.schema)) }));
  const success: Json = { description: route.success.description };
  if (route.success.schema) success.content = { 'application/json': { schema: schemaRef(route.success.schema) } };
  else if (route.success.mediaType) success.content = { [route.success.mediaType]: { schema: { type: 'string' } } };
  const headers: Json = {};
  if (route.success.location) headers.Location = { description: 'Path of the created resource.', schema: { type: 'string' } };
  if (route.success.link) headers.Link = { description: 'rel="next": the next page, while there is one.', schema: { type: 'string' } };
  if (route.success.etag) headers.ETag = { description: 'The version of the resource (a strong entity tag), for If-Match.', schema: { type: 'string' } };
  if (Object.keys(headers).length > 0) success.headers = headers;
  const responses: Json = { [String(route.success.status)]: success };
  const scopes = [...route.scopes];
  // A secured route also answers 400 to a second Authorization header.
  const authErrors = isPublic(route) ? [] : [400, 401, 403, 429];
  for (const status of [...route.errors, ...authErrors, 503]) responses[String(status)] = { $ref: `#/components/responses/${ERROR_RESPONSES[status]?.name}` };
  const security = isPublic(route) ? [] : [{ bearer: scopes }, { session: scopes }];
  const op: Json = { operationId: route.operationId, summary: route.summary, tags: [route.tag], security, 'x-required-scopes': scopes };
  if (route.queryScopes) op['x-query-scopes'] = { [`${route.queryScopes.param}=${route.queryScopes.value}`]: [...route.queryScopes.scopes] };
  const header = route.conditional === true ? [IF_MATCH] : [];
  if (params.length + query.length + header.length > 0) op.parameters = [...params, ...query, ...header];
  if (route.body) {
    const mediaType = route.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
    op.requestBody = { required: route.bodyOptional !== true, content: { [mediaType]: { schema: schemaRef(route.body), ...withExample(bodyExample(route, route.body)) } } };
  }
  op.responses = responses;
  return op;
}

const TAGS = [
  { name: 'tenants', description: 'Tenant API resources' },
  { name: 'devices', description: 'Device Registration API resources' },
  { name: 'credentials', description: 'Credentials API resources' },
  { name: 'tokens', description: 'Management API tokens' },
  { name: 'audit', description: 'The audit trail' },
  { name: 'session', description: 'Console sessions: sign-in, the caller\'s grants, sign-out (docs/console.md)' },
  { name: 'health', description: 'Container probes (no token needed)' },
  { name: 'operations', description: 'Metrics, API documentation and the operator console (no token needed to load them): /metrics, /openapi.yaml, the Swagger UI at /docs, the console at /console' },
];

/** Every operation of the route table, by path and method. */
function paths(): Record<string, Json> {
  const byPath: Record<string, Json> = {};
  for (const route of ROUTES) (byPath[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  return byPath;
}

/** The shared error responses the operations refer to, each with its JSON error body. */
function errorResponses(): Json {
  return Object.fromEntries(
    Object.values(ERROR_RESPONSES).map(({ name, description, headers }) => [
      name,
      {
        description,
        ...(headers === undefined ? {} : { headers: Object.fromEntries(Object.entries(headers).map(([h, d]) => [h, { description: d, schema: { type: 'string' } }])) }),
        content: { 'application/json': { schema: ref('Error') } },
      },
    ]),
  );
}

/** The codes of the error table an HTTP answer can carry, with their status. */
const httpErrorCodes = (): Json => Object.fromEntries(Object.entries(ERROR_TABLE).filter(([, m]) => m.amqpOnly !== true).map(([code, m]) => [code, m.status]));

/** The OpenAPI document as a plain object. */
export function buildOpenApi(version: string): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Device Registry management API',
      version,
      description: 'HTTP resources for managing tenants, device registrations and credentials (Eclipse Hono legacy registry resources). Protocol adapters use the AMQP 1.0 APIs instead.',
    },
    // Relative: the registry that serves this document at /openapi.yaml (`make run`: http://localhost:28080).
    servers: [{ url: '/', description: 'The registry serving this document' }],
    tags: TAGS,
    paths: paths(),
    components: {
      // amqp-*.json describe the AMQP side (amqp_asyncapi.yaml), not the management API.
      schemas: componentSchemas((file) => !file.startsWith('amqp-')),
      responses: errorResponses(),
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A management API token (dr_…). Each operation lists the scopes it needs (all of them); the token must also hold the tenant the operation acts on. With REGISTRY_HTTP_AUTH=none no token is needed.',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: sessionCookieName(false),
          description: `The console's session (POST /session; ${sessionCookieName(true)} over TLS): the grants of the token it was made from. A request with it that changes something needs the ${CONSOLE_HEADER} header and a same-origin request (docs/console.md).`,
        },
      },
    },
    security: [{ bearer: [] }],
    'x-error-codes': httpErrorCodes(),
  };
}

/** The document as YAML text, as `make swagger` writes it. */
export function openApiYaml(version: string): string {
  return `# Generated by \`make swagger\` from src/http/routes.ts and schemas/. Do not edit.\n${stringify(buildOpenApi(version), { lineWidth: 0 })}`;
}
