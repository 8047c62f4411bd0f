/**
 * The one error type of the registry and the table that maps each code onto both wires.
 * Stores and services throw `RegistryError`; the HTTP error handler and the AMQP
 * request/response layer are the only places that turn it into a response.
 */

export type ErrorCode =
  | 'BAD_REQUEST'
  | 'INVALID_FIELD'
  | 'FRAMING_ERROR'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'ILLEGAL_STATE'
  | 'PRECONDITION_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'RESOURCE_LIMIT_EXCEEDED'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL'
  | 'NOT_IMPLEMENTED'
  | 'UNAVAILABLE';

interface ErrorMapping {
  /** HTTP status code and AMQP `status` application property (Hono uses HTTP codes on AMQP, §2.4). */
  readonly status: number;
  /**
   * AMQP error condition of a rejected request, a refused link or a closed connection. Spelled
   * here and nowhere else: the AMQP face only ever sends the condition of a RegistryError.
   */
  readonly condition: string;
  /** Whether the message may be shown to the client. 5xx messages are replaced by the status text. */
  readonly expose: boolean;
  /** Only an AMQP link attach or delivery is refused with it; no HTTP answer has it (not in the OpenAPI document). */
  readonly amqpOnly?: true;
}

export const ERROR_TABLE: Readonly<Record<ErrorCode, ErrorMapping>> = Object.freeze({
  BAD_REQUEST: { status: 400, condition: 'hono:bad-request', expose: true },
  /** A link address of the wrong shape (§2.2). */
  INVALID_FIELD: { status: 400, condition: 'amqp:invalid-field', expose: true, amqpOnly: true },
  /** A frame the connection may not carry: above max-frame-size, shorter than its header, on a channel above channel-max (§2.7.1). */
  FRAMING_ERROR: { status: 400, condition: 'amqp:connection:framing-error', expose: true, amqpOnly: true },
  UNAUTHORIZED: { status: 401, condition: 'amqp:unauthorized-access', expose: true },
  FORBIDDEN: { status: 403, condition: 'amqp:unauthorized-access', expose: true },
  NOT_FOUND: { status: 404, condition: 'amqp:not-found', expose: true },
  METHOD_NOT_ALLOWED: { status: 405, condition: 'amqp:not-allowed', expose: true },
  CONFLICT: { status: 409, condition: 'amqp:precondition-failed', expose: true },
  /** A reply address in use, a request whose reply-to no link of its connection receives, a second session on a channel (§2.2, §2.3). */
  ILLEGAL_STATE: { status: 409, condition: 'amqp:illegal-state', expose: true, amqpOnly: true },
  PRECONDITION_FAILED: { status: 412, condition: 'amqp:precondition-failed', expose: true },
  PAYLOAD_TOO_LARGE: { status: 413, condition: 'amqp:link:message-size-exceeded', expose: true },
  /** A delivery beyond the link's max-message-size, or unfinished deliveries holding more than a connection may (§2.7.3). */
  RESOURCE_LIMIT_EXCEEDED: { status: 413, condition: 'amqp:resource-limit-exceeded', expose: true, amqpOnly: true },
  TOO_MANY_REQUESTS: { status: 429, condition: 'amqp:resource-limit-exceeded', expose: true },
  INTERNAL: { status: 500, condition: 'amqp:internal-error', expose: false },
  NOT_IMPLEMENTED: { status: 501, condition: 'amqp:not-implemented', expose: false },
  UNAVAILABLE: { status: 503, condition: 'amqp:resource-limit-exceeded', expose: false },
});

export interface RegistryErrorOptions {
  cause?: unknown;
  /** Extra response headers (for example `Retry-After`, `WWW-Authenticate`). */
  headers?: Record<string, string>;
}

export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, message: string, options: RegistryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return ERROR_TABLE[this.code].status;
  }

  get condition(): string {
    return ERROR_TABLE[this.code].condition;
  }

  /** The message a client may see: the real one for 4xx, the generic status text for 5xx. */
  get publicMessage(): string {
    return ERROR_TABLE[this.code].expose ? this.message : STATUS_TEXT[this.status] ?? 'error';
  }
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  500: 'internal server error',
  501: 'not implemented',
  503: 'service unavailable: the store cannot be reached, retry later',
};

/** Wraps anything thrown into a RegistryError; unknown errors become INTERNAL with the cause kept. */
export function toRegistryError(err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  return new RegistryError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
}

export function badRequest(message: string): RegistryError {
  return new RegistryError('BAD_REQUEST', message);
}

export function notFound(message: string): RegistryError {
  return new RegistryError('NOT_FOUND', message);
}

export function conflict(message: string): RegistryError {
  return new RegistryError('CONFLICT', message);
}
