/**
 * The HTTP management façade: a Koa app whose router is built from the route table.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import Koa, { type Context } from 'koa';
import Router from '@koa/router';
import type { Logger } from '../log.js';
import type { Services } from '../service/index.js';
import { toRegistryError } from '../errors.js';
import type { Caller } from '../model/tokens.js';
import { authenticate, requireScopes, requireTenant } from './auth.js';
import { errorHandler } from './error-handler.js';
import { readJsonBody } from './json-body.js';
import { ROUTES, toRouterPath, type Reply, type Route } from './routes.js';

export interface HttpOptions {
  readonly port: number;
  readonly bindAddress: string;
  readonly maxBodyBytes: number;
  readonly auth: 'token' | 'none';
  readonly tlsCert: string | undefined;
  readonly tlsKey: string | undefined;
}

export interface HttpServer {
  /** The bound port (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

function send(ctx: Context, reply: Reply): void {
  if (reply.json !== undefined) {
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = reply.json;
  } else {
    // Koa turns a null body into 204; set the body first, then the real status (201 keeps Content-Length: 0).
    ctx.body = null;
  }
  ctx.status = reply.status;
  if (reply.location !== undefined) ctx.set('Location', reply.location);
  if (reply.headers !== undefined) ctx.set(reply.headers);
}

/** The tenant a request acts on: from the path, or from the body's tenant-id. */
function tenantOf(route: Route, params: Record<string, string>, body: unknown): unknown {
  if (route.tenant === 'path') return params.tenantId;
  if (route.tenant === 'body' && body !== null && typeof body === 'object') return (body as Record<string, unknown>)['tenant-id'];
  return undefined;
}

function mount(router: Router, route: Route, services: Services, options: Pick<HttpOptions, 'maxBodyBytes' | 'auth'>): void {
  const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
  const tokens = options.auth === 'token' ? services.tokens : undefined;
  router[method](route.operationId, toRouterPath(route.path), async (ctx: Context) => {
    const caller: Caller = await authenticate(ctx, route, tokens);
    const params = ctx.params as Record<string, string>;
    let tenant: unknown = route.tenant === 'path' ? params.tenantId : undefined;
    // Every mutating call of an authenticated caller is audited, refused ones too; the target keeps
    // the query (a purge is not a restore).
    const audit = (status: number) =>
      route.audit && services.audit.record(caller, { action: route.operationId, target: ctx.url, status, ...(typeof tenant === 'string' ? { tenant } : {}) });
    try {
      requireScopes(ctx, route, caller);
      requireTenant(caller, tenant);
      const body = route.body === undefined ? undefined : await readJsonBody(ctx, options.maxBodyBytes);
      tenant = tenantOf(route, params, body);
      requireTenant(caller, tenant);
      const reply = await route.handle(services, { params, query: ctx.query as Record<string, string | undefined>, body, caller });
      audit(reply.status);
      send(ctx, reply);
    } catch (err) {
      audit(toRegistryError(err).status);
      throw err;
    }
  });
}

/** Builds the Koa application (no listener). */
export function createHttpApp(services: Services, options: Pick<HttpOptions, 'maxBodyBytes' | 'auth'>, log: Logger): Koa {
  const app = new Koa();
  const router = new Router();
  for (const route of ROUTES) mount(router, route, services, options);
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
  const server: Server = tls
    ? createTlsServer({ cert: readFileSync(options.tlsCert as string), key: readFileSync(options.tlsKey as string) }, app.callback())
    : createServer(app.callback());
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.bindAddress, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
