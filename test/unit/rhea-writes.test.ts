import type { AddressInfo, Server, Socket } from 'node:net';
import { expect } from 'chai';
import type { Connection, EventContext, Message, Sender } from 'rhea';
import { createContainer, installRheaPatches } from '../../src/amqp/rhea.js';

/** Counts the writes that reach a socket's handle (one per syscall: a corked batch is one writev). */
function countWrites(socket: Socket): { readonly count: number; reset(): void } {
  const counter = { count: 0, reset: () => (counter.count = 0) };
  const internals = socket as unknown as { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  const write = internals._write.bind(socket);
  const writev = internals._writev.bind(socket);
  internals._write = (...args) => {
    counter.count++;
    write(...args);
  };
  internals._writev = (...args) => {
    counter.count++;
    writev(...args);
  };
  return counter;
}

describe('rhea writes (src/amqp/rhea-patches/output.ts)', function () {
  this.timeout(20_000);
  // Both ends of these connections use the registry's rhea, patched as the AMQP server patches it.
  before(() => installRheaPatches());
  let server: Server;
  let client: Connection;

  afterEach(async function () {
    client?.close();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  });

  for (const [sends, expected] of [[20, 1], [60, 3]] as const) {
    it(`sends the frames one event-loop turn produces in writes of 24 frames, unchanged and in order (${sends} transfers → ${expected})`, async function () {
      const serverSide = createContainer({ id: 'writes-server' });
      const opened = new Promise<{ sender: Sender; socket: Socket }>((resolve) => {
        serverSide.on('sender_open', (ctx: EventContext) => {
          const sender = ctx.sender as Sender;
          sender.set_source({ address: 'batch' });
          const ready = () => {
            if ((sender as unknown as { credit: number }).credit >= sends) resolve({ sender, socket: ctx.connection.socket as unknown as Socket });
            else sender.once('sendable', ready);
          };
          ready();
        });
      });
      server = serverSide.listen({ host: '127.0.0.1', port: 0 } as Parameters<typeof serverSide.listen>[0]) as unknown as Server;
      await new Promise((resolve) => server.once('listening', resolve));

      const clientSide = createContainer({ id: 'writes-client' });
      client = clientSide.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, reconnect: false } as Parameters<typeof clientSide.connect>[0]);
      const received: string[] = [];
      const all = new Promise<void>((resolve) => {
        client.on('message', (ctx: EventContext) => {
          received.push(String((ctx.message as Message).body));
          if (received.length === sends) resolve();
        });
      });
      client.open_receiver({ source: { address: 'batch' }, credit_window: 100 });

      const { sender, socket } = await opened;
      const writes = countWrites(socket);
      await new Promise((resolve) => setImmediate(resolve));
      writes.reset();
      for (let i = 0; i < sends; i++) sender.send({ body: `message ${i}` } as Message);
      await all;

      expect(received).to.deep.equal(Array.from({ length: sends }, (_, i) => `message ${i}`));
      expect(writes.count, `socket writes for ${sends} transfers sent in one turn`).to.equal(expected);
    });
  }
});

describe('rhea heartbeats (src/amqp/rhea-patches/output.ts)', function () {
  this.timeout(20_000);
  before(() => installRheaPatches());

  it('sends empty frames while nothing else goes out (never half the peer\'s idle timeout without a frame), and keeps a quiet connection open', async function () {
    const serverSide = createContainer({ id: 'heartbeat-server' });
    const server = serverSide.listen({ host: '127.0.0.1', port: 0 } as Parameters<typeof serverSide.listen>[0]) as unknown as Server;
    await new Promise((resolve) => server.once('listening', resolve));
    const clientSide = createContainer({ id: 'heartbeat-client' });
    // The client (patched rhea too) closes the connection after twice its idle timeout without a frame.
    const client = clientSide.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, reconnect: false, idle_time_out: 300 } as Parameters<typeof clientSide.connect>[0]);
    let closed = false;
    client.on('connection_close', () => (closed = true));
    client.on('connection_error', () => (closed = true));
    client.on('disconnected', () => (closed = true));
    await new Promise((resolve) => client.once('connection_open', resolve));
    const socket = client.socket as unknown as Socket;
    const EMPTY_FRAME = '0000000802000000';
    let beats = 0;
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        for (let at = 0; at + 8 <= chunk.length; at += 8) if (chunk.subarray(at, at + 8).toString('hex') === EMPTY_FRAME) beats++;
        if (beats >= 4) resolve();
      });
    });
    expect(closed, 'the quiet connection stayed open').to.equal(false);
    client.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
