/**
 * Small helpers for request bodies that have passed the HTTP/AMQP transport checks.
 */
import { badRequest } from '../errors.js';
import type { JsonObject } from '../model/credentials.js';

/** Narrows a parsed JSON value to an object; BAD_REQUEST otherwise. */
export function asObject(value: unknown, what: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${what} must be a JSON object`);
  return value as JsonObject;
}

/** BAD_REQUEST listing the problems when there are any. */
export function rejectProblems(problems: readonly string[]): void {
  if (problems.length > 0) throw badRequest(problems.slice(0, 5).join('; '));
}

/** BAD_REQUEST when the body names a different id than the path. */
export function requireSameId(body: JsonObject, member: string, expected: string): void {
  const given = body[member];
  if (given !== undefined && given !== expected) {
    throw badRequest(`"${member}" in the body (${JSON.stringify(given)}) differs from the one in the path (${JSON.stringify(expected)})`);
  }
}
