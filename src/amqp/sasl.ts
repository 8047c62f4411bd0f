/**
 * Who an AMQP client is (docs/amqp-api.md §10): SASL PLAIN against the accounts file (login.ts), EXTERNAL
 * by the CN of a verified client certificate, and the opt-in ANONYMOUS.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Connection, Container } from 'rhea';
import type { AmqpConfig } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { ALL_AUTHORITIES, type Authorities } from '../model/authorities.js';
import type { AccountBook } from './accounts.js';
import { createLogin, PlainMechanism } from './login.js';

interface SaslState {
  sasl_transport?: { mechanism?: { authorities?: Authorities }; username?: string };
  socket?: TLSSocket;
}

/** An authenticated client: what it may do, and the name recorded for what it does. */
export interface Identity {
  readonly authorities: Authorities;
  readonly principal: string;
}

/** Offers PLAIN when there are accounts (checked by login.ts, with its limits), and ANONYMOUS when configured (loudly). */
export function enableSasl(container: Container, accounts: AccountBook | undefined, config: Pick<AmqpConfig, 'login' | 'anonymous'>, log: Logger, metrics?: Metrics): void {
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
}

/** Who opened a connection and what they may do, by the mechanism that authenticated them; undefined: no account. */
export function identify(connection: Connection, accounts: AccountBook | undefined, anonymous: boolean): Identity | undefined {
  const sasl = (connection as unknown as SaslState).sasl_transport;
  if (sasl?.mechanism?.authorities !== undefined) return { authorities: sasl.mechanism.authorities, principal: sasl.username ?? 'unknown' };
  const socket = (connection as unknown as SaslState).socket;
  if (socket?.encrypted === true && socket.authorized) {
    const cn = socket.getPeerCertificate().subject?.CN;
    const name = Array.isArray(cn) ? cn[0] : cn;
    const authorities = name === undefined ? undefined : accounts?.external(name);
    return authorities === undefined || name === undefined ? undefined : { authorities, principal: name };
  }
  return anonymous ? { authorities: ALL_AUTHORITIES, principal: 'anonymous' } : undefined;
}
