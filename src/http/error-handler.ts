/**
 * The first middleware and the only place where errors become HTTP responses:
 * `{"error": "…"}` with the status from the error table; 5xx details are logged, never sent.
 */
import type { Context, Next } from 'koa';
import { RegistryError, type ErrorCode, toRegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import { shownPath } from './shown-url.js';

/** Errors thrown by Koa or the router itself carry an HTTP status; map the ones a client can cause. */
const FRAMEWORK_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'BAD_REQUEST',
};

function fromFramework(err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  const status = (err as { status?: unknown } | null)?.status;
  const code = typeof status === 'number' ? FRAMEWORK_STATUS[status] : undefined;
  if (code !== undefined && err instanceof Error) return new RegistryError(code, err.message, { cause: err });
  return toRegistryError(err);
}

/** No route answered: nothing matched the path (404), or the router found the path but not the method (405 with Allow, 501). */
function unmatched(status: number): void {
  if (status === 404) throw new RegistryError('NOT_FOUND', 'no such resource');
  if (status === 405) throw new RegistryError('METHOD_NOT_ALLOWED', 'method not allowed on this resource; see the Allow header');
  if (status === 501) throw new RegistryError('NOT_IMPLEMENTED', 'method not supported');
}

export function errorHandler(log: Logger) {
  return async function handleErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.body == null) unmatched(ctx.status);
    } catch (thrown) {
      const err = fromFramework(thrown);
      if (err.status >= 500) {
        log.error({ err: err.cause ?? err, code: err.code, reqId: ctx.state.requestId as unknown, method: ctx.method, path: shownPath(ctx.path) }, 'request failed');
      }
      ctx.status = err.status;
      ctx.set(err.headers);
      ctx.body = { error: err.publicMessage };
    }
  };
}
