/**
 * The generic request/response flow of every API (hono-amqp-apis.md §2.3 – §2.5):
 * formal checks → reject with `hono:bad-request` | reply link check → accept → operation → reply,
 * and one credit back on the request link once the request is done.
 */
import type { Connection, Delivery, Message, Receiver, Sender } from 'rhea';
import { RegistryError, toRegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Endpoint, EndpointContext } from './endpoint.js';
import { FormalError, dataBody, responseMessage, type Answer } from './message.js';

/** A request link: the client's sender to `<endpoint>[/<tenant>]`. */
export interface RequestLink {
  readonly endpoint: Endpoint;
  readonly tenantId: string | undefined;
  readonly address: string;
  readonly receiver: Receiver;
  readonly context: EndpointContext;
}

/** Reply links by address, across all connections (§2.2, §14.13). */
export type ReplyLinks = Map<string, Sender>;

export interface RequestOptions {
  readonly maxMessageSize: number;
  readonly log: Logger;
}

function reject(delivery: Delivery, condition: string, description: string): void {
  delivery.reject({ condition, description });
}

/** Generic formal checks (§2.3): an id, a subject, a reply-to, at most one Data section within limits. */
function checkFormally(message: Message, maxMessageSize: number): { subject: string; replyTo: string; body: Buffer | undefined } {
  if (message.message_id === undefined && message.correlation_id === undefined) throw new FormalError('a message-id or correlation-id is required');
  const { subject, reply_to: replyTo } = message;
  if (typeof subject !== 'string' || subject === '') throw new FormalError('a subject naming the operation is required');
  if (typeof replyTo !== 'string' || replyTo === '') throw new FormalError('a reply-to address is required');
  const body = dataBody(message);
  if (body !== undefined && body.length > maxMessageSize) throw new FormalError(`the body exceeds ${maxMessageSize} bytes`);
  return { subject, replyTo, body };
}

/** The answer for an operation that failed: its status, and a text description in the 1.x profile. */
function errorAnswer(err: RegistryError, link: RequestLink): Answer {
  const answer: Answer = { status: err.status, ...(link.tenantId === undefined ? {} : { tenantId: link.tenantId }) };
  return link.context.profile === '1.x' ? { ...answer, text: err.publicMessage } : answer;
}

/** Handles one request message. Never throws; every request ends in a rejection or a reply. */
export function handleRequest(message: Message, delivery: Delivery, connection: Connection, link: RequestLink, replies: ReplyLinks, options: RequestOptions): void {
  const giveCredit = () => {
    if (link.receiver.is_open()) link.receiver.add_credit(1);
  };
  let run: () => Promise<Answer>;
  let replyLink: Sender | undefined;
  try {
    const { subject, replyTo, body } = checkFormally(message, options.maxMessageSize);
    run = link.endpoint.prepare({ message, subject, tenantId: link.tenantId, address: link.address, body }, link.context);
    replyLink = replies.get(replyTo);
    if (replyLink === undefined || replyLink.connection !== connection) {
      reject(delivery, 'amqp:illegal-state', 'unsubscribed reply-to address');
      giveCredit();
      return;
    }
  } catch (err) {
    if (err instanceof FormalError) reject(delivery, 'hono:bad-request', err.message);
    else reject(delivery, 'amqp:internal-error', 'the request could not be processed');
    if (!(err instanceof FormalError)) options.log.error({ err }, 'request check failed');
    giveCredit();
    return;
  }
  delivery.accept();
  const reply = replyLink;
  run()
    .catch((thrown: unknown) => {
      const err = toRegistryError(thrown);
      if (err.status >= 500) options.log.error({ err: err.cause ?? err, code: err.code, address: link.address }, 'request failed');
      return errorAnswer(err, link);
    })
    .then((answer) => {
      if (reply.is_open()) reply.send(responseMessage(message, answer));
    })
    .catch((err: unknown) => options.log.error({ err }, 'could not send a response'))
    .finally(giveCredit);
}
