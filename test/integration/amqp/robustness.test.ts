/**
 * The AMQP server under parallel load and with clients that go away mid-request
 * (docs/amqp-api.md §2.2, #6, #14, §14.13, §14.15).
 */
import { expect } from 'chai';
import { openClient, type AmqpClient, type Response } from '../../helpers/amqp-client.js';
import { eventually } from '../../helpers/eventually.js';
import { ADAPTER_USER, adapterPassword, addCredentials, expectAnswer, registerDevice, TENANT, useAmqpRegistry, type Json } from './support.js';

const REG = `registration/${TENANT}`;
const CRED = `credentials/${TENANT}`;

describe('AMQP robustness', function () {
  this.timeout(60_000);
  const suite = useAmqpRegistry();
  const open = () => openClient({ port: suite.port, username: ADAPTER_USER, password: adapterPassword(suite.registry) });

  async function seed(devices: number): Promise<void> {
    for (let i = 0; i < devices; i++) {
      await registerDevice(suite.base, TENANT, `dev-${i}`);
      await addCredentials(suite.base, TENANT, { 'device-id': `dev-${i}`, type: 'psk', 'auth-id': `psk-${i}`, secrets: [{ key: 'c2VjcmV0S2V5' }] });
    }
  }

  /** Kind k (0 tenant, 1 registration, 2 credentials) of request i, with a check of its answer. */
  function requestOf(client: AmqpClient, kind: number, i: number): Promise<void> {
    const n = i % 10;
    if (kind === 0) {
      return client.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT } }).then((res) => {
        expect(expectAnswer(res, 200)).to.include({ 'tenant-id': TENANT });
      });
    }
    if (kind === 1) {
      return client.request(REG, { subject: 'assert', applicationProperties: { device_id: `dev-${n}` } }).then((res) => {
        expect(expectAnswer(res, 200)).to.include({ 'device-id': `dev-${n}` });
        expect(res.properties.device_id).to.equal(`dev-${n}`);
      });
    }
    return client.request(CRED, { subject: 'get', body: { type: 'psk', 'auth-id': `psk-${n}` } }).then((res) => {
      expect(expectAnswer(res, 200)).to.include({ 'auth-id': `psk-${n}`, 'device-id': `dev-${n}` });
    });
  }

  it('answers 2,000 requests from 20 connections × 3 link pairs in parallel', async function () {
    await seed(10);
    const clients = await Promise.all(Array.from({ length: 20 }, () => suite.client()));
    // open all 60 link pairs first, then fire every request at once
    await Promise.all(clients.flatMap((c) => [c.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT } }), c.request(REG, { subject: 'assert', applicationProperties: { device_id: 'dev-0' } }), c.request(CRED, { subject: 'get', body: { type: 'psk', 'auth-id': 'psk-0' } })]));
    const work: Promise<void>[] = [];
    for (let i = 0; i < 2000; i++) {
      const client = clients[i % 20] as AmqpClient;
      work.push(requestOf(client, Math.floor(i / 20) % 3, i));
    }
    const outcomes = await Promise.allSettled(work);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failed.length, failed.slice(0, 3).map((f) => String(f.reason)).join('\n')).to.equal(0);
    for (const c of clients) expect(c.unmatchedResponses).to.equal(0);
  });

  it('stays healthy when clients close or drop their connection with requests in flight', async function () {
    await seed(10);
    for (const mode of ['close', 'abort'] as const) {
      const leaving = suite.track(await open());
      await Promise.all([0, 1, 2].map((kind) => requestOf(leaving, kind, 0))); // all three link pairs open
      const inFlight = Array.from({ length: 60 }, (_, i) => requestOf(leaving, i % 3, i).then(() => 'answered', () => 'failed'));
      if (mode === 'close') await leaving.close();
      else leaving.abort();
      const settled = await Promise.all(inFlight);
      expect(settled.every((s) => s === 'answered' || s === 'failed')).to.equal(true);
      const next = await suite.client();
      await Promise.all(Array.from({ length: 30 }, (_, i) => requestOf(next, i % 3, i)));
    }
    const errors = suite.registry.logs.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });

  /** Opens a link pair on the reply address, trying again while the registry has not yet noticed a dropped connection. */
  function linkWhenFree(client: AmqpClient, replyAddress: string) {
    return eventually(`the reply address ${replyAddress} being free`, () => client.link(REG, { replyAddress }), (err) => (err as { condition?: string }).condition === 'amqp:illegal-state');
  }

  for (const mode of ['close', 'abort'] as const) {
    it(`frees reply addresses when a connection ends (${mode}), also with requests in flight (#14)`, async function () {
      await seed(10);
      const replyAddress = `${REG}/reused-${mode}`;
      for (let round = 0; round < 5; round++) {
        const client = suite.track(await open());
        const link = await linkWhenFree(client, replyAddress);
        expectAnswer(await link.request({ subject: 'assert', applicationProperties: { device_id: 'dev-1' } }), 200);
        const inFlight = Array.from({ length: 20 }, (_, i) => link.request({ subject: 'assert', applicationProperties: { device_id: `dev-${i % 10}` } }).catch(() => undefined));
        if (mode === 'close') await client.close();
        else client.abort();
        await Promise.all(inFlight);
      }
      // a reply link closed on its own frees the address too
      const client = await suite.client();
      const first = await linkWhenFree(client, replyAddress);
      await first.close();
      const again = await client.link(REG, { replyAddress });
      const res: Response = await again.request({ subject: 'assert', applicationProperties: { device_id: 'dev-2' } });
      expect(expectAnswer(res, 200) as Json).to.include({ 'device-id': 'dev-2' });
      expect(client.unmatchedResponses, 'answers meant for an earlier connection').to.equal(0);
    });
  }
});
