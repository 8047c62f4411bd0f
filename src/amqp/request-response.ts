/**
 * The generic request/response flow of every API (docs/amqp-api.md §2.3 – §2.5):
 * formal checks → reject with `hono:bad-request` | reply link check → accept → operation → reply,
 * and one credit back on the request link once the request is done.
 */
import type { Connection, Delivery, Message, Receiver, Sender } from 'rhea';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Endpoint, EndpointContext } from './endpoint.js';
import { badRequest, RegistryError, toRegistryError } from '../errors.js';
import { dataBody, encodeResponse, type Answer } from './message.js';

/** A request link: the client's sender to `<endpoint>[/<tenant>]`. */
export interface RequestLink {
  readonly endpoint: Endpoint;
  readonly tenantId: string | undefined;
  readonly address: string;
  /** `<endpoint>[/<tenant>]`: what EXECUTE permissions name (§10). */
  readonly resource: string;
  readonly receiver: Receiver;
  readonly context: EndpointContext;
}

/** Reply links by address, across all connections (§2.2, §14.13). */
export type ReplyLinks = Map<string, Sender>;

/** Requests accepted and not yet answered, for a graceful stop. */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];
  /** False once the server stops: no credit is given back, so clients cannot send more. */
  accepting = true;

  begin(): void {
    this.count++;
  }

  end(): void {
    if (--this.count > 0) return;
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves when no request is in flight. */
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Per reply link: request credit held back until the answer it waits for has gone out. */
  private readonly held = new WeakMap<Sender, { delivery: Delivery; give: () => void }[]>();
  private readonly checking = new WeakSet<Sender>();

  /**
   * Gives a request credit back (`give`) once the answer `delivery` has been transmitted: a client
   * that grants no credit on its reply link gets no more request credit, so it cannot make the
   * registry queue more answers than REGISTRY_AMQP_CREDIT per link.
   */
  afterTransmission(reply: Sender, delivery: Delivery, give: () => void): void {
    let queue = this.held.get(reply);
    if (queue === undefined) {
      const entries: { delivery: Delivery; give: () => void }[] = [];
      queue = entries;
      this.held.set(reply, entries);
      reply.on('sendable', () => this.check(reply));
    }
    queue.push({ delivery, give });
    this.check(reply);
  }

  /**
   * Releases the credit of every transmitted answer once rhea has processed the sends: rhea writes
   * on `process.nextTick`, so a tick queued after the send runs after rhea's, in the same turn, and
   * the credit of an answer that went out comes back at once (a later turn would starve a client
   * that keeps exactly REGISTRY_AMQP_CREDIT requests in flight). What is still held then (rhea
   * may write later, e.g. after a flow frame granted reply credit) is looked at again at the end of
   * the turn; answers still without reply credit wait for the link's next `sendable`.
   */
  private check(reply: Sender): void {
    if (this.checking.has(reply)) return;
    this.checking.add(reply);
    process.nextTick(() => {
      this.release(reply);
      if ((this.held.get(reply)?.length ?? 0) === 0) {
        this.checking.delete(reply);
        return;
      }
      setImmediate(() => {
        this.checking.delete(reply);
        this.release(reply);
      });
    });
  }

  /** Gives back the credit held for a reply link: for the answers that went out, or all when it is gone. */
  release(reply: Sender, gone = false): void {
    const queue = this.held.get(reply) ?? [];
    while (queue.length > 0 && (gone || !reply.is_open() || transmitted((queue[0] as { delivery: Delivery }).delivery))) queue.shift()?.give();
  }
}

/** Whether rhea has written the delivery's transfer frames (deliveries go out in order per session). */
function transmitted(delivery: Delivery): boolean {
  const { id, link } = delivery as unknown as { id: number; link: { session: { outgoing: { next_pending_delivery: number } } } };
  return link.session.outgoing.next_pending_delivery > id;
}

export interface RequestOptions {
  readonly maxMessageSize: number;
  readonly log: Logger;
  readonly metrics?: Metrics | undefined;
  readonly inFlight: InFlight;
}

/**
 * Rejects a request with the condition of its error (§2.5: BAD_REQUEST → `hono:bad-request`),
 * counted and, at debug level, logged.
 */
function reject(delivery: Delivery, err: RegistryError, link: RequestLink, message: Message, options: RequestOptions, started: number): void {
  delivery.reject({ condition: err.condition, description: err.publicMessage });
  options.metrics?.amqpRejected(link.endpoint.name, err.condition);
  logRequest(options, link, message, err.condition, started);
}

/** The metric label of an operation: the subject when the endpoint knows it, else `unknown` (bounded label values). */
function operationLabel(endpoint: Endpoint, subject: string): string {
  return Object.hasOwn(endpoint.operations, subject) ? subject : 'unknown';
}

/** The request's id for a debug line: strings and numbers as they are, binary ids in hex. */
function idText(message: Message): string | number | undefined {
  const id = (message.correlation_id ?? message.message_id) as unknown;
  if (typeof id === 'string' || typeof id === 'number') return id;
  return Buffer.isBuffer(id) ? id.toString('hex') : id === undefined ? undefined : String(id);
}

/**
 * One debug line per request (never info: at thousands of requests per second a line each would
 * cost more than the request; the metrics count them). Only built when debug is on.
 */
function logRequest(options: RequestOptions, link: RequestLink, message: Message, outcome: number | string, started: number): void {
  if (!options.log.isLevelEnabled('debug')) return;
  const ms = Math.round((performance.now() - started) * 1000) / 1000;
  options.log.debug({ address: link.address, subject: message.subject, id: idText(message), outcome, ms }, 'amqp request');
}

/**
 * Generic formal checks (§2.3): an id, a subject, a reply-to (strings from here on), at most one
 * Data section within limits, which it returns. BAD_REQUEST.
 */
function checkFormally(message: Message, maxMessageSize: number): Buffer | undefined {
  if (message.message_id === undefined && message.correlation_id === undefined) throw badRequest('a message-id or correlation-id is required');
  const { subject, reply_to: replyTo } = message;
  if (typeof subject !== 'string' || subject === '') throw badRequest('a subject naming the operation is required');
  if (typeof replyTo !== 'string' || replyTo === '') throw badRequest('a reply-to address is required');
  const body = dataBody(message);
  if (body !== undefined && body.length > maxMessageSize) throw badRequest(`the body exceeds ${maxMessageSize} bytes`);
  return body;
}

/** The answer for an operation that failed: its status, and a text description in the 1.x profile. */
function errorAnswer(err: RegistryError, link: RequestLink): Answer {
  const answer: Answer = { status: err.status, ...(link.tenantId === undefined ? {} : { tenantId: link.tenantId }) };
  return link.context.profile.api === '1.x' ? { ...answer, text: err.publicMessage } : answer;
}

const UNSUBSCRIBED = new RegistryError('ILLEGAL_STATE', 'unsubscribed reply-to address');

/** A request admitted for an answer: its operation, and the reply link the answer goes to. */
interface Admitted {
  readonly subject: string;
  readonly run: () => Promise<Answer>;
  readonly reply: Sender;
}

/**
 * The checks before a request is accepted (§2.3, §2.5): formal ones, the endpoint's own, and a
 * reply link of the same connection. A RegistryError rejects the delivery with its condition; any
 * other error rejects it as INTERNAL, logged.
 */
function admit(message: Message, delivery: Delivery, connection: Connection, link: RequestLink, replies: ReplyLinks, options: RequestOptions, started: number): Admitted | undefined {
  try {
    const body = checkFormally(message, options.maxMessageSize);
    const subject = message.subject as string;
    const run = link.endpoint.prepare({ message, subject, tenantId: link.tenantId, address: link.address, resource: link.resource, body }, link.context);
    const reply = replies.get(message.reply_to as string);
    if (reply === undefined || reply.connection !== connection) throw UNSUBSCRIBED;
    return { subject, run, reply };
  } catch (err) {
    if (!(err instanceof RegistryError)) options.log.error({ err }, 'request check failed');
    reject(delivery, toRegistryError(err), link, message, options, started);
    return undefined;
  }
}

/** Handles one request message. Never throws; every request ends in a rejection or a reply. */
export function handleRequest(message: Message, delivery: Delivery, connection: Connection, link: RequestLink, replies: ReplyLinks, options: RequestOptions): void {
  const started = performance.now();
  const giveCredit = () => {
    if (options.inFlight.accepting && link.receiver.is_open()) link.receiver.add_credit(1);
  };
  const admitted = admit(message, delivery, connection, link, replies, options, started);
  if (admitted === undefined) {
    giveCredit();
    return;
  }
  delivery.accept();
  options.inFlight.begin();
  const { subject, run, reply } = admitted;
  // An answer the reply link has no credit for is queued; its request credit waits until it went out.
  let sent: Delivery | undefined;
  run()
    .catch((thrown: unknown) => {
      const err = toRegistryError(thrown);
      if (err.status >= 500) options.log.error({ err: err.cause ?? err, code: err.code, address: link.address }, 'request failed');
      return errorAnswer(err, link);
    })
    .then((answer) => {
      // Pre-encoded (message format 0): rhea sends the bytes as they are.
      if (reply.is_open()) sent = reply.send(encodeResponse(message, answer), undefined, 0);
      options.metrics?.amqpRequest(link.endpoint.name, operationLabel(link.endpoint, subject), answer.status, (performance.now() - started) / 1000);
      logRequest(options, link, message, answer.status, started);
    })
    .catch((err: unknown) => options.log.error({ err }, 'could not send a response'))
    .finally(() => {
      options.inFlight.end();
      if (sent === undefined) giveCredit();
      else options.inFlight.afterTransmission(reply, sent, giveCredit);
    });
}
