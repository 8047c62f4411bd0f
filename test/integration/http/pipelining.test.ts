/**
 * Pipelined HTTP/1.1 requests over a raw socket: every complete request before a malformed one
 * gets its answer, in order, and then the malformed one gets a JSON 400 and the connection closes
 * (RFC 9112 §9.3.2: responses in the order of the requests).
 */
import { connect } from 'node:net';
import { expect } from 'chai';
import { createTenant, useRegistry } from './support.js';

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Writes `data` in one piece and reads until the server closes the connection. */
function exchange(port: number, data: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(data));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** Splits a byte stream of HTTP/1.1 responses (bodies delimited by Content-Length). */
function responses(raw: Buffer): RawResponse[] {
  const out: RawResponse[] = [];
  let at = 0;
  while (at < raw.length) {
    const end = raw.indexOf('\r\n\r\n', at);
    if (end < 0) throw new Error(`an incomplete response head: ${raw.subarray(at).toString()}`);
    const [statusLine = '', ...lines] = raw.subarray(at, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    out.push({ status: Number(statusLine.split(' ')[1]), headers, body: raw.subarray(end + 4, end + 4 + length).toString('utf8') });
    at = end + 4 + length;
  }
  return out;
}

describe('pipelined requests followed by garbage', function () {
  const suite = useRegistry();
  const port = () => suite.registry.registry.httpPort;
  const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: registry\r\n\r\n`;

  beforeEach(async function () {
    await createTenant(suite.base, 'pipelined');
  });

  it('answers a valid request pipelined before garbage, then 400 for the garbage, then closes', async function () {
    const answers = responses(await exchange(port(), `${get('/tenant/pipelined')}GARBAGE \u0001 NOT HTTP\r\n\r\n`));
    expect(answers.map((a) => a.status)).to.deep.equal([200, 400]);
    expect(JSON.parse(answers[0]?.body ?? '')).to.have.property('tenant-id', 'pipelined');
    expect(JSON.parse(answers[1]?.body ?? '')).to.deep.equal({ error: 'malformed request' });
    expect(answers[1]?.headers.connection).to.equal('close');
  });

  it('answers a request that asks to close the connection, and nothing after it', async function () {
    const closing = `GET /tenant/pipelined HTTP/1.1\r\nHost: registry\r\nConnection: close\r\n\r\n`;
    const answers = responses(await exchange(port(), `${closing}GARBAGE\r\n\r\n`));
    expect(answers.map((a) => a.status)).to.deep.equal([200]);
    expect(JSON.parse(answers[0]?.body ?? '')).to.have.property('tenant-id', 'pipelined');
  });

  it('answers every pipelined request, writes included, in order before the 400', async function () {
    const body = JSON.stringify({ 'device-id': 'd1' });
    const post = `POST /registration/pipelined HTTP/1.1\r\nHost: registry\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    // Node serves pipelined requests concurrently and answers them in order: they are independent here.
    const answers = responses(await exchange(port(), `${get('/tenant/none')}${post}${get('/tenant/pipelined')}${get('/health')}\u0000\u0000garbage\r\n\r\n`));
    expect(answers.map((a) => a.status)).to.deep.equal([404, 201, 200, 200, 400]);
    expect(answers[1]?.headers.location).to.equal('/registration/pipelined/d1');
    expect(JSON.parse(answers[2]?.body ?? '')).to.have.property('tenant-id', 'pipelined');
  });
});
