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
