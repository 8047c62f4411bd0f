/**
 * The AMQP floor: a bare rhea request/response server with the registry's link, credit and reply
 * pattern (src/amqp/server.ts, request-response.ts) and no work in between.
 *
 * - SASL PLAIN (any user and password) and the registry's listener options (tcp_no_delay, frame
 *   size, idle timeout, credit_window 0 / autoaccept off on receivers, autosettle on senders);
 * - the client's receiver link registers its source address as a reply address;
 * - the client's sender link gets 100 credits; each request is accepted, answered on the link
 *   named by its reply-to (status 200 as an AMQP int, correlation-id = message-id, the request's
 *   Data body echoed back as a JSON Data section) and then gets one credit back.
 * - With REDIS_URL (a reference, not the floor): one Redis GET per request (`bench-floor:<tenant of
 *   the link>:<device_id or message-id>`, same client options as the registry) before the answer:
 *   the floor plus the one Redis round trip every lookup needs.
 *
 * Run in its own process: `[REDIS_URL=…] node --import tsx bench/echo-server.ts`; prints `{"port":N}` once bound.
 */
import type { Server } from 'node:net';
import rhea from 'rhea';
import type { EventContext, Message, Receiver, Sender } from 'rhea';
import { createLogger } from '../src/log.js';
import { connectRedis } from '../src/store/redis.js';

const { create_container: createContainer, message: rheaMessage, types } = rhea;

const CREDIT = Number(process.env.ECHO_CREDIT ?? 100);
const EMPTY = rheaMessage.data_section(Buffer.from('{}'));

const container = createContainer({ id: 'bench-echo' });
(container.sasl_server_mechanisms as unknown as { enable_plain(check: () => boolean): void }).enable_plain(() => true);

/** With REDIS_URL: one Redis GET per request before the answer (the floor plus the one round trip a lookup needs). */
const redis = process.env.REDIS_URL === undefined ? undefined : await connectRedis(process.env.REDIS_URL, 1000, createLogger('warn'));

const replies = new Map<string, Sender>();
let served = 0;

container.on('receiver_open', (ctx: EventContext) => {
  const receiver = ctx.receiver as Receiver;
  const target = (receiver as unknown as { remote: { attach: { target?: { address?: string } } } }).remote.attach.target;
  receiver.set_target({ address: target?.address ?? '' });
  receiver.add_credit(CREDIT);
});

container.on('sender_open', (ctx: EventContext) => {
  const sender = ctx.sender as Sender;
  const source = (sender as unknown as { remote: { attach: { source?: { address?: string } } } }).remote.attach.source;
  const address = source?.address ?? '';
  sender.set_source({ address });
  replies.set(address, sender);
});

const forget = (ctx: EventContext) => {
  const sender = ctx.sender as Sender | undefined;
  if (sender === undefined) return;
  for (const [address, link] of replies) if (link === sender) replies.delete(address);
};
container.on('sender_close', forget);
container.on('disconnected', (ctx: EventContext) => {
  for (const [address, link] of replies) if (link.connection === ctx.connection) replies.delete(address);
});
for (const event of ['receiver_close', 'connection_close', 'connection_error', 'sender_error', 'receiver_error', 'error']) container.on(event, () => undefined);

container.on('message', (ctx: EventContext) => {
  const request = ctx.message as Message;
  const delivery = ctx.delivery;
  const receiver = ctx.receiver as Receiver;
  const reply = replies.get(String(request.reply_to));
  if (reply === undefined || delivery === undefined) {
    delivery?.reject({ condition: 'amqp:illegal-state', description: 'unsubscribed reply-to address' });
  } else {
    delivery.accept();
    const answer = () => {
      reply.send({
        correlation_id: request.correlation_id ?? request.message_id,
        content_type: 'application/json',
        application_properties: { status: types.wrap_int(200) },
        body: request.body ?? EMPTY,
      } as Message);
      served++;
      receiver.add_credit(1);
    };
    if (redis === undefined) answer();
    else {
      const device = request.application_properties?.device_id as unknown;
      const address = String((receiver as unknown as { target?: { address?: string } }).target?.address ?? '');
      const key = `bench-floor:${address.slice(address.indexOf('/') + 1)}:${typeof device === 'string' ? device : String(request.message_id)}`;
      redis.get(key).then(answer, answer);
    }
    return;
  }
  receiver.add_credit(1);
});

const server = container.listen({
  host: '127.0.0.1',
  port: Number(process.env.ECHO_PORT ?? 0),
  tcp_no_delay: true,
  require_sasl: true,
  idle_time_out: 30_000,
  max_frame_size: 16384,
  receiver_options: { credit_window: 0, autoaccept: false },
  sender_options: { autosettle: true },
} as unknown as Parameters<typeof container.listen>[0]) as unknown as Server;

server.once('listening', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`);
});

const stop = () => {
  process.stderr.write(`echo server: ${served} requests served\n`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
