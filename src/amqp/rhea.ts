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
  socket?: Partial<CorkableSocket> & { pause?(): void; resume?(): void };
  output(): void;
  input(buffer: Buffer): void;
  is_open(): boolean;
  previous_input?: Buffer | null;
  frame_size?: number;
  received_bytes?: number;
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

/**
 * When one read brings many requests (a client with 100 in flight on one connection sends them in
 * one write), rhea would decode them all, the registry would send all their Redis commands in one
 * pipeline, and answer all of them at once: client, registry and Redis take turns instead of
 * working at the same time. Here a read larger than SLICE_BYTES on an open connection is handed to
 * rhea in slices of whole frames, one slice per event-loop turn, with the socket paused until the
 * last one: the first answers are on their way while the later requests are decoded.
 */
/** The most bytes of input rhea gets in one go when a read brings many frames (see sliceInput). */
export const SLICE_BYTES = 4096;

/**
 * How many bytes at the start of `buffer` are whole AMQP frames fitting in `limit` (at least the
 * first frame, however large). What does not parse as frames (a bogus size, a partial frame) goes
 * to rhea whole, in the slice it starts, so rhea's own checks see it as they would have.
 */
export function frameSliceEnd(buffer: Buffer, limit: number): number {
  let end = 0;
  while (end + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(end);
    if (size < 8 || end + size > buffer.length) return end === 0 ? buffer.length : end;
    if (end > 0 && end + size > limit) return end;
    end += size;
  }
  return end === 0 ? buffer.length : end;
}

function sliceInput(): void {
  const proto = (createRequire(import.meta.url)('rhea/lib/connection.js') as { prototype: ConnectionInternals }).prototype;
  const input = proto.input;
  const queued = new WeakMap<ConnectionInternals, Buffer[]>();

  const drain = (connection: ConnectionInternals) => {
    const queue = queued.get(connection);
    if (queue === undefined) return;
    const socket = connection.socket;
    if (socket?.destroyed === true) {
      queued.delete(connection);
      return;
    }
    const head = queue[0] as Buffer;
    const end = frameSliceEnd(head, SLICE_BYTES);
    if (end >= head.length) queue.shift();
    else queue[0] = head.subarray(end);
    input.call(connection, end >= head.length ? head : head.subarray(0, end));
    if (queue.length > 0) setImmediate(drain, connection);
    else {
      queued.delete(connection);
      socket?.resume?.();
    }
  };

  proto.input = function (this: ConnectionInternals, buffer: Buffer) {
    const queue = queued.get(this);
    if (queue !== undefined) {
      queue.push(buffer);
      return;
    }
    if (buffer.length <= SLICE_BYTES || !this.is_open() || this.previous_input) return input.call(this, buffer);
    // The end of a frame rhea holds the start of goes first, so that the slices start at frames.
    const lead = this.frame_size === undefined || this.frame_size === null ? 0 : this.frame_size - (this.received_bytes ?? 0);
    if (lead >= buffer.length - SLICE_BYTES) return input.call(this, buffer);
    if (lead > 0) input.call(this, buffer.subarray(0, lead));
    queued.set(this, [lead > 0 ? buffer.subarray(lead) : buffer]);
    this.socket?.pause?.();
    drain(this);
  };
}
sliceInput();

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
