/**
 * Limits rhea leaves to the application, enforced where rhea handles the frames, before it
 * allocates anything for them.
 *
 * Sessions (AMQP 1.0 §2.7.1 open, channel-max): rhea accepts a begin on any channel and gives each
 * session its delivery buffers, so one connection could open tens of thousands. A server
 * connection advertises channel-max; a begin on a channel above it ends the connection with
 * `amqp:connection:framing-error` (as §2.7.1 requires), and a begin on a channel whose session is
 * still open with `amqp:illegal-state`, so at most channel-max + 1 sessions are open at a time.
 *
 * Message size (§2.7.3 attach, max-message-size): rhea collects the transfers of a delivery until
 * the last one, without limit. On a link whose attach advertises max-message-size, a delivery
 * growing beyond it, or unfinished deliveries of one connection holding more than
 * PARTIAL_MESSAGES_PER_CONNECTION times it, end the connection with `amqp:resource-limit-exceeded`.
 */
import { RegistryError } from '../../errors.js';
import { abortConnection, type InputConnection } from './input.js';
import { shapeProblems, wrapMethod, type RheaPatch } from './lib.js';

interface BeginFrame {
  channel: number;
  performative: { remote_channel?: number | null };
}

interface LimitedConnection extends InputConnection {
  local: { open: { max_frame_size?: number; channel_max?: number } };
  remote_channel_map: Record<number, { is_remote_open(): boolean } | undefined>;
}

export const sessionLimitPatch: RheaPatch = {
  name: 'session limit (Connection.on_begin)',
  check: (lib) => [
    ...shapeProblems(lib.Connection.prototype, 'on_begin', 'Connection.prototype', ['frame.performative.remote_channel', 'this.remote_channel_map[frame.channel] = session']),
    ...shapeProblems(lib.Session.prototype, 'is_remote_open', 'Session.prototype'),
  ],
  apply(lib) {
    wrapMethod<(this: LimitedConnection, frame: BeginFrame) => void>(lib.Connection.prototype, 'on_begin', (onBegin) =>
      function (this: LimitedConnection, frame: BeginFrame) {
        const peerInitiated = frame.performative.remote_channel === null || frame.performative.remote_channel === undefined;
        if (this.is_server === true && peerInitiated) {
          const max = this.local.open.channel_max ?? 0xffff;
          if (frame.channel > max) return abortConnection(this, new RegistryError('FRAMING_ERROR', `channel ${frame.channel} is above the channel-max of ${max}`));
          if (this.remote_channel_map[frame.channel]?.is_remote_open() === true) return abortConnection(this, new RegistryError('ILLEGAL_STATE', `channel ${frame.channel} already has a session`));
        }
        onBegin.call(this, frame);
      },
    );
  },
};

interface TransferFrame {
  payload?: Buffer;
  performative: { handle: number; more?: boolean };
}

interface TransferSession {
  connection: InputConnection;
  remote: { handles: Record<number, { name?: string; local: { attach: { max_message_size?: number } } } | undefined> };
}

/** How many largest messages the unfinished deliveries of one connection may hold together. */
export const PARTIAL_MESSAGES_PER_CONNECTION = 4;

export const messageSizePatch: RheaPatch = {
  name: 'message size limit (Session.on_transfer)',
  check: (lib) => shapeProblems(lib.Session.prototype, 'on_transfer', 'Session.prototype', ['this._get_link(frame)']),
  apply(lib) {
    /** Links → bytes of the delivery whose transfers are still coming; connections → those bytes summed. */
    const partial = new WeakMap<object, number>();
    const held = new WeakMap<object, number>();
    wrapMethod<(this: TransferSession, frame: TransferFrame) => void>(lib.Session.prototype, 'on_transfer', (onTransfer) =>
      function (this: TransferSession, frame: TransferFrame) {
        const link = this.remote.handles[frame.performative.handle];
        const more = frame.performative.more === true;
        const connection = this.connection;
        if (link !== undefined && connection.is_server === true && (more || partial.has(link))) {
          const limit = link.local.attach.max_message_size ?? 0;
          const bytes = frame.payload?.length ?? 0;
          const size = (partial.get(link) ?? 0) + bytes;
          const total = (held.get(connection) ?? 0) + bytes;
          if (limit > 0 && (size > limit || total > PARTIAL_MESSAGES_PER_CONNECTION * limit)) {
            const what = size > limit ? `a message on link ${link.name ?? '?'} exceeds its max-message-size of ${limit} bytes` : `unfinished messages exceed ${PARTIAL_MESSAGES_PER_CONNECTION * limit} bytes`;
            return abortConnection(connection, new RegistryError('RESOURCE_LIMIT_EXCEEDED', what));
          }
          if (more) partial.set(link, size);
          else partial.delete(link);
          held.set(connection, more ? total : total - size);
        }
        onTransfer.call(this, frame);
      },
    );
  },
};
