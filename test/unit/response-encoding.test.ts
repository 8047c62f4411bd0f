/**
 * encodeResponse() writes the AMQP response message directly (src/amqp/message.ts): it must give
 * exactly the bytes rhea's message.encode gives for responseMessage(), for every answer shape and
 * every correlation id, including the 8/32-bit length boundaries of strings and binaries.
 */
import { expect } from 'chai';
import type { Message } from 'rhea';
import { encodeResponse, responseMessage, type Answer } from '../../src/amqp/message.js';
import { message as rheaMessage, types } from '../../src/amqp/rhea.js';

const encode = (m: Message): Buffer => (rheaMessage as unknown as { encode(x: Message): Buffer }).encode(m);

const ID = '2f1c7c5e-8a0b-4f5e-9c1d-3b2a1f0e9d8c';

const requests: [string, Message][] = [
  ['string message-id', { message_id: 'req-1' } as Message],
  ['string correlation-id wins over message-id', { message_id: 'x', correlation_id: 'corr-7' } as Message],
  ['non-ASCII id', { message_id: 'Gerät-ü-日本' } as Message],
  ['255-byte id', { message_id: 'i'.repeat(255) } as Message],
  ['256-byte id', { message_id: 'i'.repeat(256) } as Message],
  ['numeric id (through rhea)', { message_id: 7 } as Message],
  ['large numeric id (through rhea)', { message_id: 2 ** 40 } as Message],
  ['binary id (through rhea)', { message_id: Buffer.from([1, 2, 3]) } as unknown as Message],
  ['uuid id (through rhea)', { message_id: types.wrap_uuid(Buffer.alloc(16, 7)) } as unknown as Message],
];

const json = (n: number) => JSON.stringify({ a: 'x'.repeat(Math.max(0, n - 8)) }).slice(0, n);
const answers: [string, Answer][] = [
  ['status only', { status: 404 }],
  ['JSON body', { status: 200, json: '{"enabled":true}' }],
  ['every property', { status: 200, json: '{"device-id":"d"}', tenantId: 'DEFAULT_TENANT', deviceId: 'dev-1', cacheControl: 'max-age=180' }],
  ['tenant only', { status: 403, tenantId: 't' }],
  ['device only', { status: 200, deviceId: 'd' }],
  ['text (1.x)', { status: 400, text: 'the body needs a string tenant-id', tenantId: 'Mandant-ä' }],
  ['255-byte body', { status: 200, json: json(255) }],
  ['256-byte body', { status: 200, json: json(256) }],
  ['70 kB body', { status: 200, json: json(70_000) }],
  ['empty JSON text', { status: 200, json: '' }],
  ['256-byte property value', { status: 200, tenantId: 't'.repeat(256), deviceId: 'd'.repeat(255) }],
  ['5xx', { status: 503 }],
];

describe('response encoding (encodeResponse = rhea message.encode of responseMessage)', function () {
  for (const [requestName, request] of requests) {
    for (const [answerName, answer] of answers) {
      it(`${requestName}, ${answerName}`, function () {
        const direct = encodeResponse(request, answer, ID);
        const viaRhea = encode(responseMessage(request, answer, ID));
        expect(direct.toString('hex')).to.equal(viaRhea.toString('hex'));
      });
    }
  }

  it('gives each answer its own message id: a UUID string, the same bytes rhea writes for it', function () {
    const decode = (b: Buffer) => (rheaMessage as unknown as { decode(b: Buffer): Message }).decode(b);
    const ids = new Set<string>();
    for (const [requestName, request] of requests) {
      for (const [answerName, answer] of answers.slice(0, 4)) {
        const direct = encodeResponse(request, answer);
        const id = decode(direct).message_id as string;
        expect(id, `${requestName}, ${answerName}`).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(direct.toString('hex')).to.equal(encode(responseMessage(request, answer, id)).toString('hex'));
        ids.add(id);
      }
    }
    expect(ids.size).to.equal(requests.length * 4);
  });

  it('decodes (rhea) to the same message: ids, status as int, properties and body', function () {
    const decoded = (rheaMessage as unknown as { decode(b: Buffer): Message }).decode(encodeResponse({ message_id: 'req-9' } as Message, { status: 200, json: '{"a":1}', tenantId: 't', cacheControl: 'max-age=60' }));
    expect(decoded.correlation_id).to.equal('req-9');
    expect(decoded.message_id).to.be.a('string').with.length(36);
    expect(decoded.content_type).to.equal('application/json');
    expect(decoded.application_properties).to.deep.equal({ status: 200, tenant_id: 't', cache_control: 'max-age=60' });
    expect(Buffer.from((decoded.body as { content: Buffer }).content).toString()).to.equal('{"a":1}');
  });
});
