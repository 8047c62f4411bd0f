/**
 * Resource versions of the /v1 management API (docs/management-v1.md "Versions"): a version is a
 * digest of the stored bytes, never stored itself. TypeScript and the Lua scripts compute the same
 * digest (VERSION_LUA below); the scripts that write compare it with `If-Match` in the same atomic
 * step, so two writers holding the same version cannot both succeed.
 */
import { createHash } from 'node:crypto';
import { badRequest } from '../errors.js';

/** Hex digits of SHA-1 kept in a version. */
export const VERSION_LENGTH = 16;
const VERSION = /^[0-9a-f]{16}$/;
/** More entries than this in one If-Match header are refused (they would all travel to Redis). */
export const MAX_IF_MATCH_ENTRIES = 32;

/** The version of a stored record: the first 16 hex digits of the SHA-1 of its UTF-8 bytes. */
export function versionOf(stored: string): string {
  return createHash('sha1').update(stored, 'utf8').digest('hex').slice(0, VERSION_LENGTH);
}

/**
 * The version of a device's credentials: one digest over its records in index order, each
 * preceded by its byte length and `:` (so that no two different sets give the same input). The
 * empty set has a version too: that of zero bytes.
 */
export function credentialsVersion(records: readonly string[]): string {
  const hash = createHash('sha1');
  for (const record of records) hash.update(`${Buffer.byteLength(record, 'utf8')}:`).update(record, 'utf8');
  return hash.digest('hex').slice(0, VERSION_LENGTH);
}

/** A strong entity tag as the ETag header carries it. */
export const etagOf = (version: string): string => `"${version}"`;

/** What an `If-Match` header asks for: any current version (`*`), or one of the listed ones. */
export type IfMatch = { readonly any: true } | { readonly versions: readonly string[] };

/**
 * Parses `If-Match` (RFC 9110 §13.1.1): `*`, or a comma list of entity tags, quoted (`"…"`) or
 * bare. Weak tags (`W/"…"`) never match (the comparison is strong); so does anything that is not
 * a version of ours. Absent or blank: undefined (an unconditional request, as Hono).
 * BAD_REQUEST for more than MAX_IF_MATCH_ENTRIES entries.
 */
export function parseIfMatch(header: string | undefined): IfMatch | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  if (header.trim() === '*') return { any: true };
  const entries = header.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (entries.length > MAX_IF_MATCH_ENTRIES) throw badRequest(`If-Match may list at most ${MAX_IF_MATCH_ENTRIES} versions`);
  const versions = entries.flatMap((entry) => {
    const tag = /^"(.*)"$/.exec(entry)?.[1] ?? entry;
    return !entry.startsWith('W/') && VERSION.test(tag) ? [tag] : [];
  });
  return { versions };
}

/** Whether a stored record (null: none) satisfies the condition; no condition: always. */
export function ifMatchAccepts(ifMatch: IfMatch | undefined, stored: string | null): boolean {
  if (ifMatch === undefined) return true;
  if (stored === null) return false;
  return 'any' in ifMatch || ifMatch.versions.includes(versionOf(stored));
}

/**
 * The condition as a script argument for `if_match_ok`: '' (none), '*', or the versions joined by
 * commas ('-' when none of the listed tags can match, which no version equals).
 */
export function ifMatchArg(ifMatch: IfMatch | undefined): string {
  if (ifMatch === undefined) return '';
  if ('any' in ifMatch) return '*';
  return ifMatch.versions.length === 0 ? '-' : ifMatch.versions.join(',');
}

/**
 * Lua functions every versioned script includes, computing exactly what the TypeScript above does:
 * `version_of(stored)`, `credentials_version(records)` and `if_match_ok(stored, arg)` where `arg`
 * comes from ifMatchArg (stored false/nil: the resource is missing, which no condition accepts;
 * scripts answer NOT_FOUND before asking).
 */
export const VERSION_LUA = `
local function version_of(stored)
  return string.sub(redis.sha1hex(stored), 1, ${VERSION_LENGTH})
end
local function credentials_version(records)
  local parts = {}
  for i, record in ipairs(records) do parts[i] = #record .. ':' .. record end
  return string.sub(redis.sha1hex(table.concat(parts)), 1, ${VERSION_LENGTH})
end
local function if_match_ok(stored, arg)
  if arg == '' then return true end
  if not stored then return false end
  if arg == '*' then return true end
  return string.find(',' .. arg .. ',', ',' .. version_of(stored) .. ',', 1, true) ~= nil
end
`;
