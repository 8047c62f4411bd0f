/**
 * The console's one way to the registry: same-origin fetch with the session cookie (the browser
 * sends it; no script can read it) and the X-Registry-Console header that the registry requires of
 * every cookie request that changes something. The token itself is never kept here.
 */

/** A refused or failed request: the registry's status and its `error` text. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Seconds to wait (429). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Answer<T> {
  readonly status: number;
  readonly body: T;
  /** The `rel="next"` target of a Link header (a paged list), if any. */
  readonly next?: string;
  /** The resource's version (a /v1 answer's ETag), for `ifMatch` on the next change. */
  readonly etag?: string;
}

export interface RequestOptions {
  /** A failed sign-in is no ended session. */
  readonly signingIn?: boolean;
  /** Only when the resource still has this version (/v1 PUT, PATCH, DELETE); 412 otherwise. */
  readonly ifMatch?: string;
  /** `application/merge-patch+json` for a /v1 PATCH; default `application/json`. */
  readonly contentType?: string;
}

let sessionEnded: (message: string) => void = () => undefined;

/** Who hears that the session ended (a 401 on any call but sign-in). */
export function onSessionEnded(listener: (message: string) => void): void {
  sessionEnded = listener;
}

function nextLink(header: string | null): string | undefined {
  return header === null ? undefined : /<([^>]+)>\s*;\s*rel="next"/.exec(header)?.[1];
}

function parse(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Sends a request; resolves for 2xx, rejects with an ApiError otherwise (status 0: unreachable). */
export async function api<T = unknown>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { 'X-Registry-Console': '1', Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = options.contentType ?? 'application/json';
  if (options.ifMatch !== undefined) headers['If-Match'] = options.ifMatch;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', cache: 'no-store', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch {
    throw new ApiError(0, 'The registry cannot be reached. Check the connection and try again.');
  }
  const json = parse(await res.text());
  if (!res.ok) {
    const error = (json as { error?: unknown } | undefined)?.error;
    const message = typeof error === 'string' ? error : res.statusText || `HTTP ${res.status}`;
    if (res.status === 401 && options.signingIn !== true) sessionEnded(message);
    const retry = Number(res.headers.get('Retry-After') ?? Number.NaN);
    throw new ApiError(res.status, message, Number.isFinite(retry) ? retry : undefined);
  }
  const next = nextLink(res.headers.get('Link'));
  const etag = res.headers.get('ETag') ?? undefined;
  return { status: res.status, body: json as T, ...(next === undefined ? {} : { next }), ...(etag === undefined ? {} : { etag }) };
}

/** A path segment, encoded. */
export const seg = encodeURIComponent;

/** A query string from the defined values (`?a=1&b=2`, or '' when none). */
export function query(params: Record<string, string | number | undefined>): string {
  const defined = Object.entries(params).filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== '');
  return defined.length === 0 ? '' : `?${new URLSearchParams(defined.map(([k, v]) => [k, String(v)])).toString()}`;
}

/** True when a conditional change failed because someone else changed the resource meanwhile (412). */
export function changedMeanwhile(err: unknown): boolean {
  return err instanceof ApiError && err.status === 412;
}

/** A message for the user from any failure. */
export function messageOf(err: unknown): string {
  if (changedMeanwhile(err)) return 'Someone else changed this meanwhile. Reload it to see their change, then make yours again.';
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
