/**
 * The HTTP floor: a bare Koa app with one @koa/router route, `GET /registration/:tenantId/:deviceId`,
 * that does one Redis GET (`bench-floor:<tenant>:<device>`, written by bench/run.ts) and answers
 * its value as JSON. Same Redis client options (connectRedis) and server timeouts as the registry.
 *
 * Run in its own process: `REDIS_URL=… node --import tsx bench/koa-floor.ts`; prints `{"port":N}`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import { createLogger } from '../src/log.js';
import { connectRedis } from '../src/store/redis.js';
import { floorKey } from './dataset.js';

async function main(): Promise<void> {
  const url = process.env.REDIS_URL;
  if (url === undefined) throw new Error('REDIS_URL is required');
  const redis = await connectRedis(url, 1000, createLogger('warn'));
  const app = new Koa();
  const router = new Router();
  router.get('/registration/:tenantId/:deviceId', async (ctx) => {
    const value = await redis.get(floorKey(ctx.params.tenantId as string, ctx.params.deviceId as string));
    if (value === null) {
      ctx.status = 404;
      return;
    }
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = value;
  });
  app.use(router.routes());
  app.silent = true;
  const server = createServer(app.callback());
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  const stop = () => {
    redis.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`koa floor: ${(err as Error).message}\n`);
  process.exit(1);
});
