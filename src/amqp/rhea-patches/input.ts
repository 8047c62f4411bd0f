/**
 * What a server connection reads, before rhea decodes it.
 *
 * Framing (AMQP 1.0 §2.3.1, §2.4.1): rhea waits for whatever size a frame header declares, keeping
 * every byte until then, so one header announcing 4 GiB made the registry buffer all a client sent.
 * Here every frame header is checked as rhea's transport is about to parse it: a SASL frame above
 * 512 bytes (MIN-MAX-FRAME-SIZE; SASL frames come before any negotiation), an AMQP frame above the
 * max-frame-size the registry advertises, or a frame shorter than its own header ends the
 * connection at once with `amqp:connection:framing-error` (a close frame once the peer's open was
 * read, else the socket is destroyed). rhea then never holds more than one partial frame of at most
 * that size, and nothing of the peer's input after the fault is read.
 *
 * Slicing: when one read brings many requests (a client with 100 in flight on one connection sends
 * them in one write), rhea would decode them all, the registry would send all their Redis commands
 * in one pipeline and answer all of them at once: client, registry and Redis take turns instead of
 * working at the same time. Here a read larger than SLICE_BYTES on an open connection is handed to
 * rhea in slices of whole frames, one slice per event-loop turn, with the socket paused until the
 * last one: the first answers are on their way while the later requests are decoded. While the
 * socket is paused nothing more is read, so the queue holds at most the rest of one read.
 */
import { RegistryError } from '../../errors.js';
import { shapeProblems, wrapMethod, type RheaPatch } from './lib.js';

/** AMQP 1.0 MIN-MAX-FRAME-SIZE: the largest frame a peer may send before any negotiation. */
export const MIN_MAX_FRAME_SIZE = 512;
const SASL_PROTOCOL_ID = 3;
/** After a close for a protocol fault: how long the peer may take to read it before the socket is cut. */
const CLOSE_GRACE_MS = 1000;
/** The most bytes of input rhea gets in one go when a read brings many frames (see sliceInput). */
export const SLICE_BYTES = 4096;

interface InputSocket {
  destroyed?: boolean;
  pause?(): void;
  resume?(): void;
  end(): void;
  destroy(error?: Error): void;
  once(event: 'close', listener: () => void): void;
}

/** The parts of a rhea Connection the input patches use. */
export interface InputConnection {
  socket?: InputSocket;
  is_server?: boolean;
  local: { open: { max_frame_size?: number } };
  amqp_transport: { read_complete: boolean };
  frame_size?: number | null;
  received_bytes?: number;
  previous_input?: Buffer | null;
  is_open(): boolean;
  is_remote_open(): boolean;
  close(error: { condition: string; description: string }): void;
  input(buffer: Buffer): void;
}

interface TransportInternals {
  protocol_id: number;
  header_received?: unknown;
  handler: InputConnection | { connection: InputConnection };
}

/** Connections ended for a protocol fault: their further input is dropped unread. */
const aborted = new WeakSet<object>();

/**
 * Ends a server connection for a protocol fault: with a close frame carrying the error's condition once the
 * peer's open has been read (the socket follows once the frame is out, at the latest after
 * CLOSE_GRACE_MS), else by destroying the socket. rhea processes no further frame of it.
 */
export function abortConnection(connection: InputConnection, err: RegistryError): void {
  if (aborted.has(connection)) return;
  aborted.add(connection);
  // Stops rhea's loop over the frames of the read at hand.
  connection.amqp_transport.read_complete = true;
  const socket = connection.socket;
  if (socket === undefined) return;
  // With an error, rhea runs its disconnect handling (timers cleared, `disconnected` emitted).
  const { condition, publicMessage: description } = err;
  const cut = () => socket.destroy(new Error(`${condition}: ${description}`));
  if (!connection.is_remote_open()) return cut();
  connection.close({ condition, description });
  // rhea writes the close frame on the next tick; end() sends it and keeps reading (and dropping)
  // what the peer still sends, so that it can read the close instead of getting a reset.
  setImmediate(() => {
    socket.end();
    const timer = setTimeout(cut, CLOSE_GRACE_MS);
    socket.once('close', () => clearTimeout(timer));
  });
}

function connectionOf(transport: TransportInternals): InputConnection {
  const handler = transport.handler;
  return 'connection' in handler ? handler.connection : handler;
}

/** Whether the declared frame sizes in `buffer` (from `offset`) are allowed; aborts the connection when not. */
function framesAllowed(connection: InputConnection, buffer: Buffer, offset: number, limit: number): boolean {
  for (let at = offset; at + 4 <= buffer.length; ) {
    const size = buffer.readUInt32BE(at);
    if (size >= 8 && size <= limit) {
      at += size;
      continue;
    }
    const what = size < 8 ? 'is shorter than a frame header' : `exceeds the max-frame-size of ${limit} bytes`;
    abortConnection(connection, new RegistryError('FRAMING_ERROR', `a frame of ${size} bytes ${what}`));
    return false;
  }
  return true;
}

export const framingPatch: RheaPatch = {
  name: 'frame size limits (Transport.read)',
  check: (lib) => [
    ...shapeProblems(lib.Transport.prototype, 'read', 'Transport.prototype', ['this.header_received', 'buffer.readUInt32BE(offset)', 'this.read_complete']),
    ...shapeProblems(lib.Connection.prototype, 'is_remote_open', 'Connection.prototype'),
    ...shapeProblems(lib.Connection.prototype, 'close', 'Connection.prototype', ['this.local.close.error = error']),
    ...shapeProblems(lib.sasl.Server.prototype, 'read', 'sasl.Server.prototype', ['this.transport.read(buffer)']),
  ],
  apply(lib) {
    wrapMethod<(this: TransportInternals, buffer: Buffer) => number>(lib.Transport.prototype, 'read', (read) =>
      function (this: TransportInternals, buffer: Buffer) {
        const connection = connectionOf(this);
        if (connection.is_server !== true) return read.call(this, buffer);
        if (aborted.has(connection)) return buffer.length;
        // rhea reads the 8-byte protocol header first; frames follow it.
        if (this.header_received === undefined && buffer.length < 8) return read.call(this, buffer);
        const offset = this.header_received === undefined ? 8 : 0;
        const limit = this.protocol_id === SASL_PROTOCOL_ID ? MIN_MAX_FRAME_SIZE : (connection.local.open.max_frame_size ?? 0xffffffff);
        return framesAllowed(connection, buffer, offset, limit) ? read.call(this, buffer) : buffer.length;
      },
    );
  },
};

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

export const slicingPatch: RheaPatch = {
  name: 'input slices (Connection.input)',
  check: (lib) => shapeProblems(lib.Connection.prototype, 'input', 'Connection.prototype', ['this.frame_size', 'this.received_bytes', 'this.previous_input', 'this.transport.read(buffer']),
  apply(lib) {
    const queued = new WeakMap<InputConnection, Buffer[]>();
    wrapMethod<(this: InputConnection, buffer: Buffer) => void>(lib.Connection.prototype, 'input', (input) => {
      const drain = (connection: InputConnection) => {
        const queue = queued.get(connection);
        if (queue === undefined) return;
        const socket = connection.socket;
        if (socket?.destroyed === true || aborted.has(connection)) {
          queued.delete(connection);
          // An aborted connection keeps reading (and dropping) until its socket is gone.
          socket?.resume?.();
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
      return function (this: InputConnection, buffer: Buffer) {
        if (aborted.has(this)) return;
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
    });
  },
};
