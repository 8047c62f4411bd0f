/**
 * The AMQP 1.0 server, as a list of steps: the rhea patches, SASL (sasl.ts, login.ts), the connections of authenticated
 * clients, link checks on attach (links.ts, docs/amqp-api.md §2.2, §10), requests routed to the
 * endpoints (request-response.ts), the listeners (listeners.ts), and a graceful close.
 */
import type { Server } from 'node:net';
import type { Container, EventContext, Receiver, Sender } from 'rhea';
import type { AmqpConfig } from '../config.js';
import { RegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Services } from '../service/index.js';
import type { AdapterProfile } from '../service/lookup.js';
import type { AccountBook } from './accounts.js';
import { Clients } from './clients.js';
import { createEndpointContext, type EndpointContext } from './endpoint.js';
import { attachReplyLink, attachRequestLink, closeWith, refuse } from './links.js';
import { startListeners } from './listeners.js';
import { InFlight, handleRequest, type RequestOptions } from './request-response.js';
import { createContainer, installRheaPatches } from './rhea.js';
import { enableSasl, identify, type Identity } from './sasl.js';

export interface AmqpServer {
  readonly port: number;
  readonly tlsPort: number | undefined;
  /**
   * Stops accepting connections and giving credit, waits (at most `graceMs`) for the requests in
   * flight to be answered, then detaches every link and closes every connection.
   */
  close(graceMs?: number): Promise<void>;
}

/** Admits opened connections whose client has an account (`contextFor` its identity); closes the others. */
function onConnections(container: Container, clients: Clients, identityOf: (ctx: EventContext) => Identity | undefined, contextFor: (identity: Identity) => EndpointContext, log: Logger): void {
  container.on('connection_open', (ctx: EventContext) => {
    const connection = ctx.connection;
    clients.opened(connection);
    const identity = identityOf(ctx);
    if (identity === undefined) {
      closeWith(connection, new RegistryError('UNAUTHORIZED', 'no account for this client'));
      return;
    }
    clients.admitted(connection, contextFor(identity));
    log.debug({ container: connection.container_id }, 'amqp connection opened');
  });
  const closed = (ctx: EventContext) => clients.connectionClosed(ctx.connection);
  container.on('connection_close', closed);
  container.on('disconnected', closed);
  container.on('connection_error', () => undefined);
  container.on('error', (err: unknown) => log.debug({ err }, 'amqp protocol error'));
  // Without a listener rhea prints the whole offending read to stderr.
  container.on('protocol_error', (err: unknown) => log.debug({ err }, 'amqp protocol error'));
}

/**
 * Checks every link the clients attach, and forgets it when it closes. The messages of a request
 * link go to the request/response flow from a listener on the link itself: rhea then does not
 * pass each one up through the session, connection and container.
 */
function onLinks(container: Container, clients: Clients, credit: number, options: RequestOptions): void {
  const { log } = options;
  container.on('receiver_open', (ctx: EventContext) => {
    const receiver = ctx.receiver as Receiver;
    try {
      const link = attachRequestLink(receiver, clients.attaching(ctx.connection), clients, credit);
      receiver.on('message', (message: EventContext) => {
        if (message.message !== undefined && message.delivery !== undefined) handleRequest(message.message, message.delivery, message.connection, link, clients.replies, options);
      });
    } catch (err) {
      refuse(receiver, err, log);
    }
  });
  container.on('sender_open', (ctx: EventContext) => {
    const sender = ctx.sender as Sender;
    try {
      attachReplyLink(sender, clients.attaching(ctx.connection), clients);
    } catch (err) {
      refuse(sender, err, log);
    }
  });
  const closed = (ctx: EventContext) => clients.linkClosed(ctx.connection, ctx.receiver as Receiver | undefined, ctx.sender as Sender | undefined);
  container.on('sender_close', closed);
  container.on('receiver_close', closed);
  container.on('sender_error', () => undefined);
  container.on('receiver_error', () => undefined);
}

/** The graceful close of AmqpServer.close. */
async function stop(servers: readonly Server[], clients: Clients, inFlight: InFlight, graceMs: number): Promise<void> {
  const stopped = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
  inFlight.accepting = false;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([inFlight.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  await clients.closeAll();
  // Sockets the listeners still count (connections refused at open) are given a moment, not more.
  await Promise.race([Promise.all(stopped), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
  clients.clear();
}

/** Starts the listeners. Resolves once they are bound. */
export async function startAmqpServer(services: Services, config: AmqpConfig, bindAddress: string, accounts: AccountBook | undefined, log: Logger, metrics?: Metrics): Promise<AmqpServer> {
  // Fails the start, naming the rhea version, when a patch no longer fits (src/amqp/rhea-patches).
  installRheaPatches();
  const container = createContainer({ id: 'device-registry' });
  const inFlight = new InFlight();
  const clients = new Clients(config.maxLinksPerConnection, inFlight);
  enableSasl(container, accounts, config, log, metrics);
  // One profile for every connection: lookups are answered alike, whoever asks.
  const profile: AdapterProfile = { api: config.honoApi, cacheMaxAge: config.cacheMaxAge, assertion: { secret: config.assertionSecret, lifetime: config.assertionLifetime } };
  const contextFor = (identity: Identity) => createEndpointContext(services, identity.authorities, identity.principal, profile, config.maxJsonDepth);
  onConnections(container, clients, (ctx) => identify(ctx.connection, accounts, config.anonymous), contextFor, log);
  onLinks(container, clients, config.credit, { maxMessageSize: config.maxMessageSize, log, metrics, inFlight });
  metrics?.amqpGauges(() => clients.gauges());
  const { servers, port, tlsPort } = await startListeners(container, config, bindAddress, clients);
  return { port, tlsPort, close: (graceMs = 0) => stop(servers, clients, inFlight, graceMs) };
}
