/**
 * A lean decoder for what the registry receives most: transfer frames and the request messages
 * they carry (AMQP 1.0 §2.7.5, §3.2). rhea reads every value into a typed wrapper and unwraps it
 * again (types.Reader, message.decode: about a tenth of the registry's CPU per lookup and a fifth of
 * what it allocated). This one reads the same bytes straight into the values rhea's getters
 * return, and builds the same objects: a transfer performative of rhea's own class, a message of
 * rhea's Message class with the same fields in the same order, a Data body as rhea's section.
 *
 * It handles the primitive types (null, booleans, integers of every width, strings, symbols,
 * binaries, uuids), lists and maps of them, the header, properties, application-properties and
 * annotations sections, Data bodies and AmqpValue bodies of a primitive value. Anything else
 * (another performative or frame type, a described value, a float, timestamp, array or nested
 * compound, an AmqpSequence body, a footer, a section descriptor in another form, bytes that end
 * too early) makes it give up, and
 * rhea decodes the input as before, errors included. test/unit/lean-decoder.test.ts compares both
 * for every shape.
 */
import { shapeProblems, type RheaLib, type RheaPatch } from './lib.js';

/** What the lean decoder leaves to rhea. */
const UNHANDLED: unique symbol = Symbol('unhandled');
type Value = unknown;

const MAX_UINT = 4294967296;

/** Widths of the fixed-width types the lean decoder reads, by typecode (floats, decimals, chars and timestamps are left to rhea). */
const FIXED_WIDTHS: Readonly<Record<number, number>> = {
  0x50: 1, 0x51: 1, 0x52: 1, 0x53: 1, 0x54: 1, 0x55: 1, 0x56: 1,
  0x60: 2, 0x61: 2, 0x70: 4, 0x71: 4, 0x80: 8, 0x81: 8, 0x98: 16,
};

/** rhea's ulong (and long) reading: a number up to 2^53, else the 8 bytes (types.js read_ulong, read_long). */
function bigOrNumber(buffer: Buffer, at: number, signed: boolean): number | Buffer {
  const hi = signed ? buffer.readInt32BE(at) : buffer.readUInt32BE(at);
  const lo = buffer.readUInt32BE(at + 4);
  return hi < 2097153 && (!signed || hi > -2097153) ? hi * MAX_UINT + lo : buffer.subarray(at, at + 8);
}

/** Reads AMQP values as rhea unwraps them, from `pos`; any value it does not handle gives UNHANDLED. */
class Reader {
  constructor(
    readonly buffer: Buffer,
    public pos: number,
  ) {}

  private has(bytes: number): boolean {
    return this.pos + bytes <= this.buffer.length;
  }

  /** A string, symbol or binary with a `width`-byte length. */
  private variable(width: 1 | 4, encoding: 'utf8' | 'ascii' | undefined): Value {
    if (!this.has(width)) return UNHANDLED;
    const size = width === 1 ? (this.buffer[this.pos] as number) : this.buffer.readUInt32BE(this.pos);
    const start = this.pos + width;
    if (start + size > this.buffer.length) return UNHANDLED;
    this.pos = start + size;
    return encoding === undefined ? this.buffer.subarray(start, start + size) : this.buffer.toString(encoding, start, start + size);
  }

  /** A fixed-width value (typecode already read), or UNHANDLED when the input ends first. */
  private fixed(code: number): Value {
    const { buffer } = this;
    const at = this.pos;
    const width = FIXED_WIDTHS[code] ?? 0;
    if (width === 0) return UNHANDLED;
    if (at + width > buffer.length) return UNHANDLED;
    this.pos = at + width;
    switch (code) {
      case 0x51: case 0x54: case 0x55: return buffer.readInt8(at);
      case 0x60: return buffer.readUInt16BE(at);
      case 0x61: return buffer.readInt16BE(at);
      case 0x70: return buffer.readUInt32BE(at);
      case 0x71: return buffer.readInt32BE(at);
      case 0x80: return bigOrNumber(buffer, at, false);
      case 0x81: return bigOrNumber(buffer, at, true);
      case 0x98: return buffer.subarray(at, at + 16);
      // ubyte, smalluint, smallulong, and an encoded boolean (0x56), which rhea reads as its byte.
      default: return buffer[at];
    }
  }

  value(): Value {
    if (!this.has(1)) return UNHANDLED;
    const code = this.buffer[this.pos++] as number;
    switch (code) {
      case 0x40: return null;
      case 0x41: return true;
      case 0x42: return false;
      case 0x43: case 0x44: return 0;
      case 0xa0: return this.variable(1, undefined);
      case 0xb0: return this.variable(4, undefined);
      case 0xa1: return this.variable(1, 'utf8');
      case 0xb1: return this.variable(4, 'utf8');
      case 0xa3: return this.variable(1, 'ascii');
      case 0xb3: return this.variable(4, 'ascii');
      default: return this.fixed(code);
    }
  }

  /** The elements of a list (list0, list8, list32), read by their count as rhea does. */
  list(): Value[] | typeof UNHANDLED {
    return this.compound(0x45, 0xc0, 0xd0);
  }

  /** The keys and values of a map (map8, map32), in order. */
  mapElements(): Value[] | typeof UNHANDLED {
    return this.compound(undefined, 0xc1, 0xd1);
  }

  private compound(empty: number | undefined, small: number, large: number): Value[] | typeof UNHANDLED {
    if (!this.has(1)) return UNHANDLED;
    const code = this.buffer[this.pos] as number;
    if (code === empty) {
      this.pos++;
      return [];
    }
    const width = code === small ? 1 : code === large ? 4 : 0;
    if (width === 0 || !this.has(1 + 2 * width)) return UNHANDLED;
    const count = width === 1 ? (this.buffer[this.pos + 2] as number) : this.buffer.readUInt32BE(this.pos + 5);
    this.pos += 1 + 2 * width;
    const elements: Value[] = new Array<Value>(count);
    for (let i = 0; i < count; i++) {
      const element = this.value();
      if (element === UNHANDLED) return UNHANDLED;
      elements[i] = element;
    }
    return elements;
  }
}

/** rhea's mapify: keys and values in turn become an object's properties (a last key without a value is dropped). */
function mapify(elements: Value[]): Record<string, Value> {
  const result: Record<string, Value> = {};
  for (let i = 0; i + 1 < elements.length; i += 2) result[elements[i] as string] = elements[i + 1];
  return result;
}

/** What the decoder builds with: rhea's own classes. */
export interface LeanClasses {
  readonly Transfer: new (fields: Value[]) => object;
  readonly Message: new () => Record<string, Value>;
  /** rhea's message.data_section: a body Section of one Data payload. */
  readonly dataSection: (content: Value) => BodySection;
  /** rhea's Section class. */
  readonly Section: unknown;
}

interface BodySection {
  typecode: number;
  content: Value;
  multiple?: boolean;
}

const HEADER_FIELDS = ['durable', 'priority', 'ttl', 'first_acquirer', 'delivery_count'] as const;
const PROPERTIES_FIELDS = [
  'message_id', 'user_id', 'to', 'subject', 'reply_to', 'correlation_id', 'content_type', 'content_encoding',
  'absolute_expiry_time', 'creation_time', 'group_id', 'group_sequence', 'reply_to_group_id',
] as const;
const MAP_SECTIONS: Record<number, string> = { 0x71: 'delivery_annotations', 0x72: 'message_annotations', 0x74: 'application_properties' };

/**
 * A transfer frame as rhea's frames.read_frame reads it (`{size, type, channel, performative,
 * payload}`, the payload a view of the frame), or undefined for anything else.
 */
export function leanTransferFrame(buffer: Buffer, classes: LeanClasses): Record<string, unknown> | undefined {
  if (buffer.length < 8) return undefined;
  const size = buffer.readUInt32BE(0);
  const doff = buffer[4] as number;
  const type = buffer[5] as number;
  const start = doff * 4;
  if (size > buffer.length || doff < 2 || type !== 0 || start + 3 > buffer.length) return undefined;
  if (buffer[start] !== 0x00 || buffer[start + 1] !== 0x53 || buffer[start + 2] !== 0x14) return undefined;
  const reader = new Reader(buffer, start + 3);
  const fields = reader.list();
  if (fields === UNHANDLED) return undefined;
  const frame: Record<string, unknown> = { size, type, channel: buffer.readUInt16BE(6), performative: new classes.Transfer(fields) };
  if (reader.pos < buffer.length) frame.payload = buffer.subarray(reader.pos);
  return frame;
}

/** Sets the fields of a list section (header, properties) that are present, as rhea's section unwrappers do. */
function setFields(message: Record<string, Value>, names: readonly string[], values: Value[]): void {
  for (let i = 0; i < names.length && i < values.length; i++) {
    const value = values[i];
    if (value !== undefined && value !== null) message[names[i] as string] = value;
  }
}

/** A Data section's payload into the body, as rhea's unwrap_body_section does (several make `multiple`). */
function addData(message: Record<string, Value>, content: Value, classes: LeanClasses): void {
  const body = message.body as BodySection | undefined;
  if (body === undefined) message.body = classes.dataSection(content);
  else if (body.constructor === classes.Section && body.typecode === 0x75) {
    if (body.multiple === true) (body.content as Value[]).push(content);
    else {
      body.multiple = true;
      body.content = [body.content, content];
    }
  }
}

/** One section into the message; false for a section the lean decoder leaves to rhea. */
function readSection(reader: Reader, message: Record<string, Value>, classes: LeanClasses): boolean {
  const { buffer, pos } = reader;
  if (pos + 3 > buffer.length || buffer[pos] !== 0x00 || buffer[pos + 1] !== 0x53) return false;
  const code = buffer[pos + 2] as number;
  reader.pos += 3;
  if (code === 0x70 || code === 0x73) {
    const values = reader.list();
    if (values === UNHANDLED) return false;
    setFields(message, code === 0x70 ? HEADER_FIELDS : PROPERTIES_FIELDS, values);
    return true;
  }
  const mapName = MAP_SECTIONS[code];
  if (mapName !== undefined) {
    const elements = reader.mapElements();
    if (elements === UNHANDLED) return false;
    message[mapName] = mapify(elements);
    return true;
  }
  if (code !== 0x75 && code !== 0x77) return false;
  const content = reader.value();
  if (content === UNHANDLED) return false;
  // An AmqpValue (rhea's clients send a null one when a message has no body) replaces the body.
  if (code === 0x77) message.body = content;
  else addData(message, content, classes);
  return true;
}

/** A message as rhea's message.decode decodes it, or undefined for anything the lean decoder leaves to rhea. */
export function leanMessage(buffer: Buffer, classes: LeanClasses): Record<string, Value> | undefined {
  const message = new classes.Message();
  const reader = new Reader(buffer, 0);
  while (reader.pos < buffer.length) if (!readSection(reader, message, classes)) return undefined;
  return message;
}

/** rhea's classes the decoder builds with, taken from what rhea's own factories make. */
export function leanClasses(lib: RheaLib): LeanClasses {
  const transfer = lib.frames.transfer as (fields: Record<string, unknown>) => object;
  const dataSection = lib.message.data_section as LeanClasses['dataSection'];
  const decode = lib.message.decode as (buffer: Buffer) => object;
  return {
    Transfer: transfer({}).constructor as LeanClasses['Transfer'],
    Message: decode(Buffer.alloc(0)).constructor as LeanClasses['Message'],
    dataSection,
    Section: dataSection(undefined).constructor,
  };
}

export const leanDecoderPatch: RheaPatch = {
  name: 'lean decoder of transfers (frames.read_frame, message.decode)',
  check: (lib) => [
    ...shapeProblems(lib.frames, 'read_frame', 'frames', ['reader.read_uint(4)', 'frame.payload = reader.read_bytes']),
    ...shapeProblems(lib.frames, 'transfer', 'frames'),
    ...shapeProblems(lib.message, 'decode', 'message', ['new Message()', 'unwrap(msg, s)']),
    ...shapeProblems(lib.message, 'data_section', 'message'),
  ],
  apply(lib) {
    type Decode = (buffer: Buffer) => object;
    const readFrame = lib.frames.read_frame as Decode;
    const decode = lib.message.decode as Decode;
    const classes = leanClasses(lib);
    lib.frames.read_frame = (buffer: Buffer) => leanTransferFrame(buffer, classes) ?? readFrame(buffer);
    lib.message.decode = (buffer: Buffer) => leanMessage(buffer, classes) ?? decode(buffer);
  },
};
