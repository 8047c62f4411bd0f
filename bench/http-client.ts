/**
 * A lean closed-loop HTTP/1.1 load client: N keep-alive connections, one request in flight on each
 * (no pipelining), the next request sent as soon as an answer is complete. Requests are written as
 * raw bytes and answers parsed only as far as framing needs (status line, Content-Length or chunked
 * body), so the client costs little CPU next to the server under test. Counted windows as the AMQP
 * client (bench/recorder.ts): fixed request counts with priming, which wrk cannot do.
 */
import { connect, type Socket } from 'node:net';
import { windowOf } from './amqp-load.js';
import { Recorder, type CountedWindow, type LoadResult } from './recorder.js';

export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  /** JSON body; none when undefined. */
  readonly body?: string;
}

export interface HttpLoadSpec {
  readonly connections: number;
  readonly window: CountedWindow;
  readonly next: () => HttpRequest;
  /** Statuses that count as success (default: 200). */
  readonly expect?: readonly number[];
  readonly onWindow?: (edge: 'start' | 'end') => void;
  readonly maxMs?: number;
}

/** Encodes a request for `host:port`. */
function encode(request: HttpRequest, host: string): Buffer {
  const head = `${request.method} ${request.path} HTTP/1.1\r\nHost: ${host}\r\n`;
  if (request.body === undefined) return Buffer.from(`${head}\r\n`);
  const body = Buffer.from(request.body);
  return Buffer.concat([Buffer.from(`${head}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
}

const HEAD_END = Buffer.from('\r\n\r\n');

/**
 * The length of the first complete answer in `data` and its status, or undefined while incomplete.
 * Handles Content-Length and chunked bodies (an answer without either has no body).
 */
export function parseAnswer(data: Buffer): { length: number; status: number } | undefined {
  const headEnd = data.indexOf(HEAD_END);
  if (headEnd < 0) return undefined;
  const head = data.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const bodyStart = headEnd + 4;
  if (length !== null) {
    const end = bodyStart + Number(length[1]);
    return data.length >= end ? { length: end, status } : undefined;
  }
  if (!/\r\ntransfer-encoding:\s*chunked/i.test(head)) return { length: bodyStart, status };
  let at = bodyStart;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(data.toString('latin1', at, lineEnd), 16);
    at = lineEnd + 2 + size + 2;
    if (data.length < at) return undefined;
    if (size === 0) return { length: at, status };
  }
}

/** Runs one counted load run against `http://host:port`. */
export async function runHttpLoad(host: string, port: number, spec: HttpLoadSpec): Promise<LoadResult> {
  const expect = new Set(spec.expect ?? [200]);
  // Statuses recorded as 'ok' (expected) or the number: the recorder counts everything but 'ok' as an error.
  const recorder = new Recorder(spec.window, 'ok', spec.onWindow);
  const sockets: Socket[] = [];
  let open = 0;
  let allClosed: (() => void) | undefined;
  const run = (socket: Socket) => {
    let buffered: Buffer = Buffer.alloc(0);
    let sentAt = 0;
    const send = () => {
      sentAt = performance.now();
      socket.write(encode(spec.next(), `${host}:${port}`));
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (let answer = parseAnswer(buffered); answer !== undefined; answer = parseAnswer(buffered)) {
        buffered = buffered.subarray(answer.length);
        recorder.answer(sentAt, expect.has(answer.status) ? 'ok' : String(answer.status));
        if (recorder.sending) send();
        else socket.end();
      }
    });
    send();
  };
  await Promise.all(
    Array.from({ length: spec.connections }, () => new Promise<void>((resolve, reject) => {
      const socket = connect({ host, port, noDelay: true });
      sockets.push(socket);
      socket.once('connect', () => {
        open++;
        socket.on('error', () => undefined); // followed by 'close'
        resolve();
      });
      socket.once('error', reject);
      socket.once('close', () => {
        if (--open === 0) allClosed?.();
        // A connection the server closed while the window is open ends the run as a failure.
        if (recorder.sending) recorder.close();
      });
    })),
  );
  sockets.forEach(run);
  try {
    await windowOf(recorder, spec);
  } finally {
    recorder.close();
    if (open > 0) await new Promise<void>((resolve) => {
      allClosed = resolve;
      setTimeout(resolve, 5000);
    });
    sockets.forEach((s) => s.destroy());
  }
  const result = recorder.result();
  if (result.requests < spec.window.requests) throw new Error(`the server closed a connection after ${result.requests} of ${spec.window.requests} answers`);
  return result;
}
