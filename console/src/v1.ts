/**
 * The /v1 search as the console asks it (docs/management-v1.md "Search"): page index and size,
 * filters (`*` and `?` wildcards in strings), sorting; a search that finds nothing is a 404 there,
 * an empty page here.
 */
import { api, ApiError } from './api';

export type Json = Record<string, unknown>;

export interface Filter { readonly field: string; readonly value: string | number | boolean }
export interface Sort { readonly field: string; readonly direction: 'asc' | 'desc' }

export interface SearchRequest {
  readonly pageSize: number;
  readonly pageOffset?: number;
  readonly filters?: readonly Filter[];
  readonly sort?: Sort;
  /** Further parameters (`isGateway`). */
  readonly extra?: Record<string, string>;
}

export interface SearchPage<T> { readonly total: number; readonly result: readonly T[] }

/** The query string of a search: filterJson repeated, one per filter. */
export function searchQuery(request: SearchRequest): string {
  const params = new URLSearchParams({ pageSize: String(request.pageSize) });
  if (request.pageOffset !== undefined && request.pageOffset > 0) params.set('pageOffset', String(request.pageOffset));
  for (const f of request.filters ?? []) params.append('filterJson', JSON.stringify({ field: f.field, op: 'eq', value: f.value }));
  if (request.sort !== undefined) params.set('sortJson', JSON.stringify(request.sort));
  for (const [name, value] of Object.entries(request.extra ?? {})) params.set(name, value);
  return `?${params.toString()}`;
}

/** Searches `path` (`/v1/tenants`); nothing found is an empty page. */
export async function search<T>(path: string, request: SearchRequest): Promise<SearchPage<T>> {
  try {
    return (await api<SearchPage<T>>('GET', `${path}${searchQuery(request)}`)).body;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { total: 0, result: [] };
    throw err;
  }
}

/** What a user typed as an id pattern: as it is with a wildcard, else "contains" (`*text*`). */
export function idPattern(text: string): string {
  const trimmed = text.trim();
  return /[*?]/.test(trimmed) ? trimmed : `*${trimmed}*`;
}

/** A copy of `value` with the member at `path` set (`undefined` removes it; emptied objects go too). */
export function setIn(value: Json, path: readonly string[], member: unknown): Json {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  const copy: Json = { ...value };
  const inner = rest.length === 0 ? member : setIn((copy[head] as Json | undefined) ?? {}, rest, member);
  if (inner === undefined || (rest.length > 0 && Object.keys(inner as Json).length === 0)) delete copy[head];
  else copy[head] = inner;
  return copy;
}

/** The member at `path`, if any. */
export function getIn(value: Json, path: readonly string[]): unknown {
  return path.reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as Json)[key] : undefined), value);
}

/** The base64 DER of the first certificate of a PEM text; undefined when there is none. */
export function pemToDer(pem: string): string | undefined {
  const body = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem)?.[1];
  return body === undefined ? undefined : body.replace(/\s+/g, '');
}
