/**
 * A lean AMQP 1.0 request/response load client (Hono style, docs/amqp-api.md §2.2 – §2.4).
 *
 * N connections, M requests in flight in total (closed loop: each answer sends the next request at
 * once), keys chosen by the caller's `next()` for every request. Per connection and request address
 * it opens a reply receiver `<address>/<uuid>` first, then the sender to the address. Responses are
 * matched by correlation-id; the time from `send` to the answer is one latency sample.
 *
 * A run = priming (not recorded) + measuring window, counted or timed (bench/recorder.ts); requests
 * still open when the window ends are waited for but not counted.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import rhea from 'rhea';
import type { Connection, Container, EventContext, Message, Receiver, Sender } from 'rhea';
import { Recorder, type CountedWindow, type LoadResult } from './recorder.js';

export type { LoadResult } from './recorder.js';

const { create_container: createContainer, message: rheaMessage } = rhea;

/**
 * rhea writes every frame with its own socket.write (one syscall and TCP segment per frame). The
 * load client corks its sockets while rhea processes a tick's output, so all frames of the tick go
 * out in one writev: less client CPU per request, more left for the server under test. Only this
 * process is affected (the registry and the echo floor run rhea unchanged).
 */
export function corkRheaWrites(): void {
  const require = createRequire(import.meta.url);
  const proto = (require('rhea/lib/connection.js') as { prototype: { _process(): void; socket?: unknown; __benchCorked?: boolean } }).prototype;
  if (proto.__benchCorked === true) return;
  proto.__benchCorked = true;
  const process_ = proto._process;
  proto._process = function (this: { socket?: { cork?(): void; uncork?(): void; writableCorked?: number } }) {
    const socket = this.socket;
    if (socket?.cork === undefined || socket.uncork === undefined || (socket.writableCorked ?? 0) > 0) return process_.call(this);
    socket.cork();
    try {
      return process_.call(this);
    } finally {
      socket.uncork();
    }
  };
}

export interface AmqpTarget {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
}

/** One request: where it goes and what it carries. */
export interface AmqpRequest {
  readonly address: string;
  readonly subject: string;
  readonly properties?: Record<string, unknown>;
  /** JSON bytes of the Data body; none when undefined. */
  readonly body?: Buffer;
}

export interface LoadSpec {
  readonly connections: number;
  /** Requests in flight over all connections (spread evenly). */
  readonly inFlight: number;
  /** A counted window (prime + requests); without it, a timed one of warmupMs + durationMs. */
  readonly window?: CountedWindow;
  readonly warmupMs?: number;
  readonly durationMs?: number;
  /** A counted run that takes longer fails (default 120 s). */
  readonly maxMs?: number;
  /** Every address `next()` can return (their links are opened before the clock starts). */
  readonly addresses: readonly string[];
  readonly next: () => AmqpRequest;
  /** The status every answer should have (others are counted as errors). Default 200. */
  readonly expectStatus?: number;
  /** Called (synchronously) when the measuring window opens and closes, e.g. to read CPU counters. */
  readonly onWindow?: (edge: 'start' | 'end') => void;
}

interface LinkPair {
  readonly sender: Sender;
  readonly replyTo: string;
}

interface ConnState {
  readonly connection: Connection;
  readonly links: Map<string, LinkPair>;
  /** message-id → send time (performance.now()). */
  readonly pending: Map<string, number>;
  seq: number;
}

function once<T>(emitter: { once(event: string, fn: (ctx: T) => void): unknown }, ok: string, fail: readonly string[], timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: no ${ok} within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(ok, (ctx: T) => {
      clearTimeout(timer);
      resolve(ctx);
    });
    for (const event of fail) {
      emitter.once(event, () => {
        clearTimeout(timer);
        reject(new Error(`${what}: ${event}`));
      });
    }
  });
}

async function openConnection(container: Container, target: AmqpTarget, addresses: readonly string[], index: number): Promise<ConnState> {
  const connection = container.connect({
    host: target.host,
    port: target.port,
    username: target.username,
    password: target.password,
    reconnect: false,
    tcp_no_delay: true,
    idle_time_out: 30_000,
  } as unknown as Parameters<Container['connect']>[0]);
  await once(connection, 'connection_open', ['connection_close', 'disconnected', 'connection_error'], 10_000, `connection ${index}`);
  const links = new Map<string, LinkPair>();
  for (const address of addresses) {
    const replyTo = `${address}/${randomUUID()}`;
    const receiver: Receiver = connection.open_receiver({ source: { address: replyTo }, credit_window: 500, autoaccept: true });
    await once(receiver, 'receiver_open', ['receiver_close', 'receiver_error'], 5000, `reply link ${replyTo}`);
    const sender: Sender = connection.open_sender({ target: { address } });
    await once(sender, 'sendable', ['sender_close', 'sender_error'], 5000, `request link ${address}`);
    links.set(address, { sender, replyTo });
  }
  return { connection, links, pending: new Map(), seq: 0 };
}

async function closeConnection(connection: Connection): Promise<void> {
  const closed = once(connection, 'connection_close', ['disconnected', 'connection_error'], 2000, 'close').catch(() => undefined);
  connection.close();
  await closed;
  connection.socket?.destroy();
}

/** Runs one load run against an AMQP request/response server. */
export async function runAmqpLoad(target: AmqpTarget, spec: LoadSpec): Promise<LoadResult> {
  const container: Container = createContainer({ id: `bench-load-${randomUUID()}` });
  for (const event of ['error', 'connection_error', 'sender_error', 'receiver_error', 'session_error', 'protocol_error', 'disconnected']) container.on(event, () => undefined);
  const conns: ConnState[] = [];
  try {
    for (let c = 0; c < spec.connections; c++) conns.push(await openConnection(container, target, spec.addresses, c));
  } catch (err) {
    await Promise.all(conns.map((c) => closeConnection(c.connection)));
    throw err;
  }
  const recorder = new Recorder(spec.window, String(spec.expectStatus ?? 200), spec.onWindow);
  let outstanding = 0;
  let drained: (() => void) | undefined;

  const send = (conn: ConnState) => {
    const request = spec.next();
    const link = conn.links.get(request.address);
    if (link === undefined) throw new Error(`no link for ${request.address}`);
    const id = String(conn.seq++);
    const message: Message = { message_id: id, reply_to: link.replyTo, subject: request.subject } as Message;
    if (request.properties !== undefined) message.application_properties = request.properties;
    if (request.body !== undefined) {
      message.content_type = 'application/json';
      message.body = rheaMessage.data_section(request.body);
    }
    conn.pending.set(id, performance.now());
    outstanding++;
    (link.sender.send(message) as unknown as { benchId?: string }).benchId = id;
  };

  const finish = (conn: ConnState, id: unknown, status: string) => {
    const started = conn.pending.get(id as string);
    if (started === undefined) return;
    conn.pending.delete(id as string);
    outstanding--;
    recorder.answer(started, status);
    if (recorder.sending) send(conn);
    else if (outstanding === 0) drained?.();
  };

  for (const conn of conns) {
    conn.connection.on('message', (ctx: EventContext) => {
      const message = ctx.message as Message;
      finish(conn, message.correlation_id, String((message.application_properties as Record<string, unknown> | undefined)?.status));
    });
    // A rejected (or released/modified) request is never answered: it ends here.
    for (const outcome of ['rejected', 'released', 'modified']) {
      conn.connection.on(outcome, (ctx: EventContext) => finish(conn, (ctx.delivery as unknown as { benchId?: string }).benchId, outcome));
    }
  }

  // Spread the requests in flight over the connections and start.
  conns.forEach((conn, c) => {
    const share = Math.floor(spec.inFlight / spec.connections) + (c < spec.inFlight % spec.connections ? 1 : 0);
    for (let i = 0; i < share; i++) send(conn);
  });
  try {
    await windowOf(recorder, spec);
  } finally {
    recorder.close();
    if (outstanding > 0) {
      await new Promise<void>((resolve) => {
        drained = resolve;
        setTimeout(resolve, 5000);
      });
    }
    await Promise.all(conns.map((c) => closeConnection(c.connection)));
  }
  return recorder.result();
}

/**
 * Waits for the window to close: a counted window closes itself (an error after `maxMs`, e.g.
 * when the server stopped answering); a timed one is opened and closed here.
 */
export async function windowOf(recorder: Recorder, spec: { readonly window?: CountedWindow; readonly warmupMs?: number; readonly durationMs?: number; readonly maxMs?: number }): Promise<void> {
  if (spec.window !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    const maxMs = spec.maxMs ?? 120_000;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the run did not complete ${spec.window?.requests} requests within ${maxMs} ms`)), maxMs)));
    try {
      await Promise.race([recorder.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
    return;
  }
  await new Promise((r) => setTimeout(r, spec.warmupMs ?? 0));
  recorder.open();
  await new Promise((r) => setTimeout(r, spec.durationMs ?? 1000));
  recorder.close();
}
