/**
 * What the lookups of the APIs for protocol adapters share (Tenant `get`, Device Registration
 * `assert`, Credentials `get`, docs/amqp-api.md §3.2, §4.2, §5.2): who asks, how the answers are
 * presented, and what they answer. Protocol-neutral: the AMQP endpoints encode a Lookup today, and
 * another face (HTTP, Hono 2.x fields) can serve the same results.
 */
import type { RegistryError } from '../errors.js';
import type { WireProfile } from '../model/tenant.js';

/** How lookups are answered. One object for a whole listener: it is passed, never built, per request. */
export interface AdapterProfile {
  /** Which Hono generation's answers: `legacy` (0.5 – 1.0) or `1.x` (docs/amqp-api.md §14). */
  readonly api: WireProfile;
  /** How long adapters may cache a cacheable answer, in seconds; 0: not at all. */
  readonly cacheMaxAge: number;
  /** Secret and lifetime (seconds) of the legacy HS256 `assertion` (§4.2); no secret: no assertion. */
  readonly assertion: { readonly secret: string | undefined; readonly lifetime: number };
}

/** Who asks (one object per client connection) and how it is answered. */
export interface AdapterClient {
  readonly profile: AdapterProfile;
  /** May the client read this tenant? Asked with the id of the tenant found: a lookup by CA learns it only then (§3.2). */
  mayReadTenant(tenantId: string): boolean;
}

/** What a lookup found. */
export interface Found {
  /** The JSON text of the answer: a stored record is forwarded as it is when nothing in it changes. */
  readonly json: string;
  /** Seconds an adapter may cache the answer (0: not at all); undefined where the API says nothing about caching. */
  readonly cacheMaxAge?: number;
  /** The tenant the answer is about, when the request did not name it (a tenant found by its CA). */
  readonly tenantId?: string;
  /** The device the answer is about, when the request did not name it (credentials found by auth-id). */
  readonly deviceId?: string;
  /** The lookup created what it answers (auto-provisioning, §5.6). */
  readonly created?: boolean;
}

/**
 * A lookup's result: what it found, or a RegistryError (NOT_FOUND, FORBIDDEN) saying why there is
 * nothing to give. Such an outcome is returned, not thrown: it is an answer like any other, Hono
 * sends it without a description, and a miss costs no stack trace. Failures (BAD_REQUEST for a
 * malformed query, UNAVAILABLE …) are thrown.
 */
export type Lookup = Found | RegistryError;

/**
 * An outcome shared by every request that ends in it (no per-request allocation). Its message is
 * for faces that describe outcomes; the AMQP answer carries only the status.
 */
export function sharedOutcome(error: RegistryError): RegistryError {
  return Object.freeze(error);
}
