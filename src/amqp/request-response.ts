/**
 * The generic request/response flow of every API (docs/amqp-api.md §2.3 – §2.5):
 * formal checks → reject with `hono:bad-request` | reply link check → operation → accept and
 * reply, and one credit back on the request link once the request is done.
 *
 * The operations adapters call (lookups: one Redis round trip) are accepted together with their
 * answer: the disposition and the answer leave in the same write, so a client with one request
 * at a time wakes once per request, not twice. The deprecated management operations (which may
 * hash passwords) are accepted at once: rhea frees a session's delivery slots in order, and a slow
 * unsettled delivery would hold back the slots of those after it.
 */
import type { Connection, Delivery, Message, Receiver, Sender } from 'rhea';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Endpoint, EndpointContext } from './endpoint.js';
import { badRequest, RegistryError, toRegistryError } from '../errors.js';
import type { InFlight } from './in-flight.js';
import { dataBody, encodeResponse, type Answer } from './message.js';

export { InFlight } from './in-flight.js';

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

/** A request admitted for an answer, until the answer is sent. */
class Exchange {
  constructor(
    readonly message: Message,
    readonly delivery: Delivery,
    readonly link: RequestLink,
    readonly subject: string,
    readonly reply: Sender,
    readonly options: RequestOptions,
    readonly started: number,
  ) {}
}

/** Whether the request is accepted together with its answer: the operations adapters call, not the deprecated management ones. */
function acceptsWithAnswer(endpoint: Endpoint, subject: string): boolean {
  return endpoint.operations[subject]?.deprecated !== true;
}

/** The answer of an operation that threw: its status (errors of 500 and above logged with their cause). */
function failed(exchange: Exchange, thrown: unknown): Answer {
  const err = toRegistryError(thrown);
  if (err.status >= 500) exchange.options.log.error({ err: err.cause ?? err, code: err.code, address: exchange.link.address }, 'request failed');
  return errorAnswer(err, exchange.link);
}

/**
 * Accepts (when it waited for its answer) and answers a request: both leave in the same write.
 * Its credit comes back once the answer is out, or at once when there is no reply link any more.
 */
function respond(exchange: Exchange, answer: Answer): void {
  const { message, delivery, link, subject, reply, options } = exchange;
  let sent: Delivery | undefined;
  try {
    if (acceptsWithAnswer(link.endpoint, subject) && link.receiver.is_open()) delivery.accept();
    // Pre-encoded (message format 0): rhea sends the bytes as they are.
    if (reply.is_open()) sent = reply.send(encodeResponse(message, answer), undefined, 0);
    options.metrics?.amqpRequest(link.endpoint.name, operationLabel(link.endpoint, subject), answer.status, (performance.now() - exchange.started) / 1000);
    logRequest(options, link, message, answer.status, exchange.started);
  } catch (err) {
    options.log.error({ err }, 'could not send a response');
  }
  options.inFlight.end();
  if (sent === undefined) options.inFlight.giveCredit(link.receiver);
  else options.inFlight.afterTransmission(reply, { sent, receiver: link.receiver });
}

/** Handles one request message. Never throws; every request ends in a rejection or a reply. */
export function handleRequest(message: Message, delivery: Delivery, connection: Connection, link: RequestLink, replies: ReplyLinks, options: RequestOptions): void {
  const started = performance.now();
  const admitted = admit(message, delivery, connection, link, replies, options, started);
  if (admitted === undefined) {
    options.inFlight.giveCredit(link.receiver);
    return;
  }
  const { subject, run, reply } = admitted;
  if (!acceptsWithAnswer(link.endpoint, subject)) delivery.accept();
  options.inFlight.begin();
  const exchange = new Exchange(message, delivery, link, subject, reply, options, started);
  run().then(
    (result) => respond(exchange, result),
    (thrown: unknown) => respond(exchange, failed(exchange, thrown)),
  );
}
