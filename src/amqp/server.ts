/**
 * The AMQP 1.0 server: listeners (amqp, amqps), SASL (PLAIN, EXTERNAL, opt-in ANONYMOUS), link
 * checks on attach (docs/amqp-api.md §2.2, §10) and routing of requests to the endpoints.
 */
import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Connection, EventContext, Receiver, Sender } from 'rhea';
import type { AmqpConfig } from '../config.js';
import { RegistryError, notFound, toRegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { ALL_AUTHORITIES, type Authorities } from '../model/authorities.js';
import type { Services } from '../service/index.js';
import type { AdapterProfile } from '../service/lookup.js';
import { isValidId } from '../validation.js';
import type { AccountBook } from './accounts.js';
import { createEndpointContext, type Endpoint, type EndpointContext } from './endpoint.js';
import { ENDPOINTS as ENDPOINT_LIST } from './endpoints/index.js';
import { createLogin, PlainMechanism } from './login.js';
import { InFlight, handleRequest, type ReplyLinks, type RequestLink } from './request-response.js';
import { createContainer, installRheaPatches } from './rhea.js';

const ENDPOINTS: ReadonlyMap<string, Endpoint> = new Map(ENDPOINT_LIST.map((e) => [e.name, e]));

export interface AmqpServer {
  readonly port: number;
  readonly tlsPort: number | undefined;
  /**
   * Stops accepting connections and giving credit, waits (at most `graceMs`) for the requests in
   * flight to be answered, then detaches every link and closes every connection.
   */
  close(graceMs?: number): Promise<void>;
}

interface ConnectionState {
  readonly context: EndpointContext;
  readonly replyAddresses: Set<string>;
  /** Attached request links (the registry's receivers), for the links gauge. */
  readonly requestLinks: Set<Receiver>;
  links: number;
}

interface SaslState {
  sasl_transport?: { mechanism?: { authorities?: Authorities }; username?: string };
  socket?: TLSSocket;
}

/** The endpoint a link address names. METHOD_NOT_ALLOWED without an address, NOT_FOUND for an unknown endpoint. */
function parseAddress(address: unknown): { endpoint: Endpoint; segments: string[] } {
  if (typeof address !== 'string' || address === '') throw new RegistryError('METHOD_NOT_ALLOWED', 'a link address is required');
  const segments = address.split('/');
  const endpoint = ENDPOINTS.get(segments[0] ?? '');
  if (endpoint === undefined) throw notFound(`no such endpoint: ${segments[0]}`);
  return { endpoint, segments };
}

/** Closes a connection, a link or a delivery's link with the condition of the error (never a condition spelled here). */
function closeWith(target: { close(error: { condition: string; description: string }): unknown }, err: RegistryError): void {
  target.close({ condition: err.condition, description: err.publicMessage });
}

/** Starts the listeners. Resolves once they are bound. */
export async function startAmqpServer(services: Services, config: AmqpConfig, bindAddress: string, accounts: AccountBook | undefined, log: Logger, metrics?: Metrics): Promise<AmqpServer> {
  // Fails the start, naming the rhea version, when a patch no longer fits (src/amqp/rhea-patches).
  installRheaPatches();
  const container = createContainer({ id: 'device-registry' });
  const replies: ReplyLinks = new Map();
  const connections = new Map<Connection, ConnectionState>();
  const requestLinks = new WeakMap<Receiver, RequestLink>();
  const replyAddressOf = new WeakMap<Sender, string>();
  const inFlight = new InFlight();
  /** Sockets that have not completed SASL and the AMQP open yet: closed when the open timeout ends. */
  const opening = new Map<unknown, NodeJS.Timeout>();
  const mechanisms = container.sasl_server_mechanisms as unknown as Record<string, unknown> & { enable_anonymous(): void };
  if (accounts !== undefined) {
    const login = createLogin(accounts, config.login, metrics);
    // The rhea patch hands each mechanism its connection (peer address, socket closing).
    mechanisms.PLAIN = (connection?: Connection) => new PlainMechanism(login, connection?.socket as Socket | undefined);
  }
  if (config.anonymous) {
    mechanisms.enable_anonymous();
    log.warn('SASL ANONYMOUS is enabled: any AMQP client gets full access (REGISTRY_AMQP_ANONYMOUS=true)');
  }

  const profile: AdapterProfile = { api: config.honoApi, cacheMaxAge: config.cacheMaxAge, assertion: { secret: config.assertionSecret, lifetime: config.assertionLifetime } };

  /** Who opened a connection and what they may do, by the mechanism that authenticated them. */
  function identify(connection: Connection): { authorities: Authorities; principal: string } | undefined {
    const sasl = (connection as unknown as SaslState).sasl_transport;
    if (sasl?.mechanism?.authorities !== undefined) return { authorities: sasl.mechanism.authorities, principal: sasl.username ?? 'unknown' };
    const socket = (connection as unknown as SaslState).socket;
    if (socket?.encrypted === true && socket.authorized) {
      const cn = socket.getPeerCertificate().subject?.CN;
      const name = Array.isArray(cn) ? cn[0] : cn;
      const authorities = name === undefined ? undefined : accounts?.external(name);
      return authorities === undefined || name === undefined ? undefined : { authorities, principal: name };
    }
    return config.anonymous ? { authorities: ALL_AUTHORITIES, principal: 'anonymous' } : undefined;
  }

  container.on('connection_open', (ctx: EventContext) => {
    const connection = ctx.connection;
    clearTimeout(opening.get(connection.socket));
    opening.delete(connection.socket);
    const identity = identify(connection);
    if (identity === undefined) {
      closeWith(connection, new RegistryError('UNAUTHORIZED', 'no account for this client'));
      return;
    }
    connections.set(connection, { context: createEndpointContext(services, identity.authorities, identity.principal, profile, config.maxJsonDepth), replyAddresses: new Set(), requestLinks: new Set(), links: 0 });
    log.debug({ container: connection.container_id }, 'amqp connection opened');
  });

  function stateOf(ctx: EventContext): ConnectionState {
    const state = connections.get(ctx.connection);
    if (state === undefined) throw new RegistryError('UNAUTHORIZED', 'the connection is not authenticated');
    if (++state.links > config.maxLinksPerConnection) {
      throw new RegistryError('TOO_MANY_REQUESTS', `at most ${config.maxLinksPerConnection} links per connection`);
    }
    return state;
  }

  /** Refuses an attach with the condition of its error; anything but a RegistryError is INTERNAL, logged. */
  function refuse(link: Receiver | Sender, err: unknown): void {
    if (!(err instanceof RegistryError)) log.error({ err }, 'link attach failed');
    closeWith(link, toRegistryError(err));
  }

  /** The client's sender link: requests to `<endpoint>[/<tenant>]` (§2.2). */
  container.on('receiver_open', (ctx: EventContext) => {
    const receiver = ctx.receiver as Receiver;
    try {
      const state = stateOf(ctx);
      const attach = (receiver as unknown as { remote: { attach: { target?: { address?: unknown }; source?: { address?: unknown }; snd_settle_mode?: number } } }).remote.attach;
      if (attach.target?.address === undefined || attach.target.address === null) throw new RegistryError('METHOD_NOT_ALLOWED', 'anonymous relay links are not supported');
      const { endpoint, segments } = parseAddress(attach.target.address);
      if (attach.snd_settle_mode === 1) throw new RegistryError('PRECONDITION_FAILED', 'endpoint requires AT_LEAST_ONCE QoS');
      const tenantId = endpoint.targetSegments === 2 ? segments[1] : undefined;
      if (endpoint.targetSegments === 2 && (tenantId === undefined || !isValidId('TenantId', tenantId) || segments.length > 3)) {
        throw new RegistryError('INVALID_FIELD', `the target must be ${endpoint.name}/<tenant> with a valid tenant id`);
      }
      if (endpoint.targetSegments === 1 && segments.length > 1) throw new RegistryError('INVALID_FIELD', `the target must be ${endpoint.name}`);
      const address = String(attach.target.address);
      if (!state.context.authorities.mayAccess(address, 'WRITE')) throw new RegistryError('FORBIDDEN', `no WRITE permission on ${address}`);
      receiver.set_target({ address });
      if (typeof attach.source?.address === 'string') receiver.set_source({ address: attach.source.address });
      const resource = tenantId === undefined ? endpoint.name : `${endpoint.name}/${tenantId}`;
      requestLinks.set(receiver, { endpoint, tenantId, address, resource, receiver, context: state.context });
      state.requestLinks.add(receiver);
      receiver.add_credit(config.credit);
    } catch (err) {
      refuse(receiver, err);
    }
  });

  /** The client's receiver link: its reply address `<endpoint>[/<tenant>]/<id>` (§2.2). */
  container.on('sender_open', (ctx: EventContext) => {
    const sender = ctx.sender as Sender;
    try {
      const state = stateOf(ctx);
      const attach = (sender as unknown as { remote: { attach: { source?: { address?: unknown }; target?: { address?: unknown } } } }).remote.attach;
      const { endpoint, segments } = parseAddress(attach.source?.address);
      if (segments.length < endpoint.targetSegments + 1 || segments.some((s) => s === '')) {
        throw new RegistryError('INVALID_FIELD', `a reply address needs at least ${endpoint.targetSegments + 1} segments`);
      }
      const address = String(attach.source?.address);
      if (!state.context.authorities.mayAccess(address, 'READ')) throw new RegistryError('FORBIDDEN', `no READ permission on ${address}`);
      if (replies.has(address)) throw new RegistryError('ILLEGAL_STATE', 'the reply address is already in use');
      sender.set_source({ address });
      if (typeof attach.target?.address === 'string') sender.set_target({ address: attach.target.address });
      replies.set(address, sender);
      replyAddressOf.set(sender, address);
      state.replyAddresses.add(address);
    } catch (err) {
      refuse(sender, err);
    }
  });

  const forgetReply = (sender: Sender) => {
    const address = replyAddressOf.get(sender);
    if (address !== undefined && replies.get(address) === sender) replies.delete(address);
  };
  const dropLink = (ctx: EventContext) => {
    const state = connections.get(ctx.connection);
    if (state !== undefined) state.links = Math.max(0, state.links - 1);
    if (ctx.receiver !== undefined) state?.requestLinks.delete(ctx.receiver as Receiver);
    if (ctx.sender === undefined) return;
    inFlight.release(ctx.sender as Sender, true);
    const address = replyAddressOf.get(ctx.sender as Sender);
    forgetReply(ctx.sender as Sender);
    if (address !== undefined) state?.replyAddresses.delete(address);
  };
  container.on('sender_close', dropLink);
  container.on('receiver_close', dropLink);
  container.on('sender_error', () => undefined);
  container.on('receiver_error', () => undefined);

  const dropConnection = (ctx: EventContext) => {
    const state = connections.get(ctx.connection);
    if (state === undefined) return;
    for (const address of state.replyAddresses) {
      if (replies.get(address)?.connection === ctx.connection) replies.delete(address);
    }
    connections.delete(ctx.connection);
  };
  container.on('connection_close', dropConnection);
  container.on('disconnected', dropConnection);
  container.on('connection_error', () => undefined);
  container.on('error', (err: unknown) => log.debug({ err }, 'amqp protocol error'));
  // Without a listener rhea prints the whole offending read to stderr.
  container.on('protocol_error', (err: unknown) => log.debug({ err }, 'amqp protocol error'));

  metrics?.amqpGauges(() => {
    let requestLinkCount = 0;
    let replyLinkCount = 0;
    for (const state of connections.values()) {
      requestLinkCount += state.requestLinks.size;
      replyLinkCount += state.replyAddresses.size;
    }
    return { connections: connections.size, requestLinks: requestLinkCount, replyLinks: replyLinkCount };
  });

  const requestOptions = { maxMessageSize: config.maxMessageSize, log, metrics, inFlight };
  container.on('message', (ctx: EventContext) => {
    const link = requestLinks.get(ctx.receiver as Receiver);
    if (link === undefined || ctx.message === undefined || ctx.delivery === undefined) return;
    handleRequest(ctx.message, ctx.delivery, ctx.connection, link, replies, requestOptions);
  });

  const common = {
    host: bindAddress,
    tcp_no_delay: true,
    require_sasl: true,
    idle_time_out: config.idleTimeoutMs,
    max_frame_size: config.maxFrameSize,
    channel_max: config.maxSessionsPerConnection - 1,
    handle_max: config.maxLinksPerConnection,
    // A larger delivery closes the connection before rhea has collected it (src/amqp/rhea-patches/limits.ts).
    receiver_options: { credit_window: 0, autoaccept: false, max_message_size: 2 * config.maxMessageSize },
    sender_options: { autosettle: true },
  };
  const servers: Server[] = [];
  const listen = (options: Record<string, unknown>) =>
    new Promise<number>((resolve, reject) => {
      const server = container.listen(options as Parameters<typeof container.listen>[0]) as unknown as Server;
      servers.push(server);
      server.maxConnections = config.maxConnections;
      // A client that connects and never completes its open (or vanishes before) must not pin a socket.
      server.on(options.transport === 'tls' ? 'secureConnection' : 'connection', (socket: Socket) => {
        const timer = setTimeout(() => {
          opening.delete(socket);
          // With an error, rhea runs its disconnect handling (a bare destroy leaves its heartbeat timers running).
          socket.destroy(new Error('no AMQP open within REGISTRY_AMQP_OPEN_TIMEOUT_MS'));
        }, config.openTimeoutMs);
        opening.set(socket, timer);
        socket.once('close', () => {
          clearTimeout(timer);
          opening.delete(socket);
        });
      });
      server.once('error', reject);
      server.once('listening', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  const port = await listen({ ...common, port: config.port });
  let tlsPort: number | undefined;
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
    tlsPort = await listen({
      ...common,
      port: config.tlsPort,
      transport: 'tls',
      cert: readFileSync(config.tlsCert),
      key: readFileSync(config.tlsKey),
      handshakeTimeout: config.openTimeoutMs,
      ...(config.tlsClientCa === undefined ? {} : { ca: readFileSync(config.tlsClientCa), requestCert: true, rejectUnauthorized: false, enable_sasl_external: true }),
    });
  }

  return {
    port,
    tlsPort,
    async close(graceMs = 0) {
      const stopped = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      inFlight.accepting = false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([inFlight.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      for (const [socket, pending] of opening) {
        clearTimeout(pending);
        (socket as Socket).destroy();
      }
      await closeConnections([...connections.keys()]);
      // Sockets the listeners still count (connections refused at open) are given a moment, not more.
      await Promise.race([Promise.all(stopped), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
      connections.clear();
      replies.clear();
    },
  };
}

/** Closes every connection and waits (at most 1 s) for the peers to acknowledge. */
async function closeConnections(list: Connection[]): Promise<void> {
  await Promise.all(
    list.map(
      (connection) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            connection.socket?.destroy();
            resolve();
          }, 1000);
          connection.once('connection_close', () => {
            clearTimeout(timer);
            resolve();
          });
          connection.once('disconnected', () => {
            clearTimeout(timer);
            resolve();
          });
          connection.each_link((link: Sender | Receiver) => link.close());
          connection.close();
        }),
    ),
  );
}
