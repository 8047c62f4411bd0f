/**
 * Reading request messages and building response messages (docs/amqp-api.md §2.3, §2.4, §14).
 */
import { randomUUID } from 'node:crypto';
import type { Message } from 'rhea';
import { message as rheaMessage, typedCorrelation, types } from './rhea.js';
import { badRequest } from '../errors.js';
import { JsonInputError, parseJsonInput } from '../json-input.js';
import type { JsonObject } from '../model/credentials.js';
import { isValidId, type IdKind } from '../validation.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

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

/** The request's Data section. BAD_REQUEST for AmqpValue/AmqpSequence bodies or several sections (§14.2). */
export function dataBody(message: Message): Buffer | undefined {
  const body = message.body as unknown;
  if (body === undefined || body === null) return undefined;
  if (isSection(body) && body.typecode === 0x75 && !body.multiple && Buffer.isBuffer(body.content)) return body.content;
  throw badRequest('the body must be a single Data section');
}

/**
 * Parses a Data body as a JSON object. BAD_REQUEST when it is not UTF-8 JSON of an object, is
 * nested deeper than `maxDepth` or holds a number that cannot be stored exactly (src/json-input.ts).
 */
export function jsonObjectBody(bytes: Buffer, maxDepth: number): JsonObject {
  let value: unknown;
  try {
    value = parseJsonInput(utf8.decode(bytes), maxDepth);
  } catch (err) {
    throw badRequest(err instanceof JsonInputError && err.kind !== 'syntax' ? `the body: ${err.message}` : 'the body is not UTF-8 JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest('the body must be a JSON object');
  return value as JsonObject;
}

/** A string application property, undefined when absent. BAD_REQUEST when it has another type. */
function stringProperty(message: Message, name: string): string | undefined {
  const value = message.application_properties?.[name] as unknown;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') throw badRequest(`application property ${name} must be a non-empty string`);
  return value;
}

/**
 * An id in an application property (`tenant_id`, `device_id`, `gateway_id`), undefined when absent.
 * BAD_REQUEST (before accepting: rejected with `hono:bad-request`, §2.5) when it is no string or
 * breaks the id rule of schemas/common.json, like a malformed id anywhere else.
 */
export function idProperty(message: Message, name: string, kind: IdKind): string | undefined {
  const value = stringProperty(message, name);
  if (value !== undefined && !isValidId(kind, value)) {
    throw badRequest(`application property ${name} must be a ${kind === 'TenantId' ? 'tenant' : 'device'} id: 1–256 characters, no control characters or unpaired surrogates`);
  }
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

/**
 * Message ids of answers: UUID strings whose first 80 bits are random for each start of the
 * registry and whose last 48 count the answers, so that an answer costs no random number.
 */
const ID_PREFIX = randomUUID().slice(0, 24);
const ID_PREFIX_BYTES = Buffer.from(ID_PREFIX, 'latin1');
const ID_LENGTH = 36;
const HEX = Buffer.from('0123456789abcdef', 'latin1');
let answerCount = 0;

/** The next answer's number (below 2^48). */
function nextAnswer(): number {
  answerCount = answerCount === 0xffffffffffff ? 1 : answerCount + 1;
  return answerCount;
}

/** The message id of an answer numbered `n`. */
export function answerMessageId(n: number): string {
  return ID_PREFIX + n.toString(16).padStart(12, '0');
}

/** Builds the response message for a request (message-id: the next answer id unless given). */
export function responseMessage(request: Message, answer: Answer, messageId: string = answerMessageId(nextAnswer())): Message {
  const properties: Record<string, unknown> = { status: types.wrap_int(answer.status) };
  if (answer.tenantId !== undefined) properties.tenant_id = answer.tenantId;
  if (answer.deviceId !== undefined) properties.device_id = answer.deviceId;
  if (answer.cacheControl !== undefined) properties.cache_control = answer.cacheControl;
  // Body-less answers go out with an AmqpValue(null) section (a message always has a body section).
  const response = {
    message_id: messageId,
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

/*
 * The encoded response, written directly: the bytes rhea's message.encode produces for
 * responseMessage() (test/unit/response-encoding.test.ts compares them for every shape), without
 * building and walking rhea's tree of typed values, which cost about a tenth of the registry's CPU
 * per lookup, and without a Buffer per string: sizes first, then one buffer, the strings written
 * into it. Sections: an empty header, properties (list32: message-id, four nulls, correlation-id,
 * content-type), application properties (map32), and the body (a Data section, or AmqpValue null).
 * Only string correlation ids take this path; the others (numbers, uuid, binary, ulong, kept with
 * their AMQP type) go through rhea.
 */
const HEADER_SECTION = Buffer.from([0x00, 0x53, 0x70, 0x45]);
const NULL_BODY = Buffer.from([0x00, 0x53, 0x77, 0x40]);
const STATUS_KEY = Buffer.from('status');
const PROPERTY_KEYS = { tenantId: Buffer.from('tenant_id'), deviceId: Buffer.from('device_id'), cacheControl: Buffer.from('cache_control') } as const;
const CONTENT_TYPES = { json: Buffer.from('application/json'), text: Buffer.from('text/plain') } as const;

/** Encoded size of a string, symbol or binary of `n` bytes (8-bit length up to 255, else 32-bit). */
const variableSize = (n: number): number => (n <= 255 ? 2 + n : 5 + n);
const utf8Size = (text: string | undefined): number => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));

class ResponseWriter {
  offset = 0;
  constructor(readonly buffer: Buffer) {}

  bytes(value: Buffer): void {
    value.copy(this.buffer, this.offset);
    this.offset += value.length;
  }

  byte(value: number): void {
    this.buffer[this.offset++] = value;
  }

  uint32(value: number): void {
    this.buffer.writeUInt32BE(value, this.offset);
    this.offset += 4;
  }

  /** The constructor and length of a string (0xa1/0xb1), symbol (0xa3/0xb3) or binary (0xa0/0xb0) of `size` bytes: +0x10 for 32-bit lengths. */
  lead(code8: number, size: number): void {
    if (size <= 255) {
      this.byte(code8);
      this.byte(size);
    } else {
      this.byte(code8 + 0x10);
      this.uint32(size);
    }
  }

  variable(code8: number, value: Buffer): void {
    this.lead(code8, value.length);
    this.bytes(value);
  }

  /** A string, symbol or binary of UTF-8 text whose byte size is known. */
  text(code8: number, value: string, size: number): void {
    this.lead(code8, size);
    this.offset += this.buffer.write(value, this.offset, size, 'utf8');
  }

  /** An answer's message id: the registry's prefix and 12 hex digits of its number. */
  answerId(n: number): void {
    this.lead(0xa1, ID_LENGTH);
    this.bytes(ID_PREFIX_BYTES);
    for (let shift = 44; shift >= 0; shift -= 4) this.byte(HEX[Math.floor(n / 2 ** shift) % 16] as number);
  }

  /** Starts a described section: 0x00, smallulong descriptor. */
  section(code: number): void {
    this.byte(0x00);
    this.byte(0x53);
    this.byte(code);
  }
}

/** The application properties of an answer besides `status`: key and value, with the value's UTF-8 size. */
function answerProperties(answer: Answer): [Buffer, string, number][] {
  const strings: [Buffer, string, number][] = [];
  if (answer.tenantId !== undefined) strings.push([PROPERTY_KEYS.tenantId, answer.tenantId, utf8Size(answer.tenantId)]);
  if (answer.deviceId !== undefined) strings.push([PROPERTY_KEYS.deviceId, answer.deviceId, utf8Size(answer.deviceId)]);
  if (answer.cacheControl !== undefined) strings.push([PROPERTY_KEYS.cacheControl, answer.cacheControl, utf8Size(answer.cacheControl)]);
  return strings;
}

/**
 * The encoded response message for a request: what `message.encode(responseMessage(…))` gives,
 * byte for byte, written directly when the correlation id is a string.
 */
export function encodeResponse(request: Message, answer: Answer, messageId?: string): Buffer {
  const correlation = correlationOf(request);
  if (typeof correlation !== 'string') return (rheaMessage as unknown as { encode(m: Message): Buffer }).encode(responseMessage(request, answer, messageId));
  const answerNumber = messageId === undefined ? nextAnswer() : 0;
  const idSize = messageId === undefined ? ID_LENGTH : utf8Size(messageId);
  const correlationSize = utf8Size(correlation);
  const bodyText = answer.json ?? answer.text;
  const bodySize = utf8Size(bodyText);
  const contentType = answer.json !== undefined ? CONTENT_TYPES.json : answer.text !== undefined ? CONTENT_TYPES.text : undefined;
  const strings = answerProperties(answer);

  // list32 / map32 sizes count the 4-byte element count and the elements.
  const propertiesSize = 4 + variableSize(idSize) + 4 + variableSize(correlationSize) + (contentType === undefined ? 0 : variableSize(contentType.length));
  let mapSize = 4 + variableSize(STATUS_KEY.length) + 5;
  for (const [key, , size] of strings) mapSize += variableSize(key.length) + variableSize(size);
  const bodySectionSize = bodyText === undefined ? NULL_BODY.length : 3 + variableSize(bodySize);
  const w = new ResponseWriter(Buffer.allocUnsafe(HEADER_SECTION.length + 3 + 5 + propertiesSize + 3 + 5 + mapSize + bodySectionSize));

  w.bytes(HEADER_SECTION);
  w.section(0x73);
  w.byte(0xd0);
  w.uint32(propertiesSize);
  w.uint32(contentType === undefined ? 6 : 7);
  if (messageId === undefined) w.answerId(answerNumber);
  else w.text(0xa1, messageId, idSize);
  for (let i = 0; i < 4; i++) w.byte(0x40); // user-id, to, subject, reply-to
  w.text(0xa1, correlation, correlationSize);
  if (contentType !== undefined) w.variable(0xa3, contentType);

  w.section(0x74);
  w.byte(0xd1);
  w.uint32(mapSize);
  w.uint32(2 + 2 * strings.length);
  w.variable(0xa1, STATUS_KEY);
  w.byte(0x71);
  w.buffer.writeInt32BE(answer.status, w.offset);
  w.offset += 4;
  for (const [key, value, size] of strings) {
    w.variable(0xa1, key);
    w.text(0xa1, value, size);
  }

  if (bodyText === undefined) w.bytes(NULL_BODY);
  else {
    w.section(0x75);
    w.text(0xa0, bodyText, bodySize);
  }
  return w.buffer;
}
