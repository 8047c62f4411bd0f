/**
 * AMQP 1.0 on a bare TCP socket, for tests that send what no well-behaved client would: oversized
 * or lying frame headers, begins beyond channel-max, floods of SASL attempts. Frames are encoded
 * and decoded with the test clients' unpatched copy of rhea (test/helpers/fresh-rhea.ts).
 */
import { connect, type Socket } from 'node:net';
import { clientRhea } from './fresh-rhea.js';

interface Performative {
  readonly constructor: { toString(): string };
  readonly [field: string]: unknown;
}

interface Frames {
  write_frame(frame: unknown): Buffer;
  read_frame(buffer: Buffer): { type: number; channel: number; performative?: Performative; payload?: Buffer };
  amqp_frame(channel: number, performative: unknown, payload?: Buffer): unknown;
  sasl_frame(performative: unknown): unknown;
  [name: string]: unknown;
}

const frames = clientRhea.load('rhea/lib/frames.js') as Frames;

export const SASL_HEADER = Buffer.from('AMQP\x03\x01\x00\x00', 'latin1');
export const AMQP_HEADER = Buffer.from('AMQP\x00\x01\x00\x00', 'latin1');

/** SASL outcome codes (AMQP 1.0 §5.3.3.6). */
export const SASL = { ok: 0, auth: 1, sys: 2, sysPerm: 3, sysTemp: 4 } as const;

const terminus = clientRhea.load('rhea/lib/terminus.js') as { target(fields: object): { described(): unknown }; source(fields: object): { described(): unknown } };

/** An encoded AMQP frame: `amqpFrame('open', { container_id: 'x' })` (rhea's field names), with an optional payload. */
export function amqpFrame(name: string, fields: Record<string, unknown>, channel = 0, payload?: Buffer): Buffer {
  return frames.write_frame(frames.amqp_frame(channel, (frames[name] as (f: unknown) => unknown)(fields), payload));
}

/** The attach of a sending link (the registry receives) to `address`, on channel 0. */
export function senderAttach(name: string, handle: number, address: string): Buffer {
  return amqpFrame('attach', { name, handle, role: false, source: terminus.source({ address: name }).described(), target: terminus.target({ address }).described(), initial_delivery_count: 0 });
}

export function saslFrame(name: string, fields: Record<string, unknown>): Buffer {
  return frames.write_frame(frames.sasl_frame((frames[name] as (f: unknown) => unknown)(fields)));
}

/** A frame header declaring `size` bytes, with none of them following. */
export function frameHeader(size: number, type = 0): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(size >>> 0, 0);
  header.writeUInt8(2, 4);
  header.writeUInt8(type, 5);
  return header;
}

/** A received frame: its performative's name (`open`, `close`, `sasl_outcome` …) and fields. */
export interface ReceivedFrame {
  readonly name: string;
  readonly channel: number;
  readonly fields: Performative;
}

/** A raw connection: what it received so far, parsed into frames, and whether the server closed it. */
export class RawConnection {
  readonly frames: ReceivedFrame[] = [];
  closed = false;
  private input = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    socket.on('data', (data: Buffer) => {
      this.input = Buffer.concat([this.input, data]);
      this.parse();
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(port: number, localAddress?: string): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: '127.0.0.1', ...(localAddress === undefined ? {} : { localAddress }) });
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Resolves when `condition` holds (checked after every read and at close), or false after `boundMs`. */
  until(condition: () => boolean, boundMs = 10_000): Promise<boolean> {
    if (condition()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), boundMs);
      const check = () => {
        if (condition()) done(true);
        else if (this.closed) done(condition());
      };
      const done = (result: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(result);
      };
      this.waiters.add(check);
    });
  }

  /** The first received frame of this name, waiting for it (undefined when the connection ends without it). */
  async frame(name: string, boundMs?: number): Promise<ReceivedFrame | undefined> {
    await this.until(() => this.frames.some((f) => f.name === name), boundMs);
    return this.frames.find((f) => f.name === name);
  }

  /**
   * Writes `chunk` again and again until the server closes the connection or `limit` bytes are
   * written; returns how many were written (accepted by the kernel) before the close was noticed.
   */
  async flood(chunk: Buffer, limit: number): Promise<number> {
    let written = 0;
    while (!this.closed && written < limit) {
      const more = this.socket.write(chunk);
      written += chunk.length;
      if (!more) await new Promise<void>((resolve) => {
        const go = () => {
          this.socket.off('drain', go);
          this.socket.off('close', go);
          resolve();
        };
        this.socket.once('drain', go);
        this.socket.once('close', go);
      });
    }
    return written;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      if (this.input.length >= 8 && this.input.toString('latin1', 0, 4) === 'AMQP') {
        this.input = this.input.subarray(8);
        continue;
      }
      if (this.input.length < 4) return;
      const size = this.input.readUInt32BE(0);
      if (this.input.length < size) return;
      const frame = frames.read_frame(this.input.subarray(0, size));
      this.input = this.input.subarray(size);
      const fields = frame.performative;
      if (fields !== undefined) this.frames.push({ name: String(fields.constructor).replace(/#.*/, ''), channel: frame.channel, fields });
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/** The error condition of a received close (or end/detach) frame. */
export function conditionOf(frame: ReceivedFrame | undefined): string | undefined {
  const error = frame?.fields.error as { condition?: unknown } | undefined;
  return error?.condition === undefined ? undefined : String(error.condition);
}

/** Opens a raw connection and logs in with SASL ANONYMOUS and an AMQP open; resolves once the server's open arrived. */
export async function rawAnonymous(port: number): Promise<RawConnection> {
  const raw = await RawConnection.open(port);
  raw.socket.write(Buffer.concat([SASL_HEADER, saslFrame('sasl_init', { mechanism: 'ANONYMOUS', initial_response: Buffer.from('raw') })]));
  const outcome = await raw.frame('sasl_outcome');
  if (outcome?.fields.code !== SASL.ok) throw new Error(`SASL ANONYMOUS failed: ${String(outcome?.fields.code)}`);
  raw.socket.write(Buffer.concat([AMQP_HEADER, amqpFrame('open', { container_id: 'raw-test' })]));
  if ((await raw.frame('open')) === undefined) throw new Error('the server sent no open');
  return raw;
}

/** One SASL PLAIN attempt: the outcome code, or `closed` when the server closed without one. */
export async function saslPlain(port: number, username: string, password: string, options: { localAddress?: string; leave?: boolean } = {}): Promise<number | 'closed'> {
  const raw = await RawConnection.open(port, options.localAddress);
  try {
    const response = Buffer.from(`\0${username}\0${password}`, 'utf8');
    raw.socket.write(Buffer.concat([SASL_HEADER, saslFrame('sasl_init', { mechanism: 'PLAIN', initial_response: response })]));
    if (options.leave === true) {
      // Gone right after asking: the socket ends (after the request) and the server closes its side.
      raw.socket.end();
      await raw.until(() => raw.closed);
      return 'closed';
    }
    const outcome = await raw.frame('sasl_outcome', 20_000);
    return outcome === undefined ? 'closed' : Number(outcome.fields.code);
  } finally {
    raw.destroy();
  }
}
