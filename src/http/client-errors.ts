/**
 * Requests Node's HTTP parser refuses (head too large, timeout, malformed) get a JSON error and
 * the connection is closed, as Node's default handler does, but in the API's error format, and
 * after the answers of the complete requests pipelined before them (RFC 9112 §9.3.2): answering
 * at once would end the connection under a request still being served, and lose its answer.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

export interface ClientErrors {
  /** The request listener to give the server: `handle`, with each connection's unanswered requests counted. */
  track(handle: Listener): Listener;
  /** The server's `clientError` listener. */
  readonly onClientError: (err: NodeJS.ErrnoException, socket: Duplex) => void;
}

export function createClientErrors(): ClientErrors {
  const unanswered = new WeakMap<Duplex, Set<ServerResponse>>();
  /** What to write once a connection's last unanswered request has its answer. */
  const waiting = new WeakMap<Duplex, () => void>();

  function answered(socket: Duplex, res: ServerResponse): void {
    const open = unanswered.get(socket);
    if (open === undefined || !open.delete(res) || open.size > 0) return;
    const then = waiting.get(socket);
    waiting.delete(socket);
    then?.();
  }

  return {
    track: (handle) => (req, res) => {
      const { socket } = req;
      let open = unanswered.get(socket);
      if (open === undefined) unanswered.set(socket, (open = new Set()));
      open.add(res);
      res.once('finish', () => answered(socket, res));
      res.once('close', () => answered(socket, res));
      handle(req, res);
    },
    onClientError(err, socket) {
      const open = [...(unanswered.get(socket) ?? [])];
      // A request still being received is the one the error is about: it gets no answer of its own.
      if (err.code !== 'ECONNRESET' && open.length > 0 && open.every((res) => res.req.complete)) {
        // Unless the last answer ends the connection itself (Connection: close): then it only has to finish.
        waiting.set(socket, () => socket.writable && answerClientError(err, socket));
      } else answerClientError(err, socket);
    },
  };
}

function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const sent = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (err.code === 'ECONNRESET' || !socket.writable || sent) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: status === 431 ? 'request headers too large' : status === 408 ? 'request timed out' : 'malformed request' });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
