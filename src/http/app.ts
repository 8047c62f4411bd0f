/**
 * The HTTP management façade: a Koa app whose router is built from the route table.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa, { type Context } from 'koa';
import Router from '@koa/router';
import type { Logger } from '../log.js';
import type { Services } from '../service/index.js';
import { errorHandler } from './error-handler.js';
import { readJsonBody } from './json-body.js';
import { ROUTES, toRouterPath, type Reply, type Route } from './routes.js';

export interface HttpOptions {
  readonly port: number;
  readonly bindAddress: string;
  readonly maxBodyBytes: number;
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
}

function mount(router: Router, route: Route, services: Services, maxBodyBytes: number): void {
  const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete';
  router[method](route.operationId, toRouterPath(route.path), async (ctx: Context) => {
    const body = route.body === undefined ? undefined : await readJsonBody(ctx, maxBodyBytes);
    send(ctx, await route.handle(services, { params: ctx.params as Record<string, string>, body }));
  });
}

/** Builds the Koa application (no listener). */
export function createHttpApp(services: Services, options: Pick<HttpOptions, 'maxBodyBytes'>, log: Logger): Koa {
  const app = new Koa();
  const router = new Router();
  for (const route of ROUTES) mount(router, route, services, options.maxBodyBytes);
  app.use(errorHandler(log));
  app.use(router.routes());
  // Sets 405 + Allow (or 501); the error handler turns the status into a JSON error.
  app.use(router.allowedMethods());
  app.silent = true;
  return app;
}

/** Starts listening. Resolves once the port is bound. */
export async function startHttpServer(app: Koa, options: HttpOptions): Promise<HttpServer> {
  const server: Server = createServer(app.callback());
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
