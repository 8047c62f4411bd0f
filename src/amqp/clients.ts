/**
 * The AMQP server's bookkeeping of its clients: sockets still opening, open connections with
 * their links and reply addresses (docs/amqp-api.md §2.2), and closing them all on stop.
 */
import type { Socket } from 'node:net';
import type { Connection, Receiver, Sender } from 'rhea';
import { RegistryError } from '../errors.js';
import type { EndpointContext } from './endpoint.js';
import type { InFlight, ReplyLinks, RequestLink } from './request-response.js';

/** What the server knows of an open connection. */
export interface ConnectionState {
  readonly context: EndpointContext;
  readonly replyAddresses: Set<string>;
  /** Attached request links (the registry's receivers), for the links gauge. */
  readonly requestLinks: Set<Receiver>;
  links: number;
}

export class Clients {
  /** Reply links by address, across all connections (§2.2, §14.13). */
  readonly replies: ReplyLinks = new Map();
  private readonly connections = new Map<Connection, ConnectionState>();
  private readonly replyAddressOf = new WeakMap<Sender, string>();
  /** Sockets that have not completed SASL and the AMQP open yet: closed when the open timeout ends. */
  private readonly opening = new Map<Socket, NodeJS.Timeout>();

  constructor(
    private readonly maxLinksPerConnection: number,
    private readonly inFlight: InFlight,
  ) {}

  /** A new socket: destroyed unless its AMQP open completes in time (a client that never opens must not pin it). */
  connected(socket: Socket, openTimeoutMs: number): void {
    const timer = setTimeout(() => {
      this.opening.delete(socket);
      // With an error, rhea runs its disconnect handling (a bare destroy leaves its heartbeat timers running).
      socket.destroy(new Error('no AMQP open within REGISTRY_AMQP_OPEN_TIMEOUT_MS'));
    }, openTimeoutMs);
    this.opening.set(socket, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      this.opening.delete(socket);
    });
  }

  /** The connection's AMQP open completed: no more open timeout. */
  opened(connection: Connection): void {
    const socket = connection.socket as Socket | undefined;
    if (socket === undefined) return;
    clearTimeout(this.opening.get(socket));
    this.opening.delete(socket);
  }

  /** The connection's client is known: links may attach. */
  admitted(connection: Connection, context: EndpointContext): void {
    this.connections.set(connection, { context, replyAddresses: new Set(), requestLinks: new Set(), links: 0 });
  }

  /** The state of the connection a link attaches on, the link counted. UNAUTHORIZED, TOO_MANY_REQUESTS. */
  attaching(connection: Connection): ConnectionState {
    const state = this.connections.get(connection);
    if (state === undefined) throw new RegistryError('UNAUTHORIZED', 'the connection is not authenticated');
    if (++state.links > this.maxLinksPerConnection) {
      throw new RegistryError('TOO_MANY_REQUESTS', `at most ${this.maxLinksPerConnection} links per connection`);
    }
    return state;
  }

  addRequestLink(state: ConnectionState, link: RequestLink): void {
    state.requestLinks.add(link.receiver);
  }

  /** Registers a reply link. ILLEGAL_STATE when another link receives from the address. */
  addReplyLink(state: ConnectionState, sender: Sender, address: string): void {
    if (this.replies.has(address)) throw new RegistryError('ILLEGAL_STATE', 'the reply address is already in use');
    this.replies.set(address, sender);
    this.replyAddressOf.set(sender, address);
    state.replyAddresses.add(address);
  }

  /** A link closed: uncounted, and a reply link's address and held request credit released. */
  linkClosed(connection: Connection, receiver: Receiver | undefined, sender: Sender | undefined): void {
    const state = this.connections.get(connection);
    if (state !== undefined) state.links = Math.max(0, state.links - 1);
    if (receiver !== undefined) state?.requestLinks.delete(receiver);
    if (sender === undefined) return;
    this.inFlight.release(sender, true);
    const address = this.replyAddressOf.get(sender);
    if (address === undefined) return;
    if (this.replies.get(address) === sender) this.replies.delete(address);
    state?.replyAddresses.delete(address);
  }

  /** A connection closed or was lost: its reply addresses are free again. */
  connectionClosed(connection: Connection): void {
    const state = this.connections.get(connection);
    if (state === undefined) return;
    for (const address of state.replyAddresses) {
      if (this.replies.get(address)?.connection === connection) this.replies.delete(address);
    }
    this.connections.delete(connection);
  }

  /** The numbers of the AMQP gauges (metrics). */
  gauges(): { connections: number; requestLinks: number; replyLinks: number } {
    let requestLinks = 0;
    let replyLinks = 0;
    for (const state of this.connections.values()) {
      requestLinks += state.requestLinks.size;
      replyLinks += state.replyAddresses.size;
    }
    return { connections: this.connections.size, requestLinks, replyLinks };
  }

  /** Destroys the sockets still opening, closes every connection (waiting at most 1 s each) and forgets them. */
  async closeAll(): Promise<void> {
    for (const [socket, pending] of this.opening) {
      clearTimeout(pending);
      socket.destroy();
    }
    await Promise.all([...this.connections.keys()].map(closeConnection));
  }

  /** Forgets every connection and reply link (the server stopped). */
  clear(): void {
    this.connections.clear();
    this.replies.clear();
  }
}

/** Detaches every link and closes the connection; resolves when the peer acknowledged, or after 1 s. */
function closeConnection(connection: Connection): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      connection.socket?.destroy();
      resolve();
    }, 1000);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    connection.once('connection_close', done);
    connection.once('disconnected', done);
    connection.each_link((link: Sender | Receiver) => link.close());
    connection.close();
  });
}
