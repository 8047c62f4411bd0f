/**
 * Reads a JSON request body: `application/json` (or, for a PATCH, `application/merge-patch+json`)
 * required, bounded size, valid UTF-8, valid JSON of bounded depth whose numbers can be stored
 * exactly (src/json-input.ts). An optional body may be left out altogether.
 */
import type { Context } from 'koa';
import { RegistryError, badRequest } from '../errors.js';
import { JsonInputError, parseJsonInput } from '../json-input.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The media types of request bodies: JSON, and JSON merge patches (RFC 7396) for PATCH. */
export type BodyMediaType = 'application/json' | 'application/merge-patch+json';

function hasMediaType(header: string | undefined, expected: BodyMediaType): boolean {
  if (header === undefined) return false;
  const media = header.split(';')[0]?.trim().toLowerCase();
  return media === expected;
}

/** How a route's body is read. */
export interface BodyRules {
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly mediaType: BodyMediaType;
  /** No body at all is fine (undefined is returned): Hono's /v1 POST. */
  readonly optional: boolean;
}

/** Whether the request announces a body (a length above zero, or chunked). */
function announcesBody(ctx: Context): boolean {
  const length = ctx.get('Content-Length');
  return ctx.get('Transfer-Encoding') !== '' || (length !== '' && length !== '0');
}

async function readRaw(ctx: Context, maxBytes: number): Promise<Buffer> {
  const declared = Number(ctx.get('Content-Length') || NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** The rest of the body is not read, so the connection cannot be reused: close it after the answer. */
function tooLarge(maxBytes: number): RegistryError {
  return new RegistryError('PAYLOAD_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, { headers: { Connection: 'close' } });
}

/**
 * The parsed body. BAD_REQUEST for a wrong content type, empty body, invalid UTF-8 or JSON, JSON
 * nested deeper than `maxDepth`, a number that cannot be stored exactly; PAYLOAD_TOO_LARGE.
 */
export async function readJsonBody(ctx: Context, rules: BodyRules): Promise<unknown> {
  const { maxBytes, maxDepth, mediaType, optional } = rules;
  if (optional && !announcesBody(ctx)) return undefined;
  if (!hasMediaType(ctx.get('Content-Type') || undefined, mediaType)) {
    throw badRequest(`Content-Type must be ${mediaType}`);
  }
  const raw = await readRaw(ctx, maxBytes);
  if (raw.length === 0 && optional) return undefined;
  if (raw.length === 0) throw badRequest('request body is empty; a JSON object is required');
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    throw badRequest('request body is not valid UTF-8');
  }
  if (text.trim() === '') {
    if (optional) return undefined;
    throw badRequest('request body is empty; a JSON object is required');
  }
  try {
    return parseJsonInput(text, maxDepth);
  } catch (err) {
    if (!(err instanceof JsonInputError)) throw err;
    if (err.kind === 'syntax') throw badRequest(`request body is not valid JSON: ${err.message}`);
    throw badRequest(`request body: ${err.message}`);
  }
}
