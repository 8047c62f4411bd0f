/**
 * A small AMQP 1.0 messaging network for the notification tests: a real rhea container (the test
 * clients' unpatched copy) listening on a loopback port, taking every message sent to a
 * `notification/…` address, with SASL PLAIN for one user. It can go down (listener closed, every
 * connection cut) and come back on the same port, and can release messages instead of accepting.
 */
import type { Server, Socket } from 'node:net';
import type { EventContext } from 'rhea';
import { clientRhea } from './fresh-rhea.js';

export interface ReceivedNotification {
  readonly address: string;
  readonly contentType: string | undefined;
  readonly body: Record<string, unknown>;
}

export interface AmqpNetwork {
  readonly port: number;
  readonly received: ReceivedNotification[];
  /** `accept` (default) or `release` every message. */
  outcome: 'accept' | 'release';
  /** Resolves once at least `count` messages have been accepted in all. */
  waitFor(count: number): Promise<void>;
  /** An outage: the listener closes and every connection is cut. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export const NETWORK_USER = 'registry';
export const NETWORK_PASSWORD = 'network-s3cret-pw';

function bodyOf(body: unknown): Record<string, unknown> {
  const raw = (body as { typecode?: number; content?: Buffer }).content ?? body;
  return JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw)) as Record<string, unknown>;
}

export async function startAmqpNetwork(): Promise<AmqpNetwork> {
  const container = clientRhea.rhea.create_container({ id: 'test-messaging-network' });
  container.sasl_server_mechanisms.enable_plain((user: string, password: string) => user === NETWORK_USER && password === NETWORK_PASSWORD);
  // Receivers settle explicitly (accept or release).
  container.options.autoaccept = false;
  const received: ReceivedNotification[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server | undefined;
  const network: AmqpNetwork = {
    get port() {
      return port;
    },
    received,
    outcome: 'accept',
    waitFor(count) {
      return new Promise((resolve) => {
        const check = () => {
          if (received.length < count) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    async down() {
      // With an error: rhea stops a connection's heartbeat timers on a socket error or end, not on a bare close.
      for (const socket of sockets) socket.destroy(new Error('messaging network down'));
      await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
      server = undefined;
    },
    async up() {
      const listening = container.listen({ port, host: '127.0.0.1' }) as unknown as Server;
      listening.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => listening.once('listening', () => resolve()));
      port = (listening.address() as { port: number }).port;
      server = listening;
    },
    close: () => network.down(),
  };
  container.on('disconnected', () => undefined);
  container.on('receiver_open', (context: EventContext) => {
    const receiver = context.receiver;
    const remote = (receiver as unknown as { remote?: { attach?: { target?: { address?: string } } } } | undefined)?.remote;
    receiver?.set_target({ address: String(remote?.attach?.target?.address) });
  });
  container.on('message', (context: EventContext) => {
    if (network.outcome === 'release') {
      context.delivery?.release({ delivery_failed: false });
      return;
    }
    const { message } = context;
    received.push({ address: String(message?.to ?? context.receiver?.target?.address), contentType: message?.content_type, body: bodyOf(message?.body) });
    context.delivery?.accept();
    for (const waiter of [...waiters]) waiter();
  });
  await network.up();
  return network;
}
