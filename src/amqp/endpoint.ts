/**
 * What an AMQP API endpoint provides to the generic request/response layer.
 */
import type { Message } from 'rhea';
import { RegistryError, badRequest } from '../errors.js';
import type { Authorities } from '../model/authorities.js';
import type { Services } from '../service/index.js';
import { sharedOutcome, type AdapterClient, type AdapterProfile, type Lookup } from '../service/lookup.js';
import type { SchemaName } from '../validation.js';
import type { Answer } from './message.js';

/** What the endpoints know of a client connection: built once, when it opens. */
export interface EndpointContext extends AdapterClient {
  readonly services: Services;
  readonly authorities: Authorities;
  /** Who is connected (user name, certificate CN or `anonymous`): recorded as the one who denies a deregistered device. */
  readonly principal: string;
  /** Deepest nesting of a JSON body (REGISTRY_JSON_MAX_DEPTH); deeper bodies are rejected. */
  readonly maxJsonDepth: number;
}

/** The context of a connection whose client holds `authorities`. */
export function createEndpointContext(services: Services, authorities: Authorities, principal: string, profile: AdapterProfile, maxJsonDepth: number): EndpointContext {
  return { services, authorities, principal, profile, maxJsonDepth, mayReadTenant: (tenantId) => authorities.mayExecute(`tenant/${tenantId}`, 'get') };
}

/** A request that passed the generic formal checks (id, subject, reply-to, Data body). */
export interface EndpointRequest {
  readonly message: Message;
  readonly subject: string;
  /** The tenant of the link target (undefined for the Tenant API). */
  readonly tenantId: string | undefined;
  /** The full link target, e.g. `registration/DEFAULT_TENANT` (or the pre-0.5 `registration/<tenant>/<device>`). */
  readonly address: string;
  /** `<endpoint>[/<tenant>]`: what EXECUTE permissions name (§10). */
  readonly resource: string;
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
   * Decodes the request: the formal checks specific to the endpoint, whose RegistryErrors reject
   * the delivery (BAD_REQUEST: `hono:bad-request`, §2.5). Returns the operation, which runs once
   * the delivery is accepted: one service call, its result encoded as the answer. RegistryErrors
   * it throws are answered with their status (request-response.ts).
   */
  prepare(request: EndpointRequest, context: EndpointContext): () => Promise<Answer>;
}

/** Formal check of endpoints that reject what they do not declare: BAD_REQUEST for an unknown subject (§2.5). */
export function declared(operations: Readonly<Record<string, OperationSpec>>, subject: string): void {
  if (!Object.hasOwn(operations, subject)) throw badRequest(`unknown operation "${subject}"; expected one of ${Object.keys(operations).join(', ')}`);
}

const NOT_PERMITTED = sharedOutcome(new RegistryError('FORBIDDEN', 'no EXECUTE permission for this operation'));

/** FORBIDDEN unless the client may EXECUTE `operation` on `resource` (§10; answered 403, not rejected). */
export function permission(context: EndpointContext, resource: string, operation: string): RegistryError | undefined {
  return context.authorities.mayExecute(resource, operation) ? undefined : NOT_PERMITTED;
}

/**
 * The answer to a lookup: 200 (201 when it created what it found) with the JSON, or an outcome's
 * status from the error table without a body. It names the tenant and device the request named,
 * unless the result names its own.
 */
export function answer(result: Lookup, tenantId: string | undefined, deviceId: string | undefined): Answer {
  if (result instanceof RegistryError) return { status: result.status, tenantId, deviceId };
  return {
    status: result.created === true ? 201 : 200,
    json: result.json,
    tenantId: result.tenantId ?? tenantId,
    deviceId: result.deviceId ?? deviceId,
    cacheControl: result.cacheMaxAge === undefined ? undefined : cacheDirective(result.cacheMaxAge),
  };
}

/** Directives by max-age: a handful of configured values, so each string is built once, not per answer. */
const directives = new Map<number, string>();

/** `no-cache`, or `max-age=N` with N ≥ 1 (never `max-age=0`, §2.6, #20). */
export function cacheDirective(seconds: number): string {
  let directive = directives.get(seconds);
  if (directive === undefined) {
    directive = seconds >= 1 ? `max-age=${Math.floor(seconds)}` : 'no-cache';
    if (directives.size < 64) directives.set(seconds, directive);
  }
  return directive;
}
