/**
 * The requests of one AMQP server between their acceptance and their answer, for a graceful stop,
 * and the request credit held back until an answer has gone out (docs/amqp-api.md §2.2 "Credit").
 */
import type { Delivery, Receiver, Sender } from 'rhea';

/** A request whose answer is sent: the answer's delivery and the request link its credit goes back to. */
export interface Answered {
  /** The answer's delivery on the reply link. */
  readonly sent: Delivery;
  /** The request link that gets a credit back once the answer is out. */
  readonly receiver: Receiver;
}

/** Whether rhea has written the delivery's transfer frames (deliveries go out in order per session). */
function transmitted(delivery: Delivery): boolean {
  const { id, link } = delivery as unknown as { id: number; link: { session: { outgoing: { next_pending_delivery: number } } } };
  return link.session.outgoing.next_pending_delivery > id;
}

export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];
  /** False once the server stops: no credit is given back, so clients cannot send more. */
  accepting = true;

  begin(): void {
    this.count++;
  }

  end(): void {
    if (--this.count > 0) return;
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves when no request is in flight. */
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  /** One request credit back on a request link (none once the server stops or the link is gone). */
  giveCredit(receiver: Receiver): void {
    if (this.accepting && receiver.is_open()) receiver.add_credit(1);
  }

  /** Per reply link: answers whose request credit is held back until they have gone out. */
  private readonly held = new WeakMap<Sender, Answered[]>();
  private readonly checking = new WeakSet<Sender>();

  /**
   * Gives the request credit back once the answer has been transmitted: a client that grants no
   * credit on its reply link gets no more request credit, so it cannot make the registry queue
   * more answers than REGISTRY_AMQP_CREDIT per link.
   */
  afterTransmission(reply: Sender, answered: Answered): void {
    let queue = this.held.get(reply);
    if (queue === undefined) {
      const entries: Answered[] = [];
      queue = entries;
      this.held.set(reply, entries);
      reply.on('sendable', () => this.check(reply));
    }
    queue.push(answered);
    this.check(reply);
  }

  /**
   * Releases the credit of every transmitted answer once rhea has processed the sends: rhea writes
   * on `process.nextTick`, so a tick queued after the send runs after rhea's, in the same turn, and
   * the credit of an answer that went out comes back at once (a later turn would starve a client
   * that keeps exactly REGISTRY_AMQP_CREDIT requests in flight). What is still held then (rhea
   * may write later, e.g. after a flow frame granted reply credit) is looked at again at the end of
   * the turn; answers still without reply credit wait for the link's next `sendable`.
   */
  private check(reply: Sender): void {
    if (this.checking.has(reply)) return;
    this.checking.add(reply);
    process.nextTick(() => {
      this.release(reply);
      if ((this.held.get(reply)?.length ?? 0) === 0) {
        this.checking.delete(reply);
        return;
      }
      setImmediate(() => {
        this.checking.delete(reply);
        this.release(reply);
      });
    });
  }

  /** Gives back the credit held for a reply link: for the answers that went out, or all when it is gone. */
  release(reply: Sender, gone = false): void {
    const queue = this.held.get(reply) ?? [];
    let done = 0;
    while (done < queue.length && (gone || !reply.is_open() || transmitted((queue[done] as Answered).sent))) this.giveCredit((queue[done++] as Answered).receiver);
    if (done > 0) queue.splice(0, done);
  }
}
