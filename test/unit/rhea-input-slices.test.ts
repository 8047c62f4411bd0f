/**
 * src/amqp/rhea-patches/input.ts: a large read on an open connection reaches rhea in slices of whole
 * frames (at most SLICE_BYTES, one slice per event-loop turn), in order and unchanged.
 */
import type { AddressInfo, Server } from 'node:net';
import { expect } from 'chai';
import type { Connection, EventContext, Message, Receiver, Sender } from 'rhea';
import { SLICE_BYTES, createContainer, frameSliceEnd, installRheaPatches } from '../../src/amqp/rhea.js';

/** AMQP frames of the given total sizes (8-byte header + filler), concatenated. */
function frames(...sizes: number[]): Buffer {
  return Buffer.concat(
    sizes.map((size) => {
      const frame = Buffer.alloc(size, 0x41);
      frame.writeUInt32BE(size, 0);
      return frame;
    }),
  );
}

describe('rhea input slices (src/amqp/rhea-patches/input.ts)', function () {
  this.timeout(20_000);
  // Both ends of these connections use the registry's rhea, patched as the AMQP server patches it.
  before(() => installRheaPatches());

  describe('frameSliceEnd', function () {
    it('takes the whole frames that fit in the limit', function () {
      expect(frameSliceEnd(frames(100, 100, 100), 250)).to.equal(200);
      expect(frameSliceEnd(frames(100, 100, 100), 300)).to.equal(300);
    });
    it('always takes the first frame, even when it alone exceeds the limit', function () {
      expect(frameSliceEnd(frames(5000, 100), 4096)).to.equal(5000);
    });
    it('stops before a partial frame; a buffer that starts with one goes whole', function () {
      const buffer = frames(100, 100, 300).subarray(0, 250);
      expect(frameSliceEnd(buffer, 4096)).to.equal(200);
      expect(frameSliceEnd(buffer.subarray(200), 4096)).to.equal(50);
    });
    it('hands what is not frames (bogus size, short tail) to rhea whole', function () {
      const bogus = Buffer.alloc(64, 0);
      expect(frameSliceEnd(bogus, 16)).to.equal(64);
      expect(frameSliceEnd(Buffer.from('AMQP'), 16)).to.equal(4);
      expect(frameSliceEnd(Buffer.concat([frames(40), bogus]), 4096)).to.equal(40);
    });
  });

  describe('on a connection', function () {
    let server: Server | undefined;
    let client: Connection | undefined;

    afterEach(async function () {
      client?.close();
      await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    });

    it('delivers a burst of 300 messages in order and unchanged, a slice of frames at a time', async function () {
      const count = 300;
      const body = (i: number) => `${'x'.repeat(200)}-${i}`;
      const serverSide = createContainer({ id: 'slices-server' });
      // Messages rhea dispatches in one synchronous run (one input call) share a batch number (a tick
      // queued by the first of them runs before anything else can call rhea again).
      const received: { body: string; batch: number }[] = [];
      let batch = 0;
      let open = false;
      const all = new Promise<void>((resolve) => {
        serverSide.on('receiver_open', (ctx: EventContext) => {
          const receiver = ctx.receiver as Receiver;
          receiver.set_target({ address: 'burst' });
        });
        serverSide.on('message', (ctx: EventContext) => {
          if (!open) {
            open = true;
            batch++;
            process.nextTick(() => (open = false));
          }
          received.push({ body: String((ctx.message as Message).body), batch });
          if (received.length === count) resolve();
        });
      });
      server = serverSide.listen({ host: '127.0.0.1', port: 0, receiver_options: { credit_window: count } } as unknown as Parameters<typeof serverSide.listen>[0]) as unknown as Server;
      await new Promise((resolve) => server?.once('listening', resolve));

      const clientSide = createContainer({ id: 'slices-client' });
      client = clientSide.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, reconnect: false } as Parameters<typeof clientSide.connect>[0]);
      const sender = client.open_sender({ target: { address: 'burst' } });
      await new Promise<void>((resolve) => {
        const ready = () => ((sender as unknown as { credit: number }).credit >= count ? resolve() : sender.once('sendable', ready));
        sender.once('sendable', ready);
      });
      for (let i = 0; i < count; i++) (sender as Sender).send({ body: body(i) } as Message);
      await all;

      expect(received.map((r) => r.body)).to.deep.equal(Array.from({ length: count }, (_, i) => body(i)));
      const perBatch = new Map<number, number>();
      for (const r of received) perBatch.set(r.batch, (perBatch.get(r.batch) ?? 0) + 1);
      // A transfer of this message is about 250 bytes: at most SLICE_BYTES / 240 whole frames per slice.
      expect(Math.max(...perBatch.values()), 'messages handled in one go').to.be.at.most(Math.ceil(SLICE_BYTES / 240));
      expect(perBatch.size, 'slices').to.be.at.least(Math.floor(count / Math.ceil(SLICE_BYTES / 240)));
    });
  });
});
