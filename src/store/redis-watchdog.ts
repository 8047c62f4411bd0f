/**
 * Command timeouts and latencies of one Redis connection without a timer or a promise callback per
 * command. ioredis' `commandTimeout` arms a setTimeout for every command and clears it on the
 * reply, and timing a command through its promise costs two closures and a promise reaction; at
 * thousands of lookups per second both showed in the profile (bench/README.md, issue 15).
 *
 * A CommandWatchdog keeps the commands its connection has sent, in send order, with their send
 * times. One timer, armed for the oldest command's deadline, rejects every command that has waited
 * `timeoutMs` with ioredis' own "Command timed out" error (mapped to 503 like before): a command
 * to a Redis that stopped answering still fails after the timeout, never later. Replies on one
 * connection come back in send order, so answered commands leave from the front: after each read
 * of the connection, the settled commands at the front are observed (latency up to that read,
 * failed or not) and forgotten.
 */

/** What the watchdog needs of an ioredis command. */
export interface WatchedCommand {
  readonly name: string;
  readonly isSettled: boolean;
  readonly isResolved: boolean;
  reject(error: Error): void;
}

/** Receives the latency of every command (metrics). */
export type CommandObserver = (command: string, seconds: number, failed: boolean) => void;

/** Settled entries at the front are dropped from the arrays once there are this many (and they are half of them). */
const COMPACT_AFTER = 256;

export class CommandWatchdog {
  private commands: (WatchedCommand | undefined)[] = [];
  private sentAt: number[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly observe?: CommandObserver,
  ) {}

  /** A command just handed to the connection (one that failed at once is observed at once). */
  sent(command: WatchedCommand): void {
    const now = performance.now();
    if (command.isSettled) {
      this.observe?.(command.name, 0, !command.isResolved);
      return;
    }
    this.commands.push(command);
    this.sentAt.push(now);
    // Without a timer no unsettled command was waiting: this one is the oldest.
    if (this.timer === undefined) this.arm(this.timeoutMs);
  }

  /** Observes and forgets the settled commands at the front. Called after every read of the connection. */
  settle(now: number = performance.now()): void {
    const { commands, sentAt } = this;
    let head = this.head;
    for (let command = commands[head]; command !== undefined && command.isSettled; command = commands[head]) {
      this.observe?.(command.name, (now - (sentAt[head] as number)) / 1000, !command.isResolved);
      commands[head++] = undefined;
    }
    this.head = head;
    this.compact();
  }

  /** Commands sent and not yet settled or forgotten. */
  get pending(): number {
    return this.commands.length - this.head;
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(this.expire, Math.max(1, Math.ceil(delayMs)));
    // A watchdog alone must not keep the process alive.
    this.timer.unref();
  }

  /** Rejects the commands at the front whose time is up, then waits for the next oldest one's deadline. */
  private readonly expire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    for (;;) {
      this.settle(now);
      const command = this.commands[this.head];
      if (command === undefined) return;
      const waited = now - (this.sentAt[this.head] as number);
      if (waited < this.timeoutMs) return this.arm(this.timeoutMs - waited);
      command.reject(new Error('Command timed out'));
    }
  };

  private compact(): void {
    const { head } = this;
    if (head === this.commands.length) {
      this.commands.length = 0;
      this.sentAt.length = 0;
      this.head = 0;
    } else if (head >= COMPACT_AFTER && head * 2 >= this.commands.length) {
      this.commands.splice(0, head);
      this.sentAt.splice(0, head);
      this.head = 0;
    }
  }
}

/** The parts of an ioredis connection (a Redis instance: a server, or one node of a cluster) the watchdog uses. */
export interface WatchableConnection {
  sendCommand(command: WatchedCommand, ...rest: never[]): unknown;
  readonly stream?: { on(event: 'data', listener: () => void): unknown } | undefined;
  on(event: 'connect' | 'close' | 'end', listener: () => void): unknown;
}

/**
 * Watches every command `connection` sends with one CommandWatchdog: it rejects those that wait
 * longer than `timeoutMs` (use it instead of ioredis' `commandTimeout`) and observes each one's
 * latency once its reply has been read (or it failed).
 */
export function watchCommands(connection: WatchableConnection, timeoutMs: number, observe?: CommandObserver): CommandWatchdog {
  const watchdog = new CommandWatchdog(timeoutMs, observe);
  const send = connection.sendCommand.bind(connection) as (command: WatchedCommand, ...rest: unknown[]) => unknown;
  // Every argument is passed on: a pipeline passes the stream its commands are written to.
  connection.sendCommand = ((command: WatchedCommand, ...rest: unknown[]) => {
    const result = send(command, ...rest);
    watchdog.sent(command);
    return result;
  }) as WatchableConnection['sendCommand'];
  const settle = () => watchdog.settle();
  // ioredis decodes a read in its own listener, added before this one: the commands it answered are settled here.
  connection.on('connect', () => connection.stream?.on('data', settle));
  // On a closed connection ioredis rejects what waited for a reply, after emitting the event.
  const afterClose = () => process.nextTick(settle);
  connection.on('close', afterClose);
  connection.on('end', afterClose);
  return watchdog;
}
