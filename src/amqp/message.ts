/**
 * Reading request messages and building response messages (hono-amqp-apis.md §2.3, §2.4, §14).
 */
import { randomUUID } from 'node:crypto';
import type { Message } from 'rhea';
import { message as rheaMessage, typedCorrelation, types } from './rhea.js';
import { badRequest } from '../errors.js';
import type { JsonObject } from '../model/credentials.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A formally invalid request: rejected with `hono:bad-request`, never answered (§2.5). */
export class FormalError extends Error {}

export interface RequestBody {
  /** The raw bytes of the single Data section, or undefined when the message has no body. */
  readonly bytes: Buffer | undefined;
}

interface DataSection {
  typecode: number;
  content: unknown;
  multiple?: boolean;
}

function isSection(body: unknown): body is DataSection {
  return typeof body === 'object' && body !== null && typeof (body as DataSection).typecode === 'number' && 'content' in body;
}

/** The request's Data section. FormalError for AmqpValue/AmqpSequence bodies or several sections (§14.2). */
export function dataBody(message: Message): Buffer | undefined {
  const body = message.body as unknown;
  if (body === undefined || body === null) return undefined;
  if (isSection(body) && body.typecode === 0x75 && !body.multiple && Buffer.isBuffer(body.content)) return body.content;
  throw new FormalError('the body must be a single Data section');
}

/** Parses a Data body as a JSON object. FormalError when it is not UTF-8 JSON of an object. */
export function jsonObjectBody(bytes: Buffer): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new FormalError('the body is not UTF-8 JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new FormalError('the body must be a JSON object');
  return value as JsonObject;
}

/** A string application property, undefined when absent. FormalError when it has another type. */
export function stringProperty(message: Message, name: string): string | undefined {
  const value = message.application_properties?.[name] as unknown;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') throw new FormalError(`application property ${name} must be a non-empty string`);
  return value;
}

/** Like stringProperty, but a missing property is a BAD_REQUEST answer (status 400), not a rejection. */
export function requiredProperty(message: Message, name: string): string {
  const value = stringProperty(message, name);
  if (value === undefined) throw badRequest(`application property ${name} is required`);
  return value;
}

/**
 * The id the response is correlated by, with its AMQP type kept (§2.4, #15, #16): the request's
 * correlation-id if set, else its message-id. Strings and safe integers keep their type through
 * rhea's decoding; Buffers (uuid or binary) and large ulongs are read again with their type.
 */
export function correlationOf(message: Message): unknown {
  const id = (message.correlation_id ?? message.message_id) as unknown;
  if (typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id))) return id;
  return typedCorrelation(message) ?? (Buffer.isBuffer(id) ? types.wrap_binary(id) : id);
}

export interface Answer {
  /** HTTP-style status code, sent as an AMQP int (§14.1). */
  readonly status: number;
  /** JSON text of the body (Data section, application/json). */
  readonly json?: string;
  /** Plain-text error description (1.x profile). */
  readonly text?: string;
  readonly tenantId?: string;
  readonly deviceId?: string;
  readonly cacheControl?: string;
}

/** Builds the response message for a request. */
export function responseMessage(request: Message, answer: Answer): Message {
  const properties: Record<string, unknown> = { status: types.wrap_int(answer.status) };
  if (answer.tenantId !== undefined) properties.tenant_id = answer.tenantId;
  if (answer.deviceId !== undefined) properties.device_id = answer.deviceId;
  if (answer.cacheControl !== undefined) properties.cache_control = answer.cacheControl;
  // Body-less answers go out with an AmqpValue(null) section (a message always has a body section).
  const response = {
    message_id: randomUUID(),
    correlation_id: correlationOf(request) as Message['correlation_id'],
    application_properties: properties,
  } as Message;
  if (answer.json !== undefined) {
    response.content_type = 'application/json';
    response.body = rheaMessage.data_section(Buffer.from(answer.json, 'utf8'));
  } else if (answer.text !== undefined) {
    response.content_type = 'text/plain';
    response.body = rheaMessage.data_section(Buffer.from(answer.text, 'utf8'));
  }
  return response;
}
