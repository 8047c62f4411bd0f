/**
 * The lean decoder of transfer frames and request messages (src/amqp/rhea-patches/lean-decoder.ts)
 * must give what rhea's own frames.read_frame and message.decode give, for every shape a client
 * can send: settle modes, multi-frame transfers, every id type, the message sections, application
 * properties of every type, and the encodings other AMQP implementations choose (list32, str32,
 * encoded booleans, uint0 …). What it does not handle it must leave to rhea, which then decodes
 * (or fails) exactly as before. The reference is an unpatched copy of rhea.
 */
import { expect } from 'chai';
import { leanClasses, leanMessage, leanTransferFrame } from '../../src/amqp/rhea-patches/lean-decoder.js';
import { installRheaPatches, loadRheaLib } from '../../src/amqp/rhea.js';
import { loadFreshRhea } from '../helpers/fresh-rhea.js';

type Decode = (buffer: Buffer) => unknown;
type Fields = Record<string, unknown>;

const freshLib = () => {
  const copy = loadFreshRhea();
  return loadRheaLib((id) => copy.load(id));
};
const reference = freshLib();
const patched = freshLib();
const rheaDecode = reference.message.decode as Decode;
const rheaReadFrame = reference.frames.read_frame as Decode;
installRheaPatches(patched);
const classes = leanClasses(patched);
const types = reference.types as Record<string, (...args: unknown[]) => unknown>;
const encode = (m: Fields) => (reference.message.encode as (m: Fields) => Buffer)(m);
const dataSection = (b: Buffer) => (reference.message.data_section as (b: Buffer) => unknown)(b);
const transferFrame = (performative: Fields, payload?: Buffer, channel = 0): Buffer => {
  const frames = reference.frames as Record<string, (...args: unknown[]) => unknown>;
  return frames.write_frame?.(frames.amqp_frame?.(channel, frames.transfer?.(performative), payload)) as Buffer;
};

const TRANSFER_FIELDS = ['handle', 'delivery_id', 'delivery_tag', 'message_format', 'settled', 'more', 'rcv_settle_mode', 'state', 'resume', 'aborted', 'batchable'];

/** A comparable picture of a decoded message: class, own keys in order, values (Buffers by content). */
function picture(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value)) return { buffer: value.toString('hex') };
  if (Array.isArray(value)) return value.map(picture);
  const object = value as Fields;
  return { class: (object.constructor as { name?: string }).name, entries: Object.keys(object).map((k) => [k, picture(object[k])]) };
}

/** A frame as its consumers see it: the frame's fields, and the performative through its getters. */
function framePicture(frame: unknown): unknown {
  if (frame === null || frame === undefined) return frame;
  const { performative, payload, ...rest } = frame as Fields & { performative?: Fields; payload?: Buffer };
  return {
    keys: Object.keys(frame as Fields),
    ...rest,
    payload: payload?.toString('hex'),
    performative: performative === undefined ? undefined : { class: String(performative.constructor), fields: TRANSFER_FIELDS.map((f) => picture(performative[f])), json: JSON.stringify(performative) },
  };
}

/** The picture of what a decode gives, or the error it throws. */
function outcome(decode: Decode, buffer: Buffer, show: (value: unknown) => unknown = picture): unknown {
  try {
    return { value: show(decode(buffer)) };
  } catch (err) {
    return { thrown: (err as Error).message };
  }
}

/** Bytes by hand, for encodings rhea does not write. */
const u8 = (...bytes: number[]) => Buffer.from(bytes);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const str8 = (s: string) => Buffer.concat([u8(0xa1, Buffer.byteLength(s)), Buffer.from(s)]);
const str32 = (s: string) => Buffer.concat([u8(0xb1), u32(Buffer.byteLength(s)), Buffer.from(s)]);
const sym8 = (s: string) => Buffer.concat([u8(0xa3, s.length), Buffer.from(s, 'latin1')]);
/** A list or map (compound) of 8- or 32-bit width: `code8` 0xc0 list, 0xc1 map; the 32-bit code is 0x10 more. */
const compound = (code8: number, wide: boolean) => (...items: Buffer[]) => {
  const body = Buffer.concat(items);
  return wide
    ? Buffer.concat([u8(code8 + 0x10), u32(body.length + 4), u32(items.length), body])
    : Buffer.concat([u8(code8, body.length + 1, items.length), body]);
};
const list8 = compound(0xc0, false);
const list32 = compound(0xc0, true);
const map8 = compound(0xc1, false);
const map32 = compound(0xc1, true);
const section = (code: number, value: Buffer) => Buffer.concat([u8(0x00, 0x53, code), value]);
const frame = (performative: Buffer, payload = Buffer.alloc(0), channel = 0, doff = 2) => {
  const header = Buffer.alloc(doff * 4);
  header.writeUInt32BE(doff * 4 + performative.length + payload.length);
  header[4] = doff;
  header[5] = 0;
  header.writeUInt16BE(channel, 6);
  return Buffer.concat([header, performative, payload]);
};
const transfer = (fields: Buffer) => Buffer.concat([u8(0x00, 0x53, 0x14), fields]);

const request = (extra: Fields = {}): Fields => ({
  message_id: 'req-1', subject: 'assert', reply_to: 'registration/DEFAULT_TENANT/reply-1', application_properties: { device_id: '4711' }, ...extra,
});

/** Messages the lean decoder reads itself. */
const handledMessages: [string, Buffer][] = [
  ['no sections', Buffer.alloc(0)],
  ['an assert as rhea encodes it', encode(request())],
  ['string correlation id, content type, JSON Data body', encode(request({ correlation_id: 'c-9', content_type: 'application/json', body: dataSection(Buffer.from('{"tenant-id":"DEFAULT_TENANT"}')) }))],
  ['numeric message id (ulong)', encode(request({ message_id: 42 }))],
  ['numeric message id of 2^53 + 1 (ulong read as bytes)', encode(request({ message_id: types.wrap_ulong?.(Buffer.from([0x00, 0x20, 0, 0, 0, 0, 0, 1])) }))],
  ['uuid message id', encode(request({ message_id: types.wrap_uuid?.(Buffer.alloc(16, 0xab)) }))],
  ['binary correlation id', encode(request({ correlation_id: types.wrap_binary?.(Buffer.from([1, 2, 3])) }))],
  ['non-ASCII strings and a 300-byte subject (str32)', encode(request({ subject: 's'.repeat(300), application_properties: { device_id: 'Gerät-日本-😀' } }))],
  ['header section', encode(request({ durable: true, priority: 7, ttl: 30_000, first_acquirer: true, delivery_count: 3 }))],
  ['every property but the timestamps', encode(request({
    user_id: Buffer.from('user'), to: 'registration/DEFAULT_TENANT', correlation_id: 'c', content_type: 'application/json', content_encoding: 'gzip',
    group_id: 'g', group_sequence: 12, reply_to_group_id: 'rg',
  }))],
  ['application properties of every primitive type', encode(request({
    application_properties: {
      device_id: 'd', gateway_id: 'g'.repeat(300), yes: true, no: false, nothing: null, int: -5, big: 2 ** 40, negative: -(2 ** 40),
      uint: types.wrap_uint?.(4_000_000_000), ubyte: types.wrap_ubyte?.(200), ushort: types.wrap_ushort?.(60_000), short: types.wrap_short?.(-30_000),
      byte: types.wrap_byte?.(-100), ulong: types.wrap_ulong?.(7), long: types.wrap_long?.(-7), symbol: types.wrap_symbol?.('sym'), binary: Buffer.from([9, 8]),
    },
  }))],
  ['message and delivery annotations', encode(request({ message_annotations: { 'x-opt-a': 'b', 'x-opt-n': 5 }, delivery_annotations: { 'x-opt-d': true } }))],
  ['an AmqpValue body of a string', encode(request({ body: 'text' }))],
  ['an AmqpValue body of null, after a Data section', Buffer.concat([section(0x75, u8(0xa0, 1, 0x41)), section(0x77, u8(0x40))])],
  ['an empty Data body', encode(request({ body: dataSection(Buffer.alloc(0)) }))],
  ['a 70 kB Data body (vbin32)', encode(request({ body: dataSection(Buffer.alloc(70_000, 0x7b)) }))],
  ['two Data sections', encode(request({ body: (reference.message.data_sections as (d: Buffer[]) => unknown)([Buffer.from('a'), Buffer.from('b')]) }))],
  ['three Data sections', encode(request({ body: (reference.message.data_sections as (d: Buffer[]) => unknown)([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]) }))],
  ['properties and application properties as list32, map32, str32 (Proton-J style)', Buffer.concat([
    section(0x73, list32(str32('id-1'), u8(0x40), u8(0x40), str32('get'), str32('tenant/reply'), u8(0x40), Buffer.concat([u8(0xb3), u32(16), Buffer.from('application/json')]))),
    section(0x74, map32(str32('tenant_id'), str32('t1'))),
    section(0x75, Buffer.concat([u8(0xb0), u32(2), Buffer.from('{}')])),
  ])],
  ['encoded booleans (0x56), uint0, smalluint, smallulong, ulong0, smallint, smalllong', Buffer.concat([
    section(0x70, list8(u8(0x56, 0x01), u8(0x50, 0x04), u8(0x43), u8(0x56, 0x00), u8(0x52, 0x02))),
    section(0x73, list8(u8(0x53, 0x07), u8(0x40), u8(0x40), str8('get'), str8('tenant/reply'), u8(0x44))),
    section(0x74, map8(str8('a'), u8(0x54, 0xff), str8('b'), u8(0x55, 0x80), str8('c'), u8(0x56, 0x01))),
  ])],
  ['a list0 header and an empty map', Buffer.concat([section(0x70, u8(0x45)), section(0x74, map8())])],
  ['a map with a key without value, a repeated key, numeric and symbol keys', section(0x74, map8(str8('a'), str8('1'), str8('a'), str8('2'), u8(0x52, 0x05), str8('n'), sym8('s'), str8('x'), str8('odd')))],
  ['a __proto__ key', section(0x74, map8(str8('__proto__'), str8('x'), str8('k'), str8('v')))],
  ['a properties list longer than the section', section(0x73, list8(str8('id'), u8(0x40), u8(0x40), u8(0x40), u8(0x40), u8(0x40), u8(0x40), u8(0x40), u8(0x40), u8(0x40), u8(0x40), u8(0x40), u8(0x40), str8('extra')))],
];

/** Messages it leaves to rhea. */
const leftToRhea: [string, Buffer][] = [
  ['an AmqpValue body of a list', encode(request({ body: ['a'] }))],
  ['an AmqpSequence body', encode(request({ body: (reference.message.sequence_section as (l: unknown[]) => unknown)(['a']) }))],
  ['a footer', encode(request({ footer: { f: 'x' } }))],
  ['timestamps (creation-time)', encode(request({ creation_time: new Date(0) }))],
  ['a double application property', encode(request({ application_properties: { d: 1.5 } }))],
  ['a list application property', encode(request({ application_properties: { l: ['a'] } }))],
  ['a map application property', encode(request({ application_properties: { m: { a: 'b' } } }))],
  ['a section with a ulong descriptor', Buffer.concat([u8(0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x73), list8(str8('id'))])],
  ['a section with a symbolic descriptor', Buffer.concat([u8(0x00), sym8('amqp:properties:list'), list8(str8('id'))])],
  ['an undescribed value', str8('loose')],
  ['an unknown section code', section(0x7f, str8('x'))],
  ['a described application property value', section(0x74, map8(str8('k'), u8(0x00, 0x53, 0x01), str8('v')))],
];

const transfers: [string, Fields, Buffer | undefined][] = [
  ['unsettled, first frame of a delivery', { handle: 0, delivery_id: 0, delivery_tag: Buffer.from([0]), message_format: 0 }, encode(request())],
  ['settled (at-most-once sender)', { handle: 1, delivery_id: 7, delivery_tag: Buffer.from('tag'), message_format: 0, settled: true }, encode(request())],
  ['explicitly unsettled', { handle: 1, delivery_id: 8, delivery_tag: Buffer.from('t'), message_format: 0, settled: false }, encode(request())],
  ['rcv-settle-mode first', { handle: 2, delivery_id: 9, delivery_tag: Buffer.from('t'), message_format: 0, rcv_settle_mode: 0 }, encode(request())],
  ['rcv-settle-mode second', { handle: 2, delivery_id: 10, delivery_tag: Buffer.from('t'), message_format: 0, rcv_settle_mode: 1 }, encode(request())],
  ['first frame of a multi-frame delivery (more)', { handle: 3, delivery_id: 11, delivery_tag: Buffer.from('m'), message_format: 0, more: true }, Buffer.alloc(3000, 1)],
  ['continuation frame (no delivery id or tag)', { handle: 3, more: true }, Buffer.alloc(3000, 2)],
  ['last frame of a multi-frame delivery', { handle: 3, more: false }, Buffer.alloc(10, 3)],
  ['resume, aborted and batchable', { handle: 4, delivery_id: 12, delivery_tag: Buffer.from('r'), message_format: 0, resume: true, aborted: false, batchable: true }, undefined],
  ['large handle, delivery id and message format', { handle: 70_000, delivery_id: 4_000_000_000, delivery_tag: Buffer.alloc(32, 5), message_format: 0x12345678 }, Buffer.from('x')],
  ['a 4 kB delivery tag', { handle: 0, delivery_id: 1, delivery_tag: Buffer.alloc(300, 6), message_format: 0 }, Buffer.from('x')],
];

const handcraftedTransfers: [string, Buffer][] = [
  ['list32 fields, uint0 handle, smalluint delivery id, boolean 0x56 flags', frame(transfer(list32(u8(0x43), u8(0x52, 0x05), u8(0xa0, 1, 9), u8(0x43), u8(0x56, 0x00), u8(0x56, 0x01))), Buffer.from('payload'))],
  ['a transfer without fields (list0)', frame(transfer(u8(0x45)))],
  ['a null state', frame(transfer(list8(u8(0x43), u8(0x43), u8(0xa0, 0), u8(0x43), u8(0x42), u8(0x42), u8(0x40), u8(0x40))), Buffer.from('p'))],
  ['an extended frame header (doff 3) on channel 7', frame(transfer(list8(u8(0x52, 2), u8(0x52, 3), u8(0xa0, 1, 1), u8(0x43))), Buffer.from('body'), 7, 3)],
];

const transfersLeftToRhea: [string, Buffer][] = [
  ['a transfer with a delivery state (received)', frame(transfer(list8(u8(0x43), u8(0x43), u8(0xa0, 1, 1), u8(0x43), u8(0x42), u8(0x42), u8(0x40), Buffer.concat([u8(0x00, 0x53, 0x23), list8(u8(0x43), u8(0x44))]))), Buffer.from('x'))],
  ['a flow frame', frame(Buffer.concat([u8(0x00, 0x53, 0x13), list8(u8(0x43), u8(0x70, 0, 0, 8, 0), u8(0x43), u8(0x70, 0, 0, 8, 0))]))],
  ['an empty frame (heartbeat)', frame(Buffer.alloc(0))],
  ['a transfer with a ulong descriptor', frame(Buffer.concat([u8(0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x14), list8(u8(0x43))]))],
  ['a SASL frame type', (() => {
    const f = frame(transfer(list8(u8(0x43))));
    f[5] = 1;
    return f;
  })()],
];

describe('lean decoder (rhea frames.read_frame and message.decode, compared)', function () {
  describe('messages it decodes itself', function () {
    for (const [name, buffer] of handledMessages) {
      it(name, function () {
        const lean = leanMessage(buffer, classes);
        expect(lean, 'decoded by the lean decoder').to.not.equal(undefined);
        expect(picture(lean)).to.deep.equal(picture(rheaDecode(buffer)));
        expect(JSON.stringify(lean)).to.equal(JSON.stringify(rheaDecode(buffer)));
      });
    }
  });

  describe('messages it leaves to rhea', function () {
    for (const [name, buffer] of leftToRhea) {
      it(name, function () {
        expect(leanMessage(buffer, classes)).to.equal(undefined);
        expect(outcome(patched.message.decode as Decode, buffer)).to.deep.equal(outcome(rheaDecode, buffer));
      });
    }
  });

  it('decodes or fails like rhea for every truncation and every corrupted byte of the messages', function () {
    this.timeout(60_000);
    for (const [, whole] of handledMessages) {
      for (let end = 0; end < Math.min(whole.length, 400); end++) {
        const cut = whole.subarray(0, end);
        expect(outcome(patched.message.decode as Decode, cut), `cut at ${end}`).to.deep.equal(outcome(rheaDecode, cut));
      }
      for (let at = 0; at < Math.min(whole.length, 200); at++) {
        const bent = Buffer.from(whole);
        bent[at] = (bent[at] as number) ^ 0x5a;
        expect(outcome(patched.message.decode as Decode, bent), `byte ${at} changed`).to.deep.equal(outcome(rheaDecode, bent));
      }
    }
  });

  describe('transfer frames it decodes itself', function () {
    const cases: [string, Buffer][] = [...transfers.map(([name, fields, payload]): [string, Buffer] => [name, transferFrame(fields, payload, 3)]), ...handcraftedTransfers];
    for (const [name, buffer] of cases) {
      it(name, function () {
        const lean = leanTransferFrame(buffer, classes);
        expect(lean, 'decoded by the lean decoder').to.not.equal(undefined);
        expect(framePicture(lean)).to.deep.equal(framePicture(rheaReadFrame(buffer)));
      });
    }
  });

  describe('frames it leaves to rhea', function () {
    for (const [name, buffer] of transfersLeftToRhea) {
      it(name, function () {
        expect(leanTransferFrame(buffer, classes)).to.equal(undefined);
        expect(outcome(patched.frames.read_frame as Decode, buffer, framePicture)).to.deep.equal(outcome(rheaReadFrame, buffer, framePicture));
      });
    }
  });

  it('reads or fails like rhea for every truncation and every corrupted byte of the transfer frames', function () {
    this.timeout(60_000);
    for (const [, fields, payload] of transfers) {
      const whole = transferFrame(fields, payload);
      for (let end = 0; end < Math.min(whole.length, 120); end++) {
        const cut = whole.subarray(0, end);
        expect(outcome(patched.frames.read_frame as Decode, cut, framePicture), `cut at ${end}`).to.deep.equal(outcome(rheaReadFrame, cut, framePicture));
      }
      for (let at = 0; at < Math.min(whole.length, 120); at++) {
        const bent = Buffer.from(whole);
        bent[at] = (bent[at] as number) ^ 0x5a;
        expect(outcome(patched.frames.read_frame as Decode, bent, framePicture), `byte ${at} changed`).to.deep.equal(outcome(rheaReadFrame, bent, framePicture));
      }
    }
  });
});
