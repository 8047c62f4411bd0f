import type { AddressInfo, Server, Socket } from 'node:net';
import { expect } from 'chai';
import type { Connection, EventContext, Message, Sender } from 'rhea';
import { createContainer, installRheaPatches, loadRheaLib } from '../../src/amqp/rhea.js';
import { loadFreshRhea } from '../helpers/fresh-rhea.js';

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

describe('rhea frame writer (src/amqp/rhea-patches/output.ts)', function () {
  type Frames = Record<string, (...args: unknown[]) => unknown> & { TYPE_AMQP: number; TYPE_SASL: number };
  const freshLib = () => {
    const copy = loadFreshRhea();
    return loadRheaLib((id) => copy.load(id));
  };
  const reference = freshLib();
  const patched = freshLib();
  installRheaPatches(patched);
  const rheaFrames = reference.frames as Frames;
  const patchedFrames = patched.frames as Frames;
  const encode = (m: Record<string, unknown>) => (reference.message.encode as (m: Record<string, unknown>) => Buffer)(m);
  const amqp = (frames: Frames, channel: number, name: string, fields: Record<string, unknown>, payload?: Buffer) => frames.amqp_frame?.(channel, frames[name]?.(fields), payload);

  /** The frames a connection writes, built with each copy's own factories (a frame's performative belongs to its copy). */
  const cases: [string, (frames: Frames) => unknown][] = [
    ['an empty frame (heartbeat)', (f) => f.amqp_frame?.(0)],
    ['open', (f) => amqp(f, 0, 'open', { container_id: 'registry', max_frame_size: 16384, channel_max: 31, idle_time_out: 30_000 })],
    ['begin', (f) => amqp(f, 3, 'begin', { remote_channel: 1, next_outgoing_id: 0, incoming_window: 2048, outgoing_window: 4294967295 })],
    ['a small answer transfer', (f) => amqp(f, 1, 'transfer', { handle: 2, delivery_id: 7, delivery_tag: Buffer.from([7]), message_format: 0, settled: false }, encode({ message_id: 'm', correlation_id: 'c', application_properties: { status: 200 } }))],
    ['a 5000-byte transfer (grows the writer)', (f) => amqp(f, 1, 'transfer', { handle: 2, delivery_id: 8, delivery_tag: Buffer.from([8]), message_format: 0 }, Buffer.alloc(5000, 0x61))],
    ['a 100 kB transfer (not kept)', (f) => amqp(f, 1, 'transfer', { handle: 2, delivery_id: 9, delivery_tag: Buffer.from([9]), message_format: 0 }, Buffer.alloc(100_000, 0x62))],
    ['a disposition (accepted, a range)', (f) => amqp(f, 1, 'disposition', { role: true, first: 3, last: 9, settled: true, state: (reference.message.accepted as () => { described(): unknown })().described() })],
    ['a flow', (f) => amqp(f, 1, 'flow', { next_incoming_id: 10, incoming_window: 2048, next_outgoing_id: 4, outgoing_window: 4294967295, handle: 0, delivery_count: 9, link_credit: 100 })],
    ['a close with an error', (f) => amqp(f, 0, 'close', { error: { condition: 'amqp:connection:framing-error', description: 'a frame of 9 bytes' } })],
    ['a SASL outcome', (f) => f.sasl_frame?.(f.sasl_outcome?.({ code: 0 }))],
  ];

  it('writes every kind of frame with the bytes rhea writes, one after the other in one reused buffer', function () {
    for (const round of [1, 2]) {
      for (const [name, build] of cases) {
        const expected = (rheaFrames.write_frame?.(build(rheaFrames)) as Buffer).toString('hex');
        const written = patchedFrames.write_frame?.(build(patchedFrames)) as Buffer;
        expect(written.toString('hex'), `${name} (round ${round})`).to.equal(expected);
      }
    }
  });

  it('gives every frame a buffer of its own: a later frame does not change an earlier one', function () {
    const first = patchedFrames.write_frame?.(amqp(patchedFrames, 1, 'flow', { next_incoming_id: 1, incoming_window: 10, next_outgoing_id: 1, outgoing_window: 10 })) as Buffer;
    const copy = Buffer.from(first);
    patchedFrames.write_frame?.(amqp(patchedFrames, 2, 'transfer', { handle: 5, delivery_id: 1, delivery_tag: Buffer.from([1]), message_format: 0 }, Buffer.alloc(300, 0xff)));
    expect(first.toString('hex')).to.equal(copy.toString('hex'));
  });
});
