/**
 * Ids in application properties and link addresses (issue 12, item 3): `tenant_id`, `device_id`
 * and `gateway_id` follow the id rule of every body (schemas/common.json: 1–256 characters, no
 * control characters). A malformed one makes the request formally invalid: rejected with
 * `hono:bad-request` (docs/amqp-api.md §2.5, #23; Hono clients report 400), and nothing is stored.
 */
import { expect } from 'chai';
import { expectAnswer, expectRejected, failure, registerDevice, TENANT, useAmqpRegistry, ADAPTER_AND_ADMIN, ADMIN_USER } from './support.js';

const REG = `registration/${TENANT}`;
const DC = `device_con/${TENANT}`;
const BAD_IDS: Record<string, string> = {
  '257 characters': 'x'.repeat(257),
  '60,000 characters': 'x'.repeat(60_000),
  'a control character': 'dev\u0001ice',
  'DEL': 'dev\u007Fice',
  'a line feed': 'dev\nice',
};

describe('AMQP ids in application properties and addresses', function () {
  this.timeout(30_000);
  const suite = useAmqpRegistry({}, { accounts: ADAPTER_AND_ADMIN });

  for (const [what, bad] of Object.entries(BAD_IDS)) {
    it(`rejects device_id, gateway_id and tenant_id of ${what} with hono:bad-request and stores nothing`, async function () {
      await registerDevice(suite.base, TENANT, 'device-1');
      const client = await suite.client({ username: ADMIN_USER });
      expectRejected(await client.request(REG, { subject: 'assert', applicationProperties: { device_id: bad } }));
      expectRejected(await client.request(REG, { subject: 'assert', applicationProperties: { device_id: 'device-1', gateway_id: bad } }));
      expectRejected(await client.request(DC, { subject: 'set-last-gw', applicationProperties: { device_id: 'device-1', gateway_id: bad } }));
      expectRejected(await client.request(DC, { subject: 'set-last-gw', applicationProperties: { device_id: bad, gateway_id: 'gw' } }));
      expectRejected(await client.request(DC, { subject: 'get-last-gw', applicationProperties: { device_id: bad } }));
      expectRejected(await client.request('tenant', { subject: 'get', applicationProperties: { tenant_id: bad } }));
      expectRejected(await client.request('tenant', { subject: 'add', applicationProperties: { tenant_id: bad } }));
      expectAnswer(await client.request(DC, { subject: 'get-last-gw', applicationProperties: { device_id: 'device-1' } }), 404);
    });
  }

  it('accepts ids of 256 characters, the longest allowed', async function () {
    const longest = 'd'.repeat(256);
    await registerDevice(suite.base, TENANT, longest);
    const client = await suite.client();
    expect(expectAnswer(await client.request(REG, { subject: 'assert', applicationProperties: { device_id: longest } }), 200)).to.include({ 'device-id': longest });
    expectAnswer(await client.request(DC, { subject: 'set-last-gw', applicationProperties: { device_id: longest, gateway_id: longest } }), 204);
    expect(expectAnswer(await client.request(DC, { subject: 'get-last-gw', applicationProperties: { device_id: longest } }), 200)).to.include({ 'gateway-id': longest });
  });

  it('rejects a gateway_id that is not a string on set-last-gw, and answers 400 when it is missing', async function () {
    const client = await suite.client();
    expectRejected(await client.request(DC, { subject: 'set-last-gw', applicationProperties: { device_id: 'd', gateway_id: 42 } }));
    expectAnswer(await client.request(DC, { subject: 'set-last-gw', applicationProperties: { device_id: 'd' } }), 400);
    const errors = suite.registry.logs.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });

  it('refuses a request link whose target names an invalid tenant id with amqp:invalid-field', async function () {
    const client = await suite.client();
    for (const tenant of ['t'.repeat(257), 'ten\u0001ant']) {
      expect((await failure(client.link(`registration/${tenant}`))).condition).to.equal('amqp:invalid-field');
    }
  });
});
