/**
 * The AMQP listeners: plain (REGISTRY_AMQP_PORT) and, with a certificate, TLS
 * (REGISTRY_AMQPS_PORT, client certificates for SASL EXTERNAL when a client CA is configured).
 */
import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import type { Container } from 'rhea';
import type { AmqpConfig } from '../config.js';
import type { Clients } from './clients.js';

export interface Listeners {
  readonly servers: readonly Server[];
  readonly port: number;
  readonly tlsPort: number | undefined;
}

/** Connection options of both listeners (rhea needs `tcp_no_delay`; credit is given per link). */
function commonOptions(config: AmqpConfig, host: string): Record<string, unknown> {
  return {
    host,
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
}

/** Options of the TLS listener. */
function tlsOptions(config: AmqpConfig, cert: string, key: string): Record<string, unknown> {
  return {
    port: config.tlsPort,
    transport: 'tls',
    cert: readFileSync(cert),
    key: readFileSync(key),
    handshakeTimeout: config.openTimeoutMs,
    ...(config.tlsClientCa === undefined ? {} : { ca: readFileSync(config.tlsClientCa), requestCert: true, rejectUnauthorized: false, enable_sasl_external: true }),
  };
}

/** Starts one listener; resolves with its port once it is bound. Every socket gets the open timeout. */
function listen(container: Container, options: Record<string, unknown>, config: AmqpConfig, clients: Clients, servers: Server[]): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = container.listen(options as Parameters<Container['listen']>[0]) as unknown as Server;
    servers.push(server);
    server.maxConnections = config.maxConnections;
    server.on(options.transport === 'tls' ? 'secureConnection' : 'connection', (socket: Socket) => clients.connected(socket, config.openTimeoutMs));
    server.once('error', reject);
    server.once('listening', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

/** Starts the listeners. Resolves once they are bound. */
export async function startListeners(container: Container, config: AmqpConfig, bindAddress: string, clients: Clients): Promise<Listeners> {
  const servers: Server[] = [];
  const common = commonOptions(config, bindAddress);
  const port = await listen(container, { ...common, port: config.port }, config, clients, servers);
  const { tlsCert, tlsKey } = config;
  const tlsPort = tlsCert === undefined || tlsKey === undefined ? undefined : await listen(container, { ...common, ...tlsOptions(config, tlsCert, tlsKey) }, config, clients, servers);
  return { servers, port, tlsPort };
}
