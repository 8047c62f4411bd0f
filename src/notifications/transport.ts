/** What the deliverer sends through: a connection to one messaging system. */
import type { HonoNotification } from './message.js';

export interface Transport {
  /** `kafka` or `amqp`: the label of the metrics and log lines. */
  readonly name: string;
  /**
   * Sends the notifications in their order and resolves once the messaging system acknowledged
   * every one of them; rejects when any was not acknowledged (the caller sends them again).
   * Connects on first use and again after a failure.
   */
  send(batch: readonly HonoNotification[]): Promise<void>;
  close(): Promise<void>;
}
