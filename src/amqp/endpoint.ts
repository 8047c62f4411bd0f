/**
 * What an AMQP API endpoint provides to the generic request/response layer.
 */
import type { Message } from 'rhea';
import type { HonoApiProfile } from '../config.js';
import type { Authorities } from '../model/authorities.js';
import type { Services } from '../service/index.js';
import type { SchemaName } from '../validation.js';
import type { Answer } from './message.js';

export interface EndpointContext {
  readonly services: Services;
  readonly authorities: Authorities;
  /** Who is connected (user name, certificate CN or `anonymous`): recorded as the one who denies a deregistered device. */
  readonly principal: string;
  readonly profile: HonoApiProfile;
  /** `max-age` in seconds for cacheable answers; 0 = `no-cache`. */
  readonly cacheMaxAge: number;
  /** Deepest nesting of a JSON body (REGISTRY_JSON_MAX_DEPTH); deeper bodies are rejected. */
  readonly maxJsonDepth: number;
  readonly assertion: { readonly secret: string | undefined; readonly lifetime: number };
}

/** A request that passed the generic formal checks (id, subject, reply-to, Data body). */
export interface EndpointRequest {
  readonly message: Message;
  readonly subject: string;
  /** The tenant of the link target (undefined for the Tenant API). */
  readonly tenantId: string | undefined;
  /** The full link target, e.g. `registration/DEFAULT_TENANT` (or the pre-0.5 `registration/<tenant>/<device>`). */
  readonly address: string;
  /** The Data body, when there is one. */
  readonly body: Buffer | undefined;
}

/** An application property of a request: whether it must be present, and what it carries. */
export interface PropertySpec {
  readonly required: boolean;
  readonly description: string;
}

/**
 * One operation (`subject`) of an endpoint, as amqp_asyncapi.yaml documents it. The endpoint
 * dispatches exactly the operations it declares (a test sends each, and one it does not declare).
 */
export interface OperationSpec {
  readonly summary: string;
  /** Application properties of the request. */
  readonly properties?: Readonly<Record<string, PropertySpec>>;
  /** The request's Data body (a JSON object) and whether it must be there. */
  readonly body?: { readonly schema: SchemaName; readonly required: boolean };
  /** Statuses of the answer (503 while Redis is unreachable is added to every operation). */
  readonly statuses: readonly number[];
  /** Schema of the body of a success answer (200, 201), when it carries one. */
  readonly reply?: SchemaName;
  /** Deprecated in Hono (the optional management operations). */
  readonly deprecated?: boolean;
}

export interface Endpoint {
  /** First address segment: `tenant`, `registration`, `credentials`, `device_con`. */
  readonly name: string;
  /** What the API is for, with its spec section. */
  readonly summary: string;
  /** The operations, by subject. */
  readonly operations: Readonly<Record<string, OperationSpec>>;
  /** Segments of the request link target: 1 (`tenant`) or 2 (`registration/<tenant>`). */
  readonly targetSegments: 1 | 2;
  /**
   * Formal checks specific to the endpoint (throw FormalError → `hono:bad-request` rejection),
   * then the operation, answering with a status. RegistryErrors become answers with their status.
   * The returned function runs after the delivery has been accepted.
   */
  prepare(request: EndpointRequest, context: EndpointContext): () => Promise<Answer>;
}

/** `no-cache`, or `max-age=N` with N ≥ 1 (never `max-age=0`, §2.6, #20). */
export function cacheDirective(seconds: number): string {
  return seconds >= 1 ? `max-age=${Math.floor(seconds)}` : 'no-cache';
}
