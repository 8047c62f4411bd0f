/**
 * Helpers of the /v1 tenant suites (not a test file itself).
 */
import { expect } from 'chai';
import type { HttpResult } from '../../helpers/registry.js';
import type { Json } from '../http/support.js';

/** A strong ETag of a version (16 hex digits). */
export const ETAG = /^"[0-9a-f]{16}"$/;
export const MERGE_PATCH = { 'Content-Type': 'application/merge-patch+json' };

/** Asserts Hono's answer to a tenant create (201, Location, ETag, `{"id"}`) and returns the id. */
export function expectV1Created(res: HttpResult, id?: string): string {
  expect(res.status, res.text).to.equal(201);
  const created = (res.json as Json).id as string;
  if (id !== undefined) expect(created).to.equal(id);
  expect(res.headers.get('location')).to.equal(`/v1/tenants/${encodeURIComponent(created)}`);
  expect(res.headers.get('etag')).to.match(ETAG);
  return created;
}
