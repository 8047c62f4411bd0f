/**
 * A small promise-based Hono-style request/response client over rhea, for tests
 * (docs/amqp-api.md §2.2 – §2.5): per endpoint it opens the reply receiver first
 * (`<endpoint>/<uuid>`), then the sender to the endpoint, correlates answers by correlation id
 * and turns rejected deliveries into `{ rejected }` results. Every request is bounded by a timeout.
 * It runs on the test clients' own, unpatched copy of rhea (test/helpers/fresh-rhea.ts), not on
 * the registry's patched one.
 */
import { randomUUID } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { clientRhea } from './fresh-rhea.js';
import type { Connection, Container, Delivery, EventContext, Message, Receiver, Sender } from 'rhea';

const { create_container: createContainer, message: rheaMessage, types } = clientRhea.rhea;

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

export interface ClientOptions {
  readonly port: number;
  readonly host?: string;
  readonly username?: string;
  readonly password?: string;
  /** SASL ANONYMOUS instead of PLAIN. */
  readonly anonymous?: boolean;
  /** Bound on connection establishment (default 5 s). */
  readonly connectTimeoutMs?: number;
  /** The local address to connect from (e.g. 127.0.0.2: another client address on loopback). */
  readonly localAddress?: string;
}

export interface RequestMessage {
  readonly subject?: string;
  readonly applicationProperties?: Record<string, unknown>;
  /** An object is sent as a JSON Data section, a Buffer as a raw Data section, 'amqp-value' as an AmqpValue body. */
  readonly body?: object | Buffer | 'amqp-value';
  /** Defaults to `test-client-<uuid>`; `null` sends no message-id. */
  readonly messageId?: unknown;
  readonly correlationId?: unknown;
  /** Defaults to the reply link's address. */
  readonly replyTo?: string;
  /** Defaults to application/json. */
  readonly contentType?: string;
}

export interface Rejection {
  readonly condition: string;
  readonly description?: string;
}

export interface Response {
  /** The `status` application property. */
  readonly status?: number;
  /** The AMQP type name of `status` on the wire, e.g. `Int` or `SmallInt`. */
  readonly statusType?: string;
  readonly properties: Record<string, unknown>;
  /** A Data body parsed as JSON (or its text when it is no JSON); undefined without a Data body. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly correlationId: unknown;
  /** Set when the request delivery was rejected (then there is no answer). */
  readonly rejected?: Rejection;
  /** The raw response message. */
  readonly message?: Message;
}

export interface RequestOptions {
  readonly timeoutMs?: number;
}

/** A link or connection that was refused or closed while requests were waiting. */
export class AmqpClientError extends Error {
  constructor(
    message: string,
    readonly condition: string | undefined,
  ) {
    super(message);
    this.name = 'AmqpClientError';
  }
}

export interface RequestLink {
  readonly endpoint: string;
  readonly replyAddress: string;
  readonly sender: Sender;
  readonly receiver: Receiver;
  request(msg: RequestMessage, options?: RequestOptions): Promise<Response>;
  /** Detaches both links (bounded wait). */
  close(): Promise<void>;
}

export interface AmqpClient {
  readonly connection: Connection;
  /** Responses that matched no waiting request (late answers after a timeout, or strays). */
  readonly unmatchedResponses: number;
  /** Sends on the endpoint's default link pair, opened on first use. */
  request(endpoint: string, msg: RequestMessage, options?: RequestOptions): Promise<Response>;
  /** Opens a dedicated link pair (reply link first). The reply address defaults to `<endpoint>/<uuid>`. */
  link(endpoint: string, options?: { replyAddress?: string }): Promise<RequestLink>;
  /** Closes the connection; requests still waiting fail. Bounded wait, then the socket is destroyed. */
  close(): Promise<void>;
  /** Destroys the socket without an AMQP close. */
  abort(): void;
}

interface Pending {
  readonly key: string | undefined;
  readonly correlationId: unknown;
  readonly resolve: (r: Response) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
  delivery?: Delivery;
}

/** A stable map key for an AMQP message id of any type. */
export function idKey(id: unknown): string | undefined {
  if (id === undefined || id === null) return undefined;
  if (Buffer.isBuffer(id)) return `bin:${id.toString('hex')}`;
  if (typeof id === 'object' && id !== null && 'value' in id) return idKey((id as { value: unknown }).value);
  return `${typeof id}:${String(id)}`;
}

function errorOf(value: unknown): { condition: string | undefined; description: string | undefined } {
  const err = value as { condition?: unknown; description?: unknown } | undefined;
  return {
    condition: err?.condition === undefined ? undefined : String(err.condition),
    description: err?.description === undefined ? undefined : String(err.description),
  };
}

/** The AMQP type name of the `status` application property in an encoded message. */
function statusTypeOf(raw: Buffer | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const reader = new (types as unknown as { Reader: new (b: Buffer) => { remaining(): number; read(): unknown } }).Reader(raw);
    while (reader.remaining()) {
      const section = reader.read() as { descriptor?: { value?: unknown }; value?: unknown };
      if (Number(section.descriptor?.value) !== 0x74 || !Array.isArray(section.value)) continue;
      const items = section.value as { type?: { name?: string }; value?: unknown }[];
      for (let i = 0; i + 1 < items.length; i += 2) {
        if (items[i]?.value === 'status') return items[i + 1]?.type?.name;
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function decodeBody(message: Message): unknown {
  const body = message.body as unknown;
  if (body === undefined || body === null) return undefined;
  const section = body as { typecode?: number; content?: unknown };
  if (section.typecode === 0x75 && Buffer.isBuffer(section.content)) {
    const text = section.content.toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return body;
}

/**
 * Keeps the raw bytes of the last message each receiver of the session got, so that the wire
 * type of `status` can be read (rhea only hands out decoded values). Instance-level: the
 * registry's own (in-process) sessions are untouched.
 */
function captureRawTransfers(receiver: Receiver, raws: WeakMap<Receiver, Buffer>): void {
  const session = (receiver as unknown as { session: { incoming: { on_transfer(frame: unknown, link: unknown): void; __captured?: boolean } } }).session;
  const incoming = session.incoming;
  if (incoming.__captured === true) return;
  incoming.__captured = true;
  const original = incoming.on_transfer.bind(incoming);
  const parts = new WeakMap<object, Buffer[]>();
  incoming.on_transfer = (frame: unknown, link: unknown) => {
    const f = frame as { payload?: Buffer; performative: { more?: boolean } };
    const l = link as Receiver;
    if (typeof link === 'object' && link !== null) {
      const list = parts.get(l) ?? [];
      if (f.payload !== undefined) list.push(f.payload);
      if (f.performative.more === true) parts.set(l, list);
      else {
        parts.delete(l);
        raws.set(l, list.length === 1 ? (list[0] as Buffer) : Buffer.concat(list));
      }
    }
    original(frame, link);
  };
}

/** Opens a connection. Rejects (with an AmqpClientError) when SASL or the open fails. */
export async function openClient(options: ClientOptions): Promise<AmqpClient> {
  const container: Container = createContainer({ id: `test-client-${randomUUID()}` });
  const connectOptions: Record<string, unknown> = {
    host: options.host ?? '127.0.0.1',
    port: options.port,
    reconnect: false,
    idle_time_out: 16_000,
  };
  if (options.localAddress !== undefined) {
    const localAddress = options.localAddress;
    // rhea calls connect(port, host, options, callback); net.connect takes the local address only in an options object.
    connectOptions.connect = (port: number, host: string, _options: unknown, callback: () => void) => netConnect({ port, host, localAddress }, callback);
  }
  if (options.anonymous === true) connectOptions.username = options.username ?? 'anonymous';
  else if (options.username !== undefined) {
    connectOptions.username = options.username;
    connectOptions.password = options.password ?? '';
  }
  const connection = container.connect(connectOptions as unknown as Parameters<Container['connect']>[0]);

  const pairs = new Map<Sender | Receiver, PairState>();
  const defaults = new Map<string, Promise<RequestLink>>();
  const raws = new WeakMap<Receiver, Buffer>();
  let closedError: AmqpClientError | undefined;
  let unmatched = 0;

  interface PairState {
    readonly endpoint: string;
    readonly byKey: Map<string, Pending>;
    readonly byDelivery: Map<Delivery, Pending>;
    failed?: AmqpClientError;
  }

  const settle = (pair: PairState, pending: Pending) => {
    clearTimeout(pending.timer);
    if (pending.key !== undefined && pair.byKey.get(pending.key) === pending) pair.byKey.delete(pending.key);
    if (pending.delivery !== undefined) pair.byDelivery.delete(pending.delivery);
  };
  const failPair = (pair: PairState, err: AmqpClientError) => {
    pair.failed ??= err;
    const all = new Set([...pair.byKey.values(), ...pair.byDelivery.values()]);
    for (const pending of all) {
      settle(pair, pending);
      pending.reject(err);
    }
  };
  /** Link attaches still waiting; they fail when the connection ends. */
  const attaching = new Set<(err: AmqpClientError) => void>();
  const failAll = (err: AmqpClientError) => {
    closedError ??= err;
    for (const pair of new Set(pairs.values())) failPair(pair, err);
    for (const fail of [...attaching]) fail(err);
  };

  // Every event is handled here (no unhandled 'error' events escape to the process).
  container.on('message', (ctx: EventContext) => {
    const receiver = ctx.receiver as Receiver;
    const pair = pairs.get(receiver);
    const message = ctx.message;
    if (pair === undefined || message === undefined) return;
    const key = idKey(message.correlation_id);
    const pending = key === undefined ? undefined : pair.byKey.get(key);
    if (pending === undefined) {
      unmatched++;
      return;
    }
    settle(pair, pending);
    const properties = (message.application_properties ?? {}) as Record<string, unknown>;
    const status = properties.status;
    pending.resolve({
      status: typeof status === 'number' ? status : undefined,
      statusType: statusTypeOf(raws.get(receiver)),
      properties,
      body: decodeBody(message),
      contentType: message.content_type,
      correlationId: message.correlation_id,
      message,
    });
  });
  const onOutcome = (ctx: EventContext) => {
    const delivery = ctx.delivery as Delivery;
    const pair = pairs.get(ctx.sender as Sender);
    const pending = pair?.byDelivery.get(delivery);
    if (pair === undefined || pending === undefined) return;
    pair.byDelivery.delete(delivery);
    const state = (delivery as unknown as { remote_state?: { error?: unknown; constructor?: { composite_type?: string } } }).remote_state;
    const outcome = state?.constructor?.composite_type;
    if (outcome === 'accepted') return; // the answer follows on the reply link
    settle(pair, pending);
    if (outcome === 'rejected') {
      const { condition, description } = errorOf(state?.error);
      pending.resolve({ properties: {}, correlationId: pending.correlationId, rejected: { condition: condition ?? '(none)', ...(description === undefined ? {} : { description }) } });
    } else {
      pending.reject(new AmqpClientError(`request delivery ${outcome ?? 'settled without outcome'}`, outcome));
    }
  };
  container.on('accepted', onOutcome);
  container.on('rejected', onOutcome);
  container.on('released', onOutcome);
  container.on('modified', onOutcome);
  const onLinkClose = (ctx: EventContext) => {
    const link = (ctx.sender ?? ctx.receiver) as Sender | Receiver;
    const pair = pairs.get(link);
    if (pair === undefined) return;
    const { condition, description } = errorOf((link as unknown as { remote: { detach?: { error?: unknown } } }).remote.detach?.error);
    failPair(pair, new AmqpClientError(`link ${pair.endpoint} closed${condition === undefined ? '' : `: ${condition} ${description ?? ''}`}`, condition));
  };
  container.on('sender_close', onLinkClose);
  container.on('receiver_close', onLinkClose);
  container.on('sender_error', () => undefined);
  container.on('receiver_error', () => undefined);
  container.on('session_error', () => undefined);
  container.on('session_close', () => undefined);
  container.on('error', () => undefined);
  container.on('protocol_error', () => undefined);

  const connectionFailure = (ctx: EventContext): AmqpClientError => {
    const raw = (ctx as unknown as { error?: unknown }).error ?? (ctx.connection as unknown as { get_error?: () => unknown }).get_error?.();
    const { condition, description } = errorOf(raw);
    return new AmqpClientError(`connection failed${condition === undefined ? '' : `: ${condition}`}${description === undefined ? '' : ` ${description}`}`, condition);
  };

  /**
   * Destroys the socket *with an error*: rhea then runs its disconnect handling, which clears its
   * heartbeat timers (a plain destroy() leaves them running for twice the idle timeout).
   */
  const destroy = (reason: string) => {
    const socket = connection.socket as (NodeJS.EventEmitter & { destroyed?: boolean; destroy(err?: Error): void }) | undefined;
    if (socket !== undefined && socket.destroyed !== true) socket.destroy(new Error(reason));
  };
  /** Resolves once the socket has closed; destroys it when that takes longer than `ms`. */
  const socketClosed = (ms: number) =>
    new Promise<void>((resolve) => {
      const socket = connection.socket as (NodeJS.EventEmitter & { closed?: boolean }) | undefined;
      if (socket === undefined || socket.closed === true) return resolve();
      const timer = setTimeout(() => destroy('the socket did not close in time'), ms);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });

  // Permanent handlers: rhea warns on the console about (and may throw for) unhandled ones.
  let settleOpen: ((err?: AmqpClientError) => void) | undefined;
  const onConnectionEnd = (ctx: EventContext) => {
    const err = connectionFailure(ctx);
    failAll(err);
    settleOpen?.(err);
  };
  container.on('connection_error', onConnectionEnd);
  container.on('connection_close', onConnectionEnd);
  container.on('disconnected', onConnectionEnd);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => settleOpen?.(new AmqpClientError('connection not opened in time', undefined)), options.connectTimeoutMs ?? 5000);
    settleOpen = (err) => {
      settleOpen = undefined;
      clearTimeout(timer);
      if (err === undefined) resolve();
      // a failed connection is gone (socket closed, rhea's timers cleared) before the failure is reported
      else void socketClosed(1000).then(() => reject(err));
    };
    container.once('connection_open', () => settleOpen?.());
  });

  async function openPair(endpoint: string, replyAddress: string): Promise<RequestLink> {
    if (closedError !== undefined) throw closedError;
    const state: PairState = { endpoint, byKey: new Map(), byDelivery: new Map() };
    const waitOpen = (link: Sender | Receiver, event: 'sender_open' | 'receiver_open') =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new AmqpClientError(`link ${endpoint} not attached in time`, undefined)), DEFAULT_REQUEST_TIMEOUT_MS);
        const done = (err?: AmqpClientError) => {
          clearTimeout(timer);
          attaching.delete(done);
          link.removeListener(event, opened);
          link.removeListener(event === 'sender_open' ? 'sender_close' : 'receiver_close', closed);
          if (err === undefined) resolve();
          else reject(err);
        };
        // A refused link is attached and detached at once: look again after the frames at hand.
        const opened = () => setImmediate(() => (link.is_remote_open() ? done() : closed()));
        const closed = () => {
          const { condition, description } = errorOf((link as unknown as { remote: { detach?: { error?: unknown } } }).remote.detach?.error);
          done(new AmqpClientError(`link ${endpoint} refused: ${condition ?? '(no error)'} ${description ?? ''}`, condition));
        };
        link.once(event, opened);
        link.once(event === 'sender_open' ? 'sender_close' : 'receiver_close', closed);
        if (closedError !== undefined) done(closedError);
        else attaching.add(done);
      });
    const receiver = connection.open_receiver({ source: { address: replyAddress }, autoaccept: true, credit_window: 200 });
    pairs.set(receiver, state);
    captureRawTransfers(receiver, raws);
    await waitOpen(receiver, 'receiver_open');
    const sender = connection.open_sender({ target: { address: endpoint } });
    pairs.set(sender, state);
    await waitOpen(sender, 'sender_open');

    const request = (msg: RequestMessage, opts: RequestOptions = {}): Promise<Response> => {
      if (closedError !== undefined) return Promise.reject(closedError);
      if (state.failed !== undefined) return Promise.reject(state.failed);
      const messageId = msg.messageId === undefined ? `test-client-${randomUUID()}` : msg.messageId;
      const out: Record<string, unknown> = {
        reply_to: msg.replyTo ?? replyAddress,
        content_type: msg.contentType ?? 'application/json',
      };
      if (msg.subject !== undefined) out.subject = msg.subject;
      if (messageId !== null) out.message_id = messageId;
      if (msg.correlationId !== undefined) out.correlation_id = msg.correlationId;
      if (msg.applicationProperties !== undefined) out.application_properties = msg.applicationProperties;
      if (msg.body === 'amqp-value') out.body = 'an AmqpValue body';
      else if (Buffer.isBuffer(msg.body)) out.body = rheaMessage.data_section(msg.body);
      else if (msg.body !== undefined) out.body = rheaMessage.data_section(Buffer.from(JSON.stringify(msg.body), 'utf8'));
      const correlationId = msg.correlationId ?? (messageId === null ? undefined : messageId);
      const key = idKey(correlationId);
      return new Promise<Response>((resolve, reject) => {
        const timeoutMs = opts.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
        const pending: Pending = {
          key,
          correlationId,
          resolve,
          reject,
          timer: setTimeout(() => {
            settle(state, pending);
            reject(new AmqpClientError(`no answer to ${msg.subject ?? '(no subject)'} on ${endpoint} within ${timeoutMs} ms`, undefined));
          }, timeoutMs),
        };
        if (key !== undefined) {
          if (state.byKey.has(key)) {
            clearTimeout(pending.timer);
            reject(new Error(`correlation id ${key} is already waiting`));
            return;
          }
          state.byKey.set(key, pending);
        }
        try {
          pending.delivery = sender.send(out as unknown as Message);
          state.byDelivery.set(pending.delivery, pending);
        } catch (err) {
          settle(state, pending);
          reject(err as Error);
        }
      });
    };

    const close = async () => {
      failPair(state, new AmqpClientError(`link ${endpoint} closed by the client`, undefined));
      const closing = [sender, receiver]
        .filter((l) => l.is_open() || !l.is_closed())
        .map(
          (l) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, 2000);
              l.once(l === sender ? 'sender_close' : 'receiver_close', () => {
                clearTimeout(timer);
                resolve();
              });
              l.close();
            }),
        );
      await Promise.all(closing);
      pairs.delete(sender);
      pairs.delete(receiver);
    };
    return { endpoint, replyAddress, sender, receiver, request, close };
  }

  return {
    connection,
    get unmatchedResponses() {
      return unmatched;
    },
    request(endpoint, msg, opts) {
      let link = defaults.get(endpoint);
      if (link === undefined) {
        link = openPair(endpoint, `${endpoint}/${randomUUID()}`);
        defaults.set(endpoint, link);
        link.catch(() => defaults.delete(endpoint));
      }
      return link.then((l) => l.request(msg, opts));
    },
    link: (endpoint, opts = {}) => openPair(endpoint, opts.replyAddress ?? `${endpoint}/${randomUUID()}`),
    async close() {
      failAll(new AmqpClientError('connection closed by the client', undefined));
      // AMQP close; rhea ends the socket once the peer answered, the peer ends its side
      connection.close();
      await socketClosed(2000);
    },
    abort() {
      failAll(new AmqpClientError('connection aborted by the client', undefined));
      destroy('connection aborted by the client');
    },
  };
}
