/**
 * Bounded input per AMQP connection (issue 12, items 1 and 8; docs/reliability.md): frame headers
 * that lie about their size, frames above max-frame-size, messages above max-message-size, and
 * sessions beyond channel-max end the connection at once, so no client can make the registry hold
 * more than one frame (or one message) of its input. Driven over raw sockets and an unpatched rhea.
 */
import { expect } from 'chai';
import { SASL_HEADER, amqpFrame, conditionOf, frameHeader, rawAnonymous, RawConnection, saslFrame, senderAttach } from '../../helpers/amqp-raw.js';
import { openClient } from '../../helpers/amqp-client.js';
import { failure, useAmqpRegistry } from './support.js';

/** What a client may push at the registry before it must have noticed the close (kernel buffers included). */
const FLOOD_LIMIT = 64 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x41);
const MAX_SESSIONS = 4;

describe('AMQP framing and per-connection limits', function () {
  this.timeout(60_000);
  const suite = useAmqpRegistry({ REGISTRY_AMQP_ANONYMOUS: 'true', REGISTRY_AMQP_MAX_SESSIONS: String(MAX_SESSIONS), REGISTRY_LOG_LEVEL: 'info' }, { flush: false });

  it('closes the connection when a SASL frame header declares 4 GiB, before the client has written 64 MiB', async function () {
    const raw = await RawConnection.open(suite.port);
    raw.socket.write(Buffer.concat([SASL_HEADER, frameHeader(0xffff_ff00, 1)]));
    const written = await raw.flood(CHUNK, FLOOD_LIMIT);
    expect(raw.closed, `still open after ${written} bytes`).to.equal(true);
    expect(raw.frames.map((f) => f.name)).to.not.include('sasl_outcome');
  });

  it('closes the connection with amqp:connection:framing-error when a frame after the open declares 2 GiB, before 64 MiB are written', async function () {
    const raw = await rawAnonymous(suite.port);
    raw.socket.write(frameHeader(0x8000_0000));
    const written = await raw.flood(CHUNK, FLOOD_LIMIT);
    expect(raw.closed, `still open after ${written} bytes`).to.equal(true);
    const close = await raw.frame('close');
    expect(conditionOf(close)).to.equal('amqp:connection:framing-error');
  });

  it('closes the connection with amqp:connection:framing-error for a complete frame above the advertised max-frame-size', async function () {
    const raw = await rawAnonymous(suite.port);
    const open = await raw.frame('open');
    expect(open?.fields.max_frame_size).to.equal(16384);
    const oversized = Buffer.alloc(16385);
    frameHeader(oversized.length).copy(oversized);
    raw.socket.write(oversized);
    expect(conditionOf(await raw.frame('close'))).to.equal('amqp:connection:framing-error');
    expect(await raw.until(() => raw.closed)).to.equal(true);
  });

  it('closes the connection for a SASL frame above 512 bytes (MIN-MAX-FRAME-SIZE) without answering it', async function () {
    const raw = await RawConnection.open(suite.port);
    raw.socket.write(Buffer.concat([SASL_HEADER, saslFrame('sasl_init', { mechanism: 'ANONYMOUS', initial_response: Buffer.alloc(600, 0x61) })]));
    expect(await raw.until(() => raw.closed)).to.equal(true);
    expect(raw.frames.map((f) => f.name)).to.not.include('sasl_outcome');
  });

  it('closes the connection with amqp:connection:framing-error for a frame shorter than its header', async function () {
    const raw = await rawAnonymous(suite.port);
    const runt = Buffer.alloc(8);
    runt.writeUInt32BE(4, 0);
    raw.socket.write(runt);
    expect(conditionOf(await raw.frame('close'))).to.equal('amqp:connection:framing-error');
  });

  it(`advertises channel-max ${MAX_SESSIONS - 1} and closes the connection with amqp:connection:framing-error at session ${MAX_SESSIONS + 1}`, async function () {
    const client = await openClient({ port: suite.port, anonymous: true });
    suite.track(client);
    expect((client.connection as unknown as { remote: { open: { channel_max: number } } }).remote.open.channel_max).to.equal(MAX_SESSIONS - 1);
    const connection = client.connection as unknown as { create_session(): { begin(): void; on(e: string, f: () => void): void } };
    const opened = (session: { on(e: string, f: () => void): void }) => new Promise<void>((resolve) => session.on('session_open', resolve));
    for (let i = 0; i < MAX_SESSIONS; i++) {
      const session = connection.create_session();
      session.begin();
      await opened(session);
    }
    connection.create_session().begin();
    const err = await failure(client.link('tenant'));
    expect(err.condition).to.equal('amqp:connection:framing-error');
  });

  it('closes the connection with amqp:illegal-state for a begin on a channel whose session is open', async function () {
    const raw = await rawAnonymous(suite.port);
    const begin = amqpFrame('begin', { next_outgoing_id: 0, incoming_window: 100, outgoing_window: 100 }, 0);
    raw.socket.write(begin);
    await raw.frame('begin');
    raw.socket.write(begin);
    expect(conditionOf(await raw.frame('close'))).to.equal('amqp:illegal-state');
  });

  it('advertises max-message-size on request links and closes the connection with amqp:resource-limit-exceeded for a larger message', async function () {
    const client = suite.track(await openClient({ port: suite.port, anonymous: true }));
    const link = await client.link('tenant');
    const limit = 2 * 65536;
    expect((link.sender as unknown as { max_message_size: number }).max_message_size).to.equal(limit);
    const err = await failure(link.request({ subject: 'get', body: Buffer.alloc(2 * 1024 * 1024, 0x20) }));
    expect(err.message).to.include('amqp:resource-limit-exceeded');
  });

  it('closes the connection with amqp:resource-limit-exceeded when its unfinished messages exceed four times max-message-size', async function () {
    const raw = await rawAnonymous(suite.port);
    raw.socket.write(amqpFrame('begin', { next_outgoing_id: 0, incoming_window: 2048, outgoing_window: 2048 }));
    const links = 5;
    for (let handle = 0; handle < links; handle++) raw.socket.write(senderAttach(`partial-${handle}`, handle, 'tenant'));
    expect(await raw.until(() => raw.frames.filter((f) => f.name === 'flow').length >= links)).to.equal(true);
    // Each link's delivery stays below max-message-size (2 × 64 KiB); together they pass 4 × it.
    const piece = Buffer.alloc(16_000, 0x20);
    for (let round = 0; round < 8 && !raw.closed; round++) {
      for (let handle = 0; handle < links; handle++) {
        raw.socket.write(amqpFrame('transfer', { handle, delivery_id: handle, delivery_tag: Buffer.from([handle]), message_format: 0, more: true }, 0, piece));
      }
    }
    expect(conditionOf(await raw.frame('close'))).to.equal('amqp:resource-limit-exceeded');
  });
});
