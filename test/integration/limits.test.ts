/**
 * Bounded everything (issue 6, docs/reliability.md): slow, oversized, vanished and greedy clients
 * on both faces get a clear answer or are disconnected, and cannot pin a connection for long.
 * The limits are set small here so the tests stay quick; every wait is bounded generously.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { expect } from 'chai';
import type { EventContext, Message, Sender } from 'rhea';
import { sharedRedis } from '../helpers/root-hooks.js';
import { http, startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { openClient } from '../helpers/amqp-client.js';
import { clientRhea } from '../helpers/fresh-rhea.js';

const { message: rheaMessage } = clientRhea.rhea;

async function until(condition: () => boolean, boundMs: number): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sends raw bytes on a new connection; resolves with everything the server sent until it closed the connection. */
function rawExchange(port: number, chunks: readonly string[], boundMs = 15_000): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, boundMs);
    socket.on('connect', () => chunks.forEach((c) => socket.write(c)));
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
  });
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

const closedWithin = (socket: Socket, boundMs: number) =>
  new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), boundMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

describe('limits', function () {
  this.timeout(60_000);
  let registry: TestRegistry;
  let httpPort: number;
  let amqpPort: number;

  before(async () => {
    const redis = await sharedRedis();
    await redis.command('FLUSHALL');
    registry = await startTestRegistry({
      REGISTRY_REDIS_URL: redis.url, REGISTRY_AMQP_ANONYMOUS: 'true', REGISTRY_LOG_LEVEL: 'info',
      REGISTRY_HTTP_HEADERS_TIMEOUT_MS: '500', REGISTRY_HTTP_REQUEST_TIMEOUT_MS: '1000', REGISTRY_HTTP_KEEP_ALIVE_TIMEOUT_MS: '300',
      REGISTRY_HTTP_MAX_HEADER_BYTES: '2048', REGISTRY_HTTP_MAX_CONNECTIONS: '4',
      REGISTRY_AMQP_OPEN_TIMEOUT_MS: '500', REGISTRY_AMQP_MAX_CONNECTIONS: '3', REGISTRY_AMQP_IDLE_TIMEOUT_MS: '1000', REGISTRY_AMQP_CREDIT: '5',
      REGISTRY_AMQP_MAX_LINKS: '4', REGISTRY_AMQP_MAX_FRAME_SIZE: '4096',
    });
    httpPort = registry.registry.httpPort;
    amqpPort = registry.registry.amqpPort;
  });
  after(() => registry.stop());

  describe('HTTP', function () {
    it('answers 408 with a JSON error and closes the connection when the headers do not arrive in time (slow client)', async function () {
      const { text, closed } = await rawExchange(httpPort, ['GET /health HTTP/1.1\r\nHost: x\r\n']);
      expect(closed).to.equal(true);
      expect(text).to.match(/^HTTP\/1.1 408 /).and.include('{"error":"request timed out"}');
    });

    it('answers 408 when a body never completes (vanished client)', async function () {
      const head = 'POST /tenant HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"tenant-id":';
      const { text, closed } = await rawExchange(httpPort, [head]);
      expect(closed).to.equal(true);
      expect(text).to.match(/^HTTP\/1.1 408 /);
    });

    it('answers 431 with a JSON error to request headers above REGISTRY_HTTP_MAX_HEADER_BYTES', async function () {
      const { text } = await rawExchange(httpPort, [`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`]);
      expect(text).to.match(/^HTTP\/1.1 431 /).and.include('{"error":"request headers too large"}');
    });

    it('closes an idle keep-alive connection after REGISTRY_HTTP_KEEP_ALIVE_TIMEOUT_MS', async function () {
      const socket = await openSocket(httpPort);
      const closed = closedWithin(socket, 15_000);
      socket.on('data', () => undefined);
      socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(await closed).to.equal(true);
    });

    it('closes connections beyond REGISTRY_HTTP_MAX_CONNECTIONS at once and serves again when one ends', async function () {
      const held = await Promise.all([0, 1, 2, 3].map(() => openSocket(httpPort)));
      held.forEach((s) => s.on('error', () => undefined));
      // Each held connection keeps a request open (head only) so it counts as busy.
      held.forEach((s) => s.write('GET /health HTTP/1.1\r\nHost: x\r\n'));
      const extra = await rawExchange(httpPort, ['GET /health HTTP/1.1\r\nHost: x\r\n\r\n'], 5000);
      expect(extra).to.deep.equal({ text: '', closed: true });
      held.forEach((s) => s.destroy());
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (status !== 200 && Date.now() < deadline) {
        status = await http(registry.base, 'GET', '/health').then((r) => r.status, () => 0);
      }
      expect(status).to.equal(200);
    });
  });

  describe('AMQP', function () {
    it('closes a connection that sends nothing, or stops after the protocol header, within the open timeout', async function () {
      expect((await rawExchange(amqpPort, [])).closed).to.equal(true);
      const sasl = await rawExchange(amqpPort, ['AMQP\x03\x01\x00\x00']);
      expect(sasl.closed).to.equal(true);
    });

    it('closes connections beyond REGISTRY_AMQP_MAX_CONNECTIONS and accepts again when one ends', async function () {
      const clients = await Promise.all([0, 1, 2].map(() => openClient({ port: amqpPort, anonymous: true })));
      const refused = await openClient({ port: amqpPort, anonymous: true, connectTimeoutMs: 3000 }).then(async (c) => (await c.close(), 'opened'), () => 'refused');
      expect(refused).to.equal('refused');
      await clients[0]?.close();
      const deadline = Date.now() + 10_000;
      let again: Awaited<ReturnType<typeof openClient>> | undefined;
      while (again === undefined && Date.now() < deadline) again = await openClient({ port: amqpPort, anonymous: true, connectTimeoutMs: 2000 }).catch(() => undefined);
      expect(again).to.not.equal(undefined);
      await Promise.all([again?.close(), clients[1]?.close(), clients[2]?.close()]);
    });

    it('advertises REGISTRY_AMQP_MAX_FRAME_SIZE and refuses links beyond REGISTRY_AMQP_MAX_LINKS with amqp:resource-limit-exceeded', async function () {
      const client = await openClient({ port: amqpPort, anonymous: true });
      try {
        expect((client.connection as unknown as { remote: { open: { max_frame_size: number } } }).remote.open.max_frame_size).to.equal(4096);
        await client.link('tenant');
        await client.link('registration/DEFAULT_TENANT');
        const refused = await client.link('credentials/DEFAULT_TENANT').then(() => undefined, (err: { condition?: string }) => err.condition);
        expect(refused).to.equal('amqp:resource-limit-exceeded');
      } finally {
        await client.close();
      }
    });

    it('grants REGISTRY_AMQP_CREDIT credits per request link and holds them back while the client reads no answers', async function () {
      const client = await openClient({ port: amqpPort, anonymous: true });
      const replyAddress = 'tenant/credit-test';
      const answers: unknown[] = [];
      const receiver = client.connection.open_receiver({ source: { address: replyAddress }, credit_window: 0, autoaccept: true });
      receiver.on('message', (ctx: EventContext) => answers.push(ctx.message?.application_properties?.status));
      await until(() => receiver.is_open(), 10_000);
      receiver.add_credit(1);
      const sender = client.connection.open_sender({ target: { address: 'tenant' } }) as Sender & { credit: number };
      sender.on('sendable', () => undefined);
      await until(() => sender.credit === 5, 10_000);
      for (let i = 0; i < 5; i++) {
        sender.send({ message_id: `c${i}`, reply_to: replyAddress, subject: 'get', body: rheaMessage.data_section(Buffer.from('{"tenant-id":"DEFAULT_TENANT"}')) } as unknown as Message);
      }
      // One answer fits the client's reply credit; the other four wait, and so do their request credits.
      await until(() => answers.length === 1 && sender.credit === 1, 10_000).catch((e: Error) => { throw new Error(`${e.message}: ${answers.length} answers, credit ${sender.credit}`); });
      // A round trip on the same connection instead of a pause: the last credit goes to a request
      // answered on a second reply link. Frames keep their order, so credit given back for the
      // four waiting answers would have come before that answer and the probe's own credit. (The
      // reply link is on a session of its own: behind the waiting answers, its answer would wait too.)
      const probeAddress = 'tenant/credit-probe';
      const session = client.connection.create_session();
      session.begin();
      const probe = session.open_receiver({ source: { address: probeAddress }, credit_window: 0, autoaccept: true });
      await until(() => probe.is_open(), 10_000);
      probe.add_credit(1);
      const probed = new Promise((resolve) => probe.once('message', resolve));
      sender.send({ message_id: 'probe', reply_to: probeAddress, subject: 'get', body: rheaMessage.data_section(Buffer.from('{"tenant-id":"DEFAULT_TENANT"}')) } as unknown as Message);
      await probed;
      await until(() => sender.credit >= 1, 10_000);
      expect(sender.credit, 'only the probe\'s credit came back').to.equal(1);
      expect(answers).to.have.lengthOf(1);
      receiver.add_credit(10);
      await until(() => answers.length === 5 && sender.credit === 5, 10_000);
      expect(answers).to.deep.equal([200, 200, 200, 200, 200]);
      await client.close();
    });

    it('closes a connection whose peer vanished (no frames) after twice the idle timeout', async function () {
      // A proxy that stops forwarding the client's bytes after the open: the registry sees silence.
      let forward = true;
      let upstream: Socket | undefined;
      const upstreamClosed = new Promise<void>((resolve) => {
        const proxy: Server = createServer((downstream) => {
          upstream = connect(amqpPort, '127.0.0.1');
          downstream.on('data', (d) => forward && upstream?.write(d));
          upstream.on('data', (d) => downstream.write(d));
          upstream.on('close', () => {
            downstream.destroy();
            proxy.close();
            resolve();
          });
          downstream.on('error', () => undefined);
          upstream.on('error', () => undefined);
        });
        proxy.listen(0, '127.0.0.1', () => {
          const port = (proxy.address() as { port: number }).port;
          void openClient({ port, anonymous: true }).then((client) => {
            forward = false;
            void upstreamClosed.then(() => client.abort());
          });
        });
      });
      const bound = new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 20_000));
      expect(await Promise.race([upstreamClosed.then(() => 'closed'), bound])).to.equal('closed');
    });
  });
});
