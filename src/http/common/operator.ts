/**
 * Routes of the registry itself, beside every management API: container probes, metrics and the
 * API documents (no token needed).
 */
import { notFound } from '../../errors.js';
import { ok, p, type RawBody, type Route, type RouteDeps } from '../route.js';

export const OPERATOR_ROUTES: readonly Route[] = [
  {
    method: 'GET', path: '/health', operationId: 'health', tenant: 'none', audit: false, tag: 'health', scopes: [],
    summary: 'Liveness: the process runs (container liveness probe; no token needed)',
    success: { status: 200, description: 'The process lives', schema: 'health' }, errors: [],
    handle: async () => ok('{"status":"ok"}'),
  },
  {
    method: 'GET', path: '/ready', operationId: 'ready', tenant: 'none', audit: false, tag: 'health', scopes: [],
    summary: 'Readiness: Redis answers and the listeners are up (container readiness probe; no token needed)',
    success: { status: 200, description: 'Ready to serve', schema: 'health' }, errors: [],
    handle: async (s) => (await s.operator.ready(), ok('{"status":"ready"}')),
  },
  {
    method: 'GET', path: '/metrics', operationId: 'metrics', tenant: 'none', audit: false, tag: 'operations', scopes: [],
    summary: 'Prometheus metrics: requests, latencies, AMQP connections and links, Redis commands, bcrypt work (no token needed; REGISTRY_METRICS=off turns it off; docs/metrics.md)',
    success: { status: 200, description: 'The Prometheus text exposition format', mediaType: 'text/plain' }, errors: [404],
    handle: async (s) => {
      const metrics = await s.operator.metrics();
      if (metrics === undefined) throw notFound('metrics are turned off (REGISTRY_METRICS=off)');
      return { status: 200, raw: { type: metrics.contentType, data: metrics.text, cache: 'no-store' } };
    },
  },
  {
    method: 'GET', path: '/openapi.yaml', operationId: 'openApiDocument', tenant: 'none', audit: false, tag: 'operations', scopes: [],
    summary: 'This OpenAPI document (api_swagger.yaml; no token needed)',
    success: { status: 200, description: 'The OpenAPI 3.1 document', mediaType: 'application/yaml' }, errors: [],
    handle: async (s) => ({ status: 200, raw: { type: 'application/yaml; charset=utf-8', data: s.operator.openApi(), cache: 'no-cache' } }),
  },
  {
    method: 'GET', path: '/docs', operationId: 'apiDocsPage', tenant: 'none', audit: false, tag: 'operations', scopes: [],
    summary: 'Interactive API documentation (Swagger UI, served by the registry itself; no token needed to read it)',
    success: { status: 200, description: 'The Swagger UI page, showing /openapi.yaml', mediaType: 'text/html' }, errors: [],
    handle: async (s) => ({ status: 200, raw: s.operator.docsAsset('index.html') as RawBody }),
  },
  {
    method: 'GET', path: '/docs/{asset}', operationId: 'apiDocsAsset', tenant: 'none', audit: false, tag: 'operations', scopes: [],
    summary: 'A script, style sheet or icon of the Swagger UI page',
    success: { status: 200, description: 'The file', mediaType: 'application/octet-stream' }, errors: [404],
    handle: async (s, i) => {
      const asset = s.operator.docsAsset(p(i, 'asset'));
      if (asset === undefined) throw notFound('no such file of the documentation page');
      return { status: 200, raw: asset };
    },
  },
  {
    method: 'GET', path: '/overview', operationId: 'overview', tenant: 'none', audit: false, tag: 'operations', scopes: [], authentication: 'required',
    summary: 'What the console\'s overview shows (any token or session): this instance\'s AMQP lookups per second and their latency over the last minutes (REGISTRY_CONSOLE_SAMPLE_SECONDS apart), whether Redis answers, and the number of tenants for a caller that may read them all',
    success: { status: 200, description: 'The overview', schema: 'overview' }, errors: [],
    handle: async (s, i) => {
      const lookups = s.operator.lookups();
      return ok(JSON.stringify({ ...(lookups === undefined ? {} : { lookups }), ...(await s.overview.read(i.caller)) }));
    },
  },
  {
    method: 'GET', path: '/console', operationId: 'consolePage', tenant: 'none', audit: false, tag: 'operations', scopes: [],
    summary: 'The operator console (docs/console.md): a page served by the registry itself; signing in takes a token',
    success: { status: 200, description: 'The console page', mediaType: 'text/html' }, errors: [404],
    handle: async (s) => ({ status: 200, raw: consoleFile(s, 'index.html') }),
  },
  {
    method: 'GET', path: '/console/{file}', operationId: 'consoleAsset', tenant: 'none', audit: false, tag: 'operations', scopes: [],
    summary: 'A script, style sheet or icon of the operator console',
    success: { status: 200, description: 'The file', mediaType: 'application/octet-stream' }, errors: [404],
    handle: async (s, i) => ({ status: 200, raw: consoleFile(s, p(i, 'file')) }),
  },
];

/** A file of the console. NOT_FOUND for an unknown name, or when the console was not built. */
function consoleFile(s: RouteDeps, name: string): RawBody {
  const file = s.operator.consoleAsset(name);
  if (file === undefined) throw notFound(`no such file of the console${s.operator.consoleAsset('index.html') === undefined ? ' (it was not built: make build)' : ''}`);
  return file;
}
