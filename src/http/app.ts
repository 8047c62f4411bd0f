/**
 * The HTTP management façade: a Koa app whose router is built from the route table.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import Koa, { type Context, type Next } from 'koa';
import Router from '@koa/router';
import { unredacted, type Logger } from '../log.js';
import type { LookupHistory } from '../lookup-history.js';
import type { Metrics } from '../metrics.js';
import type { Services } from '../service/index.js';
import { toRegistryError } from '../errors.js';
import type { Caller } from '../model/tokens.js';
import { etagOf, parseIfMatch } from '../model/version.js';
import { authenticate, requireScopes, requireTenant } from './auth.js';
import { createClientErrors } from './client-errors.js';
import { errorHandler } from './error-handler.js';
import { readJsonBody } from './json-body.js';
import { createApiDocs } from './api-docs.js';
import { createConsoleAssets } from './console-assets.js';
import { toRouterPath, type Operator, type Reply, type Route, type RouteDeps } from './route.js';
import { ROUTES } from './routes.js';
import { sessionOf } from './session-cookie.js';
import { shownPath, shownTarget } from './shown-url.js';

export interface HttpOptions {
  readonly port: number;
  readonly bindAddress: string;
  readonly maxBodyBytes: number;
  /** Body limit of the bulk routes (Route.bulk); default 4 MiB. */
  readonly maxBulkBodyBytes?: number;
  readonly maxJsonDepth: number;
  readonly auth: 'token' | 'none';
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxHeaderBytes: number;
  readonly maxConnections: number;
}

export interface HttpServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish and closes each connection once
   * it is idle; after `graceMs` the connections still open are cut.
   */
  close(graceMs?: number): Promise<void>;
}

/** Body limit of the bulk routes when none is configured (REGISTRY_HTTP_MAX_BULK_BODY_BYTES). */
const DEFAULT_BULK_BODY_BYTES = 4 * 1024 * 1024;

function send(ctx: Context, reply: Reply): void {
  if (reply.json !== undefined) {
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = reply.json;
  } else if (reply.raw !== undefined) {
    ctx.type = reply.raw.type;
    ctx.body = reply.raw.data;
    ctx.set('X-Content-Type-Options', 'nosniff');
    if (reply.raw.cache !== undefined) ctx.set('Cache-Control', reply.raw.cache);
    if (reply.raw.policy !== undefined) ctx.set({ 'Content-Security-Policy': reply.raw.policy, 'Referrer-Policy': 'no-referrer' });
  } else {
    // Koa turns a null body into 204; set the body first, then the real status (201 keeps Content-Length: 0).
    ctx.body = null;
  }
  ctx.status = reply.status;
  if (reply.location !== undefined) ctx.set('Location', reply.location);
  if (reply.etag !== undefined) ctx.set('ETag', etagOf(reply.etag));
  if (reply.headers !== undefined) ctx.set(reply.headers);
}

/** The tenant a request acts on: from the path, or from the body's tenant-id. */
function tenantOf(route: Route, params: Record<string, string>, body: unknown): unknown {
  if (route.tenant === 'path') return params.tenantId;
  if (route.tenant === 'body' && body !== null && typeof body === 'object') return (body as Record<string, unknown>)['tenant-id'];
  return undefined;
}

type AppOptions = Pick<HttpOptions, 'maxBodyBytes' | 'maxBulkBodyBytes' | 'maxJsonDepth' | 'auth'>;

function mount(router: Router, route: Route, services: RouteDeps, options: AppOptions): void {
  const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete' | 'patch';
  const bodyRules = {
    maxBytes: route.bulk === true ? (options.maxBulkBodyBytes ?? DEFAULT_BULK_BODY_BYTES) : options.maxBodyBytes,
    maxDepth: options.maxJsonDepth,
    mediaType: route.method === 'PATCH' ? ('application/merge-patch+json' as const) : ('application/json' as const),
    optional: route.bodyOptional === true,
  };
  const auth = options.auth === 'token' ? services : undefined;
  const declaredQuery = new Set((route.query ?? []).map((q) => q.name));
  router[method](route.operationId, toRouterPath(route.path), async (ctx: Context) => {
    const caller: Caller = await authenticate(ctx, route, auth);
    const client = { address: ctx.request.socket.remoteAddress ?? 'unknown', secure: ctx.secure, session: sessionOf(ctx) };
    const params = ctx.params as Record<string, string>;
    let tenant: unknown = route.tenant === 'path' ? params.tenantId : undefined;
    // Every mutating call of an authenticated caller is audited, refused ones too; the target keeps
    // the route's own query parameters (a purge is not a restore) and no other value.
    const audit = (status: number) =>
      route.audit &&
      services.audit.record(caller, { action: route.operationId, target: shownTarget(ctx.path, ctx.querystring, declaredQuery), status, ...(typeof tenant === 'string' ? { tenant } : {}) });
    try {
      requireScopes(ctx, route, caller);
      requireTenant(caller, tenant);
      const ifMatch = route.conditional === true ? parseIfMatch(ctx.get('If-Match') || undefined) : undefined;
      const body = route.body === undefined ? undefined : await readJsonBody(ctx, bodyRules);
      tenant = tenantOf(route, params, body);
      requireTenant(caller, tenant);
      const reply = await route.handle(services, { params, query: ctx.query, body, caller, ifMatch, client });
      audit(reply.status);
      send(ctx, reply);
    } catch (err) {
      audit(toRegistryError(err).status);
      throw err;
    }
  });
}

/** A client's X-Request-Id is kept when it is short and plain; anything else gets a fresh UUID. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;
/** Probes and scrapes come every few seconds: their lines are logged at debug. */
const QUIET_OPERATIONS = new Set(['health', 'ready', 'metrics']);
const MAX_LOGGED_PATH = 512;

/**
 * The outermost middleware: the request id (echoed or made, returned in X-Request-Id), one log
 * line per request (method, path without the query and without token values, operation, status,
 * duration) and the HTTP request metrics.
 */
function observeRequests(log: Logger, metrics: Metrics | undefined) {
  // The line's fields are fixed and never secret: no redaction pass (src/log.ts).
  const access = unredacted(log);
  return async function observe(ctx: Context, next: Next): Promise<void> {
    const started = performance.now();
    const given = ctx.get('X-Request-Id');
    const reqId = SANE_REQUEST_ID.test(given) ? given : randomUUID();
    ctx.state.requestId = reqId;
    ctx.set('X-Request-Id', reqId);
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const operation = typeof ctx.routerName === 'string' ? ctx.routerName : 'unmatched';
      metrics?.httpRequest(operation, ctx.method, ctx.status, seconds);
      const shown = shownPath(ctx.path);
      const path = shown.length > MAX_LOGGED_PATH ? `${shown.slice(0, MAX_LOGGED_PATH)}…` : shown;
      const line = { reqId, method: ctx.method, path, operation, status: ctx.status, ms: Math.round(seconds * 1e6) / 1e3 };
      if (QUIET_OPERATIONS.has(operation)) access.debug(line, 'request');
      else access.info(line, 'request');
    }
  };
}

/** What the HTTP face needs besides the services: metrics, and readiness beyond Redis (the listeners). */
export interface HttpExtras {
  readonly metrics?: Metrics | undefined;
  /** Serve /metrics (REGISTRY_METRICS). */
  readonly serveMetrics?: boolean;
  /** UNAVAILABLE until the registry is up; defaults to the store's ping. */
  readonly ready?: () => Promise<void>;
  /** The recent lookups the console's overview charts. */
  readonly lookups?: LookupHistory;
}

/** Builds the Koa application (no listener). */
export function createHttpApp(services: Services, options: AppOptions, log: Logger, extras: HttpExtras = {}): Koa {
  const app = new Koa();
  const router = new Router();
  const docs = createApiDocs();
  const { metrics } = extras;
  const operator: Operator = {
    ready: extras.ready ?? services.health.ready,
    metrics: async () => (metrics === undefined || extras.serveMetrics === false ? undefined : metrics.exposition()),
    openApi: docs.openApi,
    docsAsset: docs.asset,
    consoleAsset: createConsoleAssets(),
    lookups: () => (extras.lookups === undefined ? undefined : { 'interval-seconds': extras.lookups.intervalSeconds, samples: extras.lookups.samples() }),
  };
  const deps: RouteDeps = { ...services, operator };
  for (const route of ROUTES) mount(router, route, deps, options);
  app.use(observeRequests(log, metrics));
  app.use(errorHandler(log));
  app.use(router.routes());
  // Sets 405 + Allow (or 501); the error handler turns the status into a JSON error.
  app.use(router.allowedMethods());
  app.silent = true;
  return app;
}

/** Starts listening. Resolves once the port is bound. */
export async function startHttpServer(app: Koa, options: HttpOptions): Promise<HttpServer> {
  const tls = options.tlsCert !== undefined && options.tlsKey !== undefined;
  // The timeouts are enforced by a periodic check; a short period keeps them close to their values.
  const serverOptions = { maxHeaderSize: options.maxHeaderBytes, connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs) };
  const clientErrors = createClientErrors();
  const handle = clientErrors.track(app.callback());
  const server: Server = tls
    ? createTlsServer({ ...serverOptions, cert: readFileSync(options.tlsCert as string), key: readFileSync(options.tlsKey as string) }, handle)
    : createServer(serverOptions, handle);
  server.headersTimeout = options.headersTimeoutMs;
  server.requestTimeout = Math.max(options.requestTimeoutMs, options.headersTimeoutMs);
  server.keepAliveTimeout = options.keepAliveTimeoutMs;
  server.maxConnections = options.maxConnections;
  server.on('clientError', clientErrors.onClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.bindAddress, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: (graceMs = 0) =>
      new Promise<void>((resolve) => {
        // Connections finish their in-flight request and are closed as soon as they are idle.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const cut = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
