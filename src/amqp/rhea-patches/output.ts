/**
 * Write batching. rhea writes every frame with its own socket.write: one syscall (and TCP segment)
 * per frame, so a request costs a disposition, a flow and a transfer write. Here the first frame a
 * connection outputs corks its socket, and the frames leave in writes of FRAMES_PER_WRITE frames,
 * the rest at the end of the event-loop turn (setImmediate). Frame order and content are
 * unchanged; the data leaves before the loop waits for I/O again.
 *
 * Why not one write per turn: when the Redis replies of 100 requests arrive together, one write of
 * all 300 frames makes the client wait until the last answer is encoded, and client and registry
 * take turns instead of working at once. Measured at 1 connection × 100 in flight (bench/README.md):
 * one write per turn 0.49–0.54× the echo floor, 24 frames per write 0.63–0.89×, 48 0.55–0.81×, 6
 * and 12 no better; at 4 × 100, 24 frames matched one write per turn (0.83–0.99×).
 */
import { shapeProblems, wrapMethod, type RheaPatch } from './lib.js';

interface CorkableSocket {
  cork(): void;
  uncork(): void;
  destroyed?: boolean;
}

interface OutputConnection {
  socket?: Partial<CorkableSocket>;
}

const FRAMES_PER_WRITE = 24;

export const writeBatchingPatch: RheaPatch = {
  name: 'write batching (Connection.output)',
  check: (lib) => shapeProblems(lib.Connection.prototype, 'output', 'Connection.prototype', ['this.transport.write(this.socket)']),
  apply(lib) {
    /** Corked sockets → frames output since the last write. */
    const corked = new WeakMap<object, number>();
    wrapMethod<(this: OutputConnection) => void>(lib.Connection.prototype, 'output', (output) =>
      function (this: OutputConnection) {
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
      },
    );
  },
};

/** rhea's types.Writer, as frames.write_frame uses it. */
interface FrameWriter {
  buffer: Buffer;
  position: number;
  skip(bytes: number): void;
  write_uint(value: number, width: number): void;
  write(value: unknown): void;
  write_bytes(bytes: Buffer): void;
}

interface OutgoingFrame {
  type: number;
  channel: number;
  performative?: unknown;
  payload?: Buffer;
}

/** A writer buffer that grew beyond this (a large transfer) is not kept for the next frame. */
const MAX_KEPT_WRITER_BYTES = 64 * 1024;

/**
 * Frame encoding into one reused buffer. rhea's frames.write_frame gives every frame a new,
 * zero-filled 1024-byte writer buffer (an ArrayBuffer each: three per lookup) and returns a view
 * of it. Here every frame is written into the same buffer, as rhea writes it (same steps, same
 * bytes: test/unit/rhea-writes.test.ts), and copied out at its exact size. Frames of a type rhea
 * does not know still go to rhea, which refuses them.
 */
export const frameWriterPatch: RheaPatch = {
  name: 'frame writer (frames.write_frame)',
  check: (lib) => [
    ...shapeProblems(lib.frames, 'write_frame', 'frames', ['writer.skip(4)', 'writer.write_uint(2, 1)', 'writer.write(frame.performative)', 'writer.write_bytes(frame.payload)', 'buffer.writeUInt32BE(buffer.length, 0)']),
    ...shapeProblems(lib.types, 'Writer', 'types'),
  ],
  apply(lib) {
    const writeFrame = lib.frames.write_frame as (frame: OutgoingFrame) => Buffer;
    const Writer = lib.types.Writer as new (buffer?: Buffer) => FrameWriter;
    const { TYPE_AMQP, TYPE_SASL } = lib.frames as { TYPE_AMQP: number; TYPE_SASL: number };
    let kept: Buffer = Buffer.allocUnsafe(1024);
    lib.frames.write_frame = (frame: OutgoingFrame): Buffer => {
      if (frame.type !== TYPE_AMQP && frame.type !== TYPE_SASL) return writeFrame(frame);
      const writer = new Writer(kept);
      writer.skip(4);
      writer.write_uint(2, 1);
      writer.write_uint(frame.type, 1);
      writer.write_uint(frame.type === TYPE_AMQP ? frame.channel : 0, 2);
      if (frame.performative) {
        writer.write(frame.performative);
        if (frame.payload) writer.write_bytes(frame.payload);
      }
      const size = writer.position;
      const out = Buffer.allocUnsafe(size);
      writer.buffer.copy(out, 0, 0, size);
      out.writeUInt32BE(size, 0);
      if (writer.buffer.length <= MAX_KEPT_WRITER_BYTES) kept = writer.buffer;
      return out;
    };
  },
};
