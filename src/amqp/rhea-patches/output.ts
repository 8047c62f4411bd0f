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

/** What the heartbeat patch sees of a rhea Connection (the fields of its output). */
interface BeatingConnection {
  socket?: { end(): void };
  socket_ready?: boolean;
  heartbeat_out?: NodeJS.Timeout;
  heartbeat_in?: NodeJS.Timeout;
  abort_idle?: unknown;
  transport_error?: unknown;
  saved_error?: unknown;
  options: { id: string };
  transport: { write(socket: unknown): void; has_writes_pending(): boolean };
  state: { has_settled(): boolean };
  remote: { open?: { idle_time_out?: number } };
  local: { open: { idle_time_out?: number } };
  is_open(): boolean;
  is_closed(): boolean;
  idle(): void;
  _write_frame(): void;
  _get_peer_details(): string;
  dispatch(name: string, error: unknown): boolean;
  [OUTPUTS]?: number;
  [SEEN]?: number;
  [HEARTBEAT]?: NodeJS.Timeout;
}

const OUTPUTS = Symbol('frames written');
const SEEN = Symbol('frames written at the last heartbeat check');
const HEARTBEAT = Symbol('heartbeat timer');

function armHeartbeat(connection: BeatingConnection, ms: number): void {
  const timer = setTimeout(heartbeat, ms, connection);
  connection[HEARTBEAT] = timer;
  connection.heartbeat_out = timer;
}

/**
 * Every quarter of the peer's idle timeout: an empty frame when no frame went out since the last
 * look, so that at most half the idle timeout passes without a frame (as with rhea's own timer).
 */
function heartbeat(connection: BeatingConnection): void {
  connection.heartbeat_out = undefined;
  const outputs = connection[OUTPUTS] ?? 0;
  if (outputs !== connection[SEEN]) {
    connection[SEEN] = outputs;
    return armHeartbeat(connection, (connection.remote.open?.idle_time_out ?? 0) / 4);
  }
  connection._write_frame();
}

/** rhea's error handling of Connection.output. */
function outputFailed(connection: BeatingConnection, e: Error): void {
  connection.saved_error = e;
  if (e.name === 'ProtocolError') {
    console.error(`[${connection.options.id}] error on write: ${String(e)} ${connection._get_peer_details()} ${e.name}`);
    if (!connection.dispatch('protocol_error', e)) console.error(`[${connection.options.id}] error on write: ${String(e)} ${connection._get_peer_details()}`);
  } else {
    connection.dispatch('error', e);
  }
  connection.socket?.end();
}

/**
 * Heartbeats without a timer per frame. rhea's Connection.output clears its heartbeat timer and
 * sets a new one (with a bound function) for every frame it writes: three of each per lookup, a
 * few µs on this VM. Here output counts its frames, and one timer per connection looks every
 * quarter of the peer's idle timeout and sends an empty frame when the count did not move since
 * its last look: no more than half the idle timeout without a frame, as with rhea, and no clock
 * read per frame. Everything else is rhea's output as it is: the write, the end of a closed
 * connection, the timer on the peer's silence, the error handling.
 */
export const heartbeatPatch: RheaPatch = {
  name: 'heartbeats (Connection.output)',
  check: (lib) =>
    shapeProblems(lib.Connection.prototype, 'output', 'Connection.prototype', [
      'if (this.heartbeat_out) clearTimeout(this.heartbeat_out);',
      'this.transport.write(this.socket);',
      'this.heartbeat_out = setTimeout(this._write_frame.bind(this), this.remote.open.idle_time_out / 2);',
      'this.heartbeat_in = setTimeout(this.idle.bind(this), this.local.open.idle_time_out * 2);',
      "this.dispatch('protocol_error', e)",
    ]),
  apply(lib) {
    lib.Connection.prototype.output = function (this: BeatingConnection): void {
      try {
        if (this.socket === undefined || this.socket_ready !== true) return;
        this.transport.write(this.socket);
        const closing = ((this.is_closed() && this.state.has_settled()) || this.abort_idle || this.transport_error) && !this.transport.has_writes_pending();
        const idleTimeout = this.remote.open?.idle_time_out;
        if (!closing && this.is_open() && idleTimeout) {
          this[OUTPUTS] = (this[OUTPUTS] ?? 0) + 1;
          if (this.heartbeat_out !== this[HEARTBEAT] || this.heartbeat_out === undefined) {
            // Not this patch's timer (rhea's input arms one too): replaced by it.
            if (this.heartbeat_out !== undefined) clearTimeout(this.heartbeat_out);
            this[SEEN] = this[OUTPUTS];
            armHeartbeat(this, idleTimeout / 4);
          }
        } else if (this.heartbeat_out !== undefined) {
          // As rhea: cleared, the field left as it is (rhea's input arms no other timer then).
          clearTimeout(this.heartbeat_out);
          this[HEARTBEAT] = undefined;
        }
        if (closing) this.socket.end();
        if (this.local.open.idle_time_out && this.heartbeat_in === undefined) this.heartbeat_in = setTimeout(() => this.idle(), this.local.open.idle_time_out * 2);
      } catch (e) {
        outputFailed(this, e as Error);
      }
    };
  },
};
