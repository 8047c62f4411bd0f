/**
 * What a route of the management API is, and the helpers route handlers share. The route table
 * itself (routes.ts) joins the routes of `common/`, `legacy/` and `v1/`, all of this one type.
 */
import { badRequest } from '../errors.js';
import type { LookupSample } from '../lookup-history.js';
import type { Caller, Scope } from '../model/tokens.js';
import type { IfMatch } from '../model/version.js';
import type { SchemaName } from '../validation.js';
import type { Services } from '../service/index.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/**
 * What a handler gets: decoded path parameters, the query (a repeated parameter is an array: read
 * it with `single` or `all`), the caller, the parsed JSON body of a route that declares one
 * (undefined when an optional body was left out), and the If-Match condition of a conditional route.
 */
export interface RouteInput {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: unknown;
  readonly caller: Caller;
  /** The parsed `If-Match` header of a route with `conditional`; undefined: unconditional. */
  readonly ifMatch?: IfMatch | undefined;
  /**
   * The connection: the client's address (the bad-authentication limiter), whether it is TLS, the
   * session cookie's value. The app always sets it; an input built by hand (a unit test) may omit it.
   */
  readonly client?: ClientInfo;
}

/** The connection a request came on, as the console's session routes need it. */
export interface ClientInfo {
  readonly address: string;
  readonly secure: boolean;
  readonly session: string | undefined;
}

/** The connection of a request; a hand-built input (no app) is a plain, cookie-less local one. */
export function clientOf(input: RouteInput): ClientInfo {
  return input.client ?? { address: 'unknown', secure: false, session: undefined };
}

/** What the operator routes need besides the services: readiness, metrics and the API documents. */
export interface Operator {
  /** UNAVAILABLE (503) until the listeners are up, and while Redis does not answer. */
  ready(): Promise<void>;
  /** The Prometheus exposition; undefined when metrics are off. */
  metrics(): Promise<{ contentType: string; text: string } | undefined>;
  /** The OpenAPI document as YAML (the text of api_swagger.yaml). */
  openApi(): string;
  /** A file of the Swagger UI page under /docs/, or undefined. */
  docsAsset(name: string): RawBody | undefined;
  /** A file of the operator console under /console/ (`index.html` is the page), or undefined. */
  consoleAsset(name: string): RawBody | undefined;
  /** This instance's recent lookups (the console's overview charts), or undefined when it keeps no history. */
  lookups(): { readonly 'interval-seconds': number; readonly samples: readonly LookupSample[] } | undefined;
}

/** What a route handler can use. */
export type RouteDeps = Services & { readonly operator: Operator };

/** A non-JSON answer body (documents, the Swagger UI, metrics). */
export interface RawBody {
  readonly type: string;
  readonly data: string | Buffer;
  /** Cache-Control of the answer. */
  readonly cache?: string;
  /** Content-Security-Policy of the answer (the pages: /docs, /console). */
  readonly policy?: string;
}

/** What a handler answers. `json` is already serialised (stored records are forwarded as they are). */
export interface Reply {
  readonly status: 200 | 201 | 204;
  readonly json?: string;
  readonly raw?: RawBody;
  readonly location?: string;
  /** The resource version (model/version.ts), sent as a strong `ETag`. */
  readonly etag?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: SchemaName;
  /** Media type of a non-JSON success body (the JSON answers name a schema instead). */
  readonly mediaType?: string;
  readonly location?: boolean;
  /** The answer carries an `ETag` (the resource version). */
  readonly etag?: boolean;
}

export interface Route {
  readonly method: Method;
  /** OpenAPI-style path: `/registration/{tenantId}/{deviceId}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: 'tenants' | 'devices' | 'credentials' | 'tokens' | 'audit' | 'session' | 'health' | 'operations';
  /** Scopes a bearer token needs, all of them. No scopes: a public route (health probes), no token needed. */
  readonly scopes: readonly Scope[];
  /** `required`: a token or session is needed even though no scope is (the caller's own grants). */
  readonly authentication?: 'required';
  /** Only from the console's own page: the same-origin check of cookie requests applies without a cookie too (sign-in, sign-out). */
  readonly sameOrigin?: true;
  /** More scopes needed when a query parameter has a value (`?purge=true` needs devices:purge). */
  readonly queryScopes?: { readonly param: string; readonly value: string; readonly scopes: readonly Scope[] };
  /** Where the tenant the route acts on comes from; the token must hold it. */
  readonly tenant: 'path' | 'body' | 'none';
  /** Mutating routes are written to the audit trail. */
  readonly audit: boolean;
  /** Query parameters, documented in the OpenAPI document. */
  readonly query?: readonly { readonly name: string; readonly description: string; readonly schema: Record<string, unknown> }[];
  /**
   * JSON Schema of the request body (POST/PUT/PATCH). A PATCH body is a JSON merge patch
   * (`application/merge-patch+json`, RFC 7396); every other body is `application/json`.
   */
  readonly body?: SchemaName;
  /** The body example of the OpenAPI document, when the body schema's own example does not fit this route. */
  readonly bodyExample?: unknown;
  /** A bulk request: its body may be as large as REGISTRY_HTTP_MAX_BULK_BODY_BYTES. */
  readonly bulk?: boolean;
  /** The body may be left out (Hono's /v1 POST): no body, no Content-Type needed; the handler gets undefined. */
  readonly bodyOptional?: boolean;
  /** The route honours `If-Match` (documented; the handler gets `ifMatch`); a mismatch answers 412. */
  readonly conditional?: boolean;
  /** Success response; error responses (400, 403, 404, 409, 412, 413, 503) are derived from `errors`. */
  readonly success: ResponseSpec & { readonly status: 200 | 201 | 204; readonly link?: boolean };
  /** Error statuses of the route itself (403 here: refused by a rule of the registry, such as a registration limit); those of authentication (400, 401, 403, 429) are added for every non-public route. */
  readonly errors: readonly (400 | 401 | 403 | 404 | 409 | 412 | 413 | 429)[];
  readonly handle: (services: RouteDeps, input: RouteInput) => Promise<Reply>;
}

/** True when the route needs no token (health probes, documents, the console's files, sign-in). */
export function isPublic(route: Route): boolean {
  return route.scopes.length === 0 && route.authentication !== 'required';
}

/** A path segment as it goes into a Location or Link header. */
export const enc = encodeURIComponent;
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

/** The `limit` query parameter of a paged list. BAD_REQUEST outside 1 – MAX_PAGE. */
export function pageSize(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PAGE;
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > MAX_PAGE) throw badRequest(`limit must be a whole number from 1 to ${MAX_PAGE}`);
  return Number(value);
}

/** A single query parameter; BAD_REQUEST when it is repeated. */
export function single(input: RouteInput, name: string): string | undefined {
  const value = input.query[name];
  if (value !== undefined && typeof value !== 'string') throw badRequest(`query parameter ${name} may be given once`);
  return value;
}

/** Every value of a repeatable query parameter, in the order given. */
export function all(input: RouteInput, name: string): readonly string[] {
  const value = input.query[name];
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

/** The page cursor: the last id of the previous page, as the Link header gives it. BAD_REQUEST. */
export function cursorOf(value: string | undefined): string {
  if (value === undefined) return '';
  if (value === '' || value.length > 256) throw badRequest('cursor must be the value given in a Link header');
  return value;
}

export const created = (location: string): Reply => ({ status: 201, location });
export const noContent: Reply = { status: 204 };
export const ok = (json: string): Reply => ({ status: 200, json });

/** A path parameter of the route; the router guarantees it is present. */
export function p(input: RouteInput, name: string): string {
  return input.params[name] as string;
}

/** `/registration/{tenantId}` → `/registration/:tenantId` for the router. */
export function toRouterPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}
