/**
 * Credentials written through /v1 as Hono 2.x protocol adapters read them over the AMQP
 * Credentials API (1.x profile, docs/amqp-api.md §5): rpk answers as Hono 2.7's (key and algorithm
 * in the secret, never cached), bcrypt hashes of pwd-plain, x509-cert auth-ids made by the CA's
 * auth-id-template, client context against ext.
 */
import bcrypt from 'bcrypt';
import { expect } from 'chai';
import type { AmqpClient, Response } from '../../helpers/amqp-client.js';
import { createTestCa } from '../../helpers/certificates.js';
import { http } from '../../helpers/registry.js';
import { createTenant, expectAnswer, TENANT, useAmqpRegistry, type Json } from '../amqp/support.js';

const D = '4711';

function get(client: AmqpClient, query: Json, tenant = TENANT): Promise<Response> {
  return client.request(`credentials/${tenant}`, { subject: 'get', body: query });
}

describe('/v1 credentials over the AMQP Credentials API (1.x profile)', function () {
  this.timeout(30_000);
  const suite = useAmqpRegistry({ REGISTRY_HONO_API: '1.x' });
  const put = async (body: Json[], tenant = TENANT) => {
    const res = await http(suite.base, 'PUT', `/v1/credentials/${tenant}/${D}`, body);
    expect(res.status, res.text).to.equal(204);
  };

  beforeEach(async function () {
    expect((await http(suite.base, 'POST', `/registration/${TENANT}`, { 'device-id': D })).status).to.equal(201);
  });

  it('answers rpk credentials as Hono 2.7 does: key and algorithm in each secret, not cacheable', async function () {
    const ca = await createTestCa('/O=ACME/CN=ca');
    try {
      const cert = await ca.issue('/O=ACME/CN=jwt-device');
      await put([{ type: 'rpk', 'auth-id': 'sensor1', ext: { 'client-id': 'c-1' }, secrets: [{ cert: cert.der, comment: 'from a certificate' }] }]);
      const stored = (await http(suite.base, 'GET', `/credentials/${TENANT}/sensor1/rpk`)).json as Json;
      const [secret] = stored.secrets as Json[];
      const res = await get(await suite.client(), { type: 'rpk', 'auth-id': 'sensor1', 'client-id': 'c-1' });
      const body = expectAnswer(res, 200) as Json;
      expect(body).to.deep.include({ 'device-id': D, type: 'rpk', 'auth-id': 'sensor1', enabled: true });
      expect(body.secrets).to.deep.equal([secret]);
      expect(secret).to.include({ algorithm: 'EC', comment: 'from a certificate', 'not-before': new Date(cert.cert.validFrom).toISOString() });
      expect(secret?.key).to.equal(cert.cert.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
      expect(res.properties).to.include({ device_id: D, cache_control: 'no-cache' });
      // The client context is matched against ext (Hono 1.4+).
      expectAnswer(await get(await suite.client(), { type: 'rpk', 'auth-id': 'sensor1', 'client-id': 'other' }), 404);
    } finally {
      await ca.dispose();
    }
  });

  it('answers a password set with pwd-plain with a $2a$ hash that verifies it, cacheable; disabled secrets left out', async function () {
    await put([{ type: 'hashed-password', 'auth-id': 'sensor1', secrets: [{ 'pwd-plain': 'thePassword' }, { 'pwd-plain': 'old', enabled: false }] }]);
    const res = await get(await suite.client(), { type: 'hashed-password', 'auth-id': 'sensor1' });
    const [secret, ...rest] = (expectAnswer(res, 200) as Json).secrets as Json[];
    expect(rest).to.deep.equal([]);
    expect(secret?.['hash-function']).to.equal('bcrypt');
    expect(await bcrypt.compare('thePassword', String(secret?.['pwd-hash']))).to.equal(true);
    expect(res.properties.cache_control).to.match(/^max-age=\d+$/);
  });

  it('finds an x509-cert device by the auth-id its CA template made, and no longer once the set drops it', async function () {
    const ca = await createTestCa('/O=ACME/CN=Devices CA');
    try {
      const tenant = 'with-ca';
      await createTenant(suite.base, tenant, { 'trusted-ca': [{ 'subject-dn': 'CN=Devices CA,O=ACME', 'public-key': ca.publicKey, algorithm: 'EC', 'auth-id-template': '{{subject-o}}.{{subject-cn}}' }] });
      expect((await http(suite.base, 'POST', `/registration/${tenant}`, { 'device-id': D })).status).to.equal(201);
      const cert = await ca.issue('/O=ACME/CN=sensor-7');
      await put([{ type: 'x509-cert', cert: cert.der }], tenant);
      const client = await suite.client();
      const body = expectAnswer(await get(client, { type: 'x509-cert', 'auth-id': 'ACME.sensor-7' }, tenant), 200) as Json;
      expect(body).to.include({ 'device-id': D, 'auth-id': 'ACME.sensor-7' });
      await put([], tenant);
      expectAnswer(await get(client, { type: 'x509-cert', 'auth-id': 'ACME.sensor-7' }, tenant), 404);
    } finally {
      await ca.dispose();
    }
  });
});
