/**
 * What the /v1 routes share (docs/management-v1.md "Conventions"): Hono's answers to creates,
 * reads and updates with the resource version as `ETag`, and the body rules of its operations.
 * The route table declares the rules (`bodyOptional` for POST, a required body for PUT and
 * PATCH, `conditional` for If-Match); app.ts applies them, and 413 comes from the body limit.
 */
import type { Reply } from '../route.js';

/** 201 with `Location`, `ETag` and `{"id": …}`, as Hono's creates answer. */
export function v1Created(location: string, id: string, version: string): Reply {
  return { status: 201, location, etag: version, json: JSON.stringify({ id }) };
}

/** 200 with the JSON body and, for a single resource, its version as `ETag`. */
export function v1Ok(json: string, version?: string): Reply {
  return version === undefined ? { status: 200, json } : { status: 200, json, etag: version };
}

/** 204 with the new version as `ETag` (updates); without one (deletions). */
export function v1NoContent(version?: string): Reply {
  return version === undefined ? { status: 204 } : { status: 204, etag: version };
}

/** The path of a /v1 resource, each segment encoded. */
export function v1Path(...segments: readonly string[]): string {
  return `/v1/${segments.map(encodeURIComponent).join('/')}`;
}
