/**
 * The two bounds of SASL PLAIN login work (docs/reliability.md): per client address (logins in
 * progress, failures per minute), decided before any hashing; and one queue for all bcrypt checks,
 * with a small concurrency, so that logins cannot take the whole libuv thread pool that HTTP
 * password hashing (and file I/O) needs, and checks for clients that have left are dropped.
 */

/** Addresses remembered at most; beyond it the least recently added entries are forgotten. */
const MAX_ADDRESSES = 100_000;
const MINUTE_MS = 60_000;

/** Per client address: logins in progress and failed logins in the current minute. */
export class AddressLimits {
  private readonly pending = new Map<string, number>();
  private readonly failures = new Map<string, { since: number; count: number }>();

  constructor(
    private readonly maxPending: number,
    private readonly maxFailures: number,
  ) {}

  /** `address-failures` when the address has used up its failures of this minute. */
  failing(address: string, now = Date.now()): 'address-failures' | undefined {
    const failed = this.failures.get(address);
    return failed !== undefined && now - failed.since < MINUTE_MS && failed.count >= this.maxFailures ? 'address-failures' : undefined;
  }

  /** Why a new login from `address` is refused now, or undefined (then it counts as in progress until release). */
  admit(address: string, now = Date.now()): 'address-busy' | 'address-failures' | undefined {
    const failing = this.failing(address, now);
    if (failing !== undefined) return failing;
    const pending = this.pending.get(address) ?? 0;
    if (pending >= this.maxPending) return 'address-busy';
    this.pending.set(address, pending + 1);
    return undefined;
  }

  /** A login admitted earlier has ended. */
  release(address: string): void {
    const pending = (this.pending.get(address) ?? 1) - 1;
    if (pending > 0) this.pending.set(address, pending);
    else this.pending.delete(address);
  }

  /** A login from `address` failed. */
  fail(address: string, now = Date.now()): void {
    const failed = this.failures.get(address);
    if (failed !== undefined && now - failed.since < MINUTE_MS) {
      failed.count++;
      return;
    }
    this.failures.delete(address);
    if (this.failures.size >= MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value as string);
    this.failures.set(address, { since: now, count: 1 });
  }
}

interface Job {
  readonly run: () => Promise<boolean>;
  readonly signal: AbortSignal;
  readonly settle: (result: boolean | 'dropped') => void;
}

/** bcrypt checks: at most `concurrency` at once, at most `capacity` waiting, in arrival order. */
export class CheckQueue {
  private running = 0;
  private readonly waiting: Job[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly capacity: number,
  ) {}

  /**
   * Runs `check` when a slot is free. Resolves with its result, with `dropped` when `signal` was
   * aborted before it started (the client left), or with `full` at once when the queue is full.
   */
  submit(check: () => Promise<boolean>, signal: AbortSignal): Promise<boolean | 'dropped' | 'full'> {
    if (this.running >= this.concurrency && this.waiting.length >= this.capacity) return Promise.resolve('full');
    return new Promise((settle) => {
      this.waiting.push({ run: check, signal, settle });
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift() as Job;
      if (job.signal.aborted) {
        job.settle('dropped');
        continue;
      }
      this.running++;
      job
        .run()
        .then(job.settle, () => job.settle(false))
        .finally(() => {
          this.running--;
          this.next();
        });
    }
  }
}
