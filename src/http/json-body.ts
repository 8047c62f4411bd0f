/**
 * Reads a JSON request body: `application/json` required, bounded size, valid UTF-8, valid JSON
 * of bounded depth whose numbers can be stored exactly (src/json-input.ts).
 */
import type { Context } from 'koa';
import { RegistryError, badRequest } from '../errors.js';
import { JsonInputError, parseJsonInput } from '../json-input.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

function isJsonMediaType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const media = header.split(';')[0]?.trim().toLowerCase();
  return media === 'application/json';
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
export async function readJsonBody(ctx: Context, maxBytes: number, maxDepth: number): Promise<unknown> {
  if (!isJsonMediaType(ctx.get('Content-Type') || undefined)) {
    throw badRequest('Content-Type must be application/json');
  }
  const raw = await readRaw(ctx, maxBytes);
  if (raw.length === 0) throw badRequest('request body is empty; a JSON object is required');
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    throw badRequest('request body is not valid UTF-8');
  }
  if (text.trim() === '') throw badRequest('request body is empty; a JSON object is required');
  try {
    return parseJsonInput(text, maxDepth);
  } catch (err) {
    if (!(err instanceof JsonInputError)) throw err;
    if (err.kind === 'syntax') throw badRequest(`request body is not valid JSON: ${err.message}`);
    throw badRequest(`request body: ${err.message}`);
  }
}
