/**
 * The query parameters of the /v1 searches (Hono's searchTenants and searchDevicesForTenant,
 * docs/management-v1.md "Search"): `pageSize`, `pageOffset`, repeatable `filterJson` and
 * `sortJson`, and this registry's `cursor`. Each problem is a 400 naming the parameter.
 */
import { badRequest } from '../../errors.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, parsePointer, type Filter, type SearchQuery, type Sort } from '../../model/search.js';
import { all, single, type Route, type RouteInput } from '../route.js';

/** Largest page index accepted (pageOffset × pageSize beyond any tenant's size). */
const MAX_PAGE_OFFSET = 1_000_000_000;
/** A cursor longer than this was not made by the registry. */
const MAX_CURSOR = 4096;

function integer(input: RouteInput, name: string, fallback: number, max: number): number {
  const value = single(input, name);
  if (value === undefined) return fallback;
  if (!/^\d{1,10}$/.test(value) || Number(value) > max) throw badRequest(`${name} must be a whole number from 0 to ${max}`);
  return Number(value);
}

function jsonObject(text: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest(`${name} must be a JSON object: ${text.slice(0, 100)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${name} must be a JSON object: ${text.slice(0, 100)}`);
  return value as Record<string, unknown>;
}

function onlyMembers(object: Record<string, unknown>, allowed: readonly string[], name: string): void {
  const unknown = Object.keys(object).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw badRequest(`${name} has unknown members: ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`);
}

function pointer(object: Record<string, unknown>, name: string): { field: string; path: string[] } {
  const field = object.field;
  if (typeof field !== 'string') throw badRequest(`${name} needs "field", a JSON pointer such as /ext/brand`);
  return { field, path: parsePointer(field) };
}

/** One filterJson: `{"field": <pointer>, "op": "eq" (default), "value": boolean | number | string}`. */
export function parseFilter(text: string): Filter {
  const object = jsonObject(text, 'filterJson');
  onlyMembers(object, ['field', 'op', 'value'], 'filterJson');
  const op = object.op ?? 'eq';
  if (op !== 'eq') throw badRequest('filterJson op must be "eq"');
  const value = object.value;
  if (typeof value !== 'boolean' && typeof value !== 'number' && typeof value !== 'string') throw badRequest('filterJson needs "value", a boolean, number or string');
  return { ...pointer(object, 'filterJson'), op, value };
}

/** One sortJson: `{"field": <pointer>, "direction": "asc" (default) | "desc"}`. */
export function parseSort(text: string): Sort {
  const object = jsonObject(text, 'sortJson');
  onlyMembers(object, ['field', 'direction'], 'sortJson');
  const direction = object.direction ?? 'asc';
  if (direction !== 'asc' && direction !== 'desc') throw badRequest('sortJson direction must be "asc" or "desc"');
  return { ...pointer(object, 'sortJson'), direction };
}

/** The search a request asks for. BAD_REQUEST naming the parameter that is wrong. */
export function parseSearchQuery(input: RouteInput): SearchQuery {
  const cursor = single(input, 'cursor');
  if (cursor !== undefined && cursor.length > MAX_CURSOR) throw badRequest('cursor must be the cursor of a previous page');
  const pageOffset = integer(input, 'pageOffset', 0, MAX_PAGE_OFFSET);
  if (cursor !== undefined && pageOffset !== 0) throw badRequest('cursor and pageOffset exclude each other');
  return {
    pageSize: integer(input, 'pageSize', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    pageOffset,
    filters: all(input, 'filterJson').map(parseFilter),
    sorts: all(input, 'sortJson').map(parseSort),
    cursor,
  };
}

/** The documented query parameters of a search route (examples are sent by the OpenAPI test). */
export const SEARCH_PARAMETERS: NonNullable<Route['query']> = [
  { name: 'pageSize', description: `Most results in the answer, 0–${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}); 0 gives the total only.`, schema: { type: 'integer', minimum: 0, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, examples: [10] } },
  { name: 'pageOffset', description: 'The page index (MongoDB registry\'s reading): the answer starts at pageOffset × pageSize. Default 0.', schema: { type: 'integer', minimum: 0, default: 0, examples: [0] } },
  {
    name: 'filterJson',
    description: 'Repeatable; all must hold. `{"field": <JSON pointer>, "op": "eq", "value": <boolean | number | string>}`; in strings `*` matches any characters and `?` one. An array field matches when one of its elements does.',
    schema: { type: 'string', examples: ['{"field":"/enabled","value":true}'] },
  },
  { name: 'sortJson', description: 'Repeatable, applied in order. `{"field": <JSON pointer>, "direction": "asc" | "desc"}`; ties are ordered by id.', schema: { type: 'string', examples: ['{"field":"/id","direction":"asc"}'] } },
  {
    name: 'cursor',
    description: 'Cursor paging (beyond Hono), stable while resources come and go: empty for the first page, then the `cursor` of the previous answer; the answer carries `cursor` while more follow. Excludes pageOffset.',
    schema: { type: 'string', maxLength: MAX_CURSOR, examples: [''] },
  },
];
