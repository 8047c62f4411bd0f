/**
 * The encoded bytes of a received message whose id rhea's decoding loses the AMQP type of (binary
 * vs uuid, ulong ≥ 2^53), kept (a reference, no copy) so that the id can be read again with its
 * type (docs/amqp-api.md §2.4, #16). Messages with a string or safe-integer id, nearly all, need
 * nothing kept: no WeakMap entry per request.
 */
import type { Message } from 'rhea';
import { shapeProblems, type RheaPatch } from './lib.js';

/** Encoded bytes of the messages whose id must be read again (a reference, collected with the message). */
const encoded = new WeakMap<object, Buffer>();
const PROPERTIES = new Set<unknown>([0x73, 'amqp:properties:list']);

interface Reader {
  remaining(): number;
  read(): unknown;
}

interface TypedValue {
  descriptor?: { value?: unknown };
  value?: unknown;
  type?: { typecode?: number };
}

/** Whether rhea's decoded correlation id (else message id) is what the message carries: absent, a string or a safe integer. */
function keepsType(message: Message): boolean {
  const id = (message.correlation_id ?? message.message_id) as unknown;
  return id === undefined || typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id));
}

let ReaderClass: (new (buffer: Buffer) => Reader) | undefined;

export const correlationPatch: RheaPatch = {
  name: 'encoded messages (message.decode)',
  check: (lib) => [...shapeProblems(lib.message, 'decode', 'message'), ...shapeProblems(lib.types, 'Reader', 'types')],
  apply(lib) {
    type Decode = (buffer: Buffer) => object;
    const decode = (lib.message.decode as Decode).bind(lib.message);
    lib.message.decode = (buffer: Buffer) => {
      const decoded = decode(buffer);
      if (!keepsType(decoded as Message)) encoded.set(decoded, buffer);
      return decoded;
    };
    ReaderClass = lib.types.Reader as new (buffer: Buffer) => Reader;
  },
};

/** The request's correlation-id (else message-id) as rhea's typed value, read from the encoded message. */
export function typedCorrelation(received: Message): unknown {
  const buffer = encoded.get(received);
  if (buffer === undefined || ReaderClass === undefined) return undefined;
  const reader = new ReaderClass(buffer);
  while (reader.remaining() > 0) {
    const section = reader.read() as TypedValue;
    if (PROPERTIES.has(section.descriptor?.value)) {
      const fields = (section.value ?? []) as TypedValue[];
      const isSet = (f: TypedValue | undefined) => f !== undefined && f.type?.typecode !== 0x40;
      return isSet(fields[5]) ? fields[5] : isSet(fields[0]) ? fields[0] : undefined;
    }
  }
  return undefined;
}
