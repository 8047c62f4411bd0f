/**
 * rhea is CommonJS and exports a container instance: under Node's ESM loader only its default
 * export exists (named imports fail at run time). This module takes the values from the default
 * export once; everything else imports rhea's values from here and its types from 'rhea'.
 *
 * It also keeps each received message's encoded bytes (a reference, no copy), so that an id whose
 * AMQP type rhea's decoding loses (binary vs uuid, ulong ≥ 2^53) can be read again with its type,
 * and batches each connection's socket writes (see batchWrites).
 */
import { createRequire } from 'node:module';
import rhea from 'rhea';
import type { Message } from 'rhea';

export const { create_container: createContainer, types, message } = rhea;

interface CorkableSocket {
  cork(): void;
  uncork(): void;
  destroyed?: boolean;
}
interface ConnectionInternals {
  socket?: Partial<CorkableSocket>;
  output(): void;
}

/**
 * rhea writes every frame with its own socket.write: one syscall (and TCP segment) per frame, so a
 * request costs a disposition, a flow and a transfer write. Here the first frame a connection
 * outputs corks its socket, and the frames leave in writes of FRAMES_PER_WRITE frames, the rest at
 * the end of the event-loop turn (setImmediate). Frame order and content are unchanged; the data
 * leaves before the loop waits for I/O again.
 *
 * Why not one write per turn: when the Redis replies of 100 requests arrive together, one write of
 * all 300 frames makes the client wait until the last answer is encoded, and client and registry
 * take turns instead of working at once. Measured at 1 connection × 100 in flight (bench/README.md):
 * one write per turn 0.49–0.54× the echo floor, 24 frames per write 0.63–0.89×, 48 0.55–0.81×, 6
 * and 12 no better; at 4 × 100, 24 frames matched one write per turn (0.83–0.99×).
 */
function batchWrites(): void {
  const proto = (createRequire(import.meta.url)('rhea/lib/connection.js') as { prototype: ConnectionInternals }).prototype;
  const output = proto.output;
  const FRAMES_PER_WRITE = 24;
  /** Corked sockets → frames output since the last write. */
  const corked = new WeakMap<object, number>();
  proto.output = function (this: ConnectionInternals) {
    const socket = this.socket;
    if (socket !== undefined && typeof socket.cork === 'function' && socket.destroyed !== true) {
      const target = socket as CorkableSocket;
      const n = corked.get(target);
      if (n === undefined) {
        target.cork();
        corked.set(target, 1);
        setImmediate(() => {
          corked.delete(target);
          target.uncork();
        });
      } else if (n >= FRAMES_PER_WRITE) {
        target.uncork();
        target.cork();
        corked.set(target, 1);
      } else corked.set(target, n + 1);
    }
    output.call(this);
  };
}
batchWrites();

/** Each received message's encoded bytes (a reference, collected with the message). */
const encoded = new WeakMap<object, Buffer>();
const PROPERTIES = new Set<unknown>([0x73, 'amqp:properties:list']);

type Decode = (buffer: Buffer) => object;
const codec = message as unknown as { decode: Decode };
const decode = codec.decode.bind(codec);
codec.decode = (buffer: Buffer) => {
  const decoded = decode(buffer);
  encoded.set(decoded, buffer);
  return decoded;
};

interface Reader {
  remaining(): number;
  read(): unknown;
}
const ReaderClass = (types as unknown as { Reader: new (buffer: Buffer) => Reader }).Reader;

interface TypedValue {
  descriptor?: { value?: unknown };
  value?: unknown;
  type?: { typecode?: number };
}

/** The request's correlation-id (else message-id) as rhea's typed value, read from the encoded message. */
export function typedCorrelation(received: Message): unknown {
  const buffer = encoded.get(received);
  if (buffer === undefined) return undefined;
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
