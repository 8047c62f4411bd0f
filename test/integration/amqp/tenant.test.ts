/**
 * Tenant API over real AMQP listeners and real Redis (docs/amqp-api.md §3, §11 C).
 */
import { expect } from 'chai';
import { createTestCa } from '../../helpers/certificates.js';
import { http } from '../../helpers/registry.js';
import { createTenant, expectAnswer, expectRejected, publicKey, TENANT, useAmqpRegistry, type Json } from './support.js';

describe('AMQP Tenant API', function () {
  this.timeout(20_000);
  const suite = useAmqpRegistry();

  const get = async (body: Json | undefined, applicationProperties?: Json) =>
    (await suite.client()).request('tenant', { subject: 'get', ...(body === undefined ? {} : { body }), ...(applicationProperties === undefined ? {} : { applicationProperties }) });

  it('gets a tenant by id with tenant_id, cache_control and all stored members', async function () {
    await createTenant(suite.base, 'acme', { plan: 'gold', defaults: { ttl: 30 } });
    const res = await get({ 'tenant-id': 'acme' });
    const body = expectAnswer(res, 200) as Json;
    expect(body).to.include({ 'tenant-id': 'acme', enabled: true, plan: 'gold' });
    expect(body.defaults).to.deep.equal({ ttl: 30 });
    expect(res.properties.tenant_id).to.equal('acme');
    expect(res.properties.cache_control).to.equal('max-age=180');
    expect(res.contentType).to.equal('application/json');
  });

  it('echoes the request message-id as correlation-id, or the correlation-id when one is set', async function () {
    const client = await suite.client();
    const byMessageId = await client.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT }, messageId: 'tenant-client-1' });
    expect(byMessageId.correlationId).to.equal('tenant-client-1');
    const byCorrelationId = await client.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT }, messageId: 'tenant-client-2', correlationId: 'corr-2' });
    expect(byCorrelationId.correlationId).to.equal('corr-2');
    expectAnswer(byCorrelationId, 200);
  });

  it('returns a disabled tenant with 200 and enabled:false', async function () {
    await createTenant(suite.base, 'off', { enabled: false });
    expect(expectAnswer(await get({ 'tenant-id': 'off' }), 200)).to.include({ 'tenant-id': 'off', enabled: false });
  });

  it('answers 404 without body for an unknown tenant', async function () {
    const res = await get({ 'tenant-id': 'nope' });
    expectAnswer(res, 404);
    expect(res.body).to.equal(undefined);
  });

  it('gets a tenant by the deprecated tenant_id application property (the body is ignored)', async function () {
    await createTenant(suite.base, 'legacy-t', { plan: 'x' });
    const res = await get(undefined, { tenant_id: 'legacy-t' });
    expect(expectAnswer(res, 200)).to.include({ 'tenant-id': 'legacy-t', plan: 'x' });
    expect(res.properties.tenant_id).to.equal('legacy-t');
    expect(expectAnswer(await get({ 'tenant-id': 'nope' }, { tenant_id: 'legacy-t' }), 200)).to.include({ 'tenant-id': 'legacy-t' });
    expectAnswer(await get(undefined, { tenant_id: 'nope' }), 404);
  });

  describe('by trusted CA subject DN', function () {
    beforeEach(async function () {
      await createTenant(suite.base, 'ca-tenant', { 'trusted-ca': { 'subject-dn': 'CN=ca,OU=Hono,O=Eclipse', 'public-key': publicKey(), type: 'EC' } });
    });

    for (const dn of ['CN=ca,OU=Hono,O=Eclipse', 'CN=ca, OU=Hono, O=Eclipse', 'cn=ca,ou=Hono,o=Eclipse', ' CN = ca , OU = Hono , O = Eclipse ', 'CN=CA,OU=HONO,O=ECLIPSE']) {
      it(`finds the tenant by ${JSON.stringify(dn)}`, async function () {
        const res = await get({ 'subject-dn': dn });
        const body = expectAnswer(res, 200) as Json;
        expect(body['tenant-id']).to.equal('ca-tenant');
        expect(res.properties.tenant_id).to.equal('ca-tenant');
        expect(body['trusted-ca']).to.be.an('object').that.includes({ 'subject-dn': 'CN=ca,OU=Hono,O=Eclipse' });
      });
    }

    it('answers 404 for an unknown DN and 400 for an unparsable one', async function () {
      expectAnswer(await get({ 'subject-dn': 'CN=other,O=Eclipse' }), 404);
      expectAnswer(await get({ 'subject-dn': 'this is no DN' }), 400);
    });

    it('prefers tenant-id when both keys are given', async function () {
      expect(expectAnswer(await get({ 'tenant-id': TENANT, 'subject-dn': 'CN=ca,OU=Hono,O=Eclipse' }), 200)).to.include({ 'tenant-id': TENANT });
    });
  });

  it('answers 400 to a get without body, with an empty object, or with a non-string tenant-id', async function () {
    expectAnswer(await get(undefined), 400);
    expectAnswer(await get({}), 400);
    expectAnswer(await get({ 'tenant-id': 42 }), 400);
  });

  it('answers 400 to an unknown subject instead of rejecting it', async function () {
    const client = await suite.client();
    expectAnswer(await client.request('tenant', { subject: 'frobnicate', body: { 'tenant-id': TENANT } }), 400);
  });

  it('rejects formally invalid requests with hono:bad-request', async function () {
    const client = await suite.client();
    expectRejected(await client.request('tenant', { body: { 'tenant-id': TENANT } }));
    expectRejected(await client.request('tenant', { subject: 'get', body: 'amqp-value' }));
    expectRejected(await client.request('tenant', { subject: 'get', body: Buffer.from('not json') }));
    expectRejected(await client.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT }, messageId: null }));
    // the link still works afterwards (credit was returned)
    expectAnswer(await client.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT } }), 200);
  });

  it('rejects a request whose reply-to has no link with amqp:illegal-state', async function () {
    const client = await suite.client();
    expectRejected(await client.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT }, replyTo: 'tenant/nobody-listens' }), 'amqp:illegal-state');
  });

  it('rejects a request whose reply-to is a reply link of another connection', async function () {
    const client = await suite.client();
    const other = await (await suite.client()).link('tenant');
    expectRejected(await client.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT }, replyTo: other.replyAddress }), 'amqp:illegal-state');
    expectAnswer(await other.request({ subject: 'get', body: { 'tenant-id': TENANT } }), 200);
  });

  it('rejects a body above REGISTRY_AMQP_MAX_MESSAGE_SIZE (multi-frame transfer) and keeps the link usable', async function () {
    const client = await suite.client();
    expectRejected(await client.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT, pad: 'x'.repeat(70_000) } }));
    expectAnswer(await client.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT, pad: 'x'.repeat(40_000) } }), 200);
  });

  it('echoes numeric message ids as numbers', async function () {
    const res = await (await suite.client()).request('tenant', { subject: 'get', body: { 'tenant-id': TENANT }, messageId: 42 });
    expect(res.correlationId).to.equal(42);
    expectAnswer(res, 200);
  });

  it('adds, updates and removes tenants through the management operations', async function () {
    const client = await suite.client();
    const manage = (subject: string, tenantId: string | undefined, body?: Json) =>
      client.request('tenant', { subject, ...(tenantId === undefined ? {} : { applicationProperties: { tenant_id: tenantId } }), ...(body === undefined ? {} : { body }) });
    expectAnswer(await manage('add', 'mgmt', { adapters: [{ type: 'hono-http' }] }), 201);
    expectAnswer(await manage('add', 'mgmt', {}), 409);
    expectAnswer(await manage('add', 'bad', { adapters: [] }), 400);
    expectAnswer(await manage('add', undefined, {}), 400);
    const body = expectAnswer(await get({ 'tenant-id': 'mgmt' }), 200) as Json;
    expect(body.adapters).to.deep.equal([{ type: 'hono-http', enabled: true, 'device-authentication-required': true }]);
    expectAnswer(await manage('update', 'mgmt', { enabled: false }), 204);
    expect(expectAnswer(await get({ 'tenant-id': 'mgmt' }), 200)).to.include({ enabled: false });
    expectAnswer(await manage('update', 'unknown', {}), 404);
    expectAnswer(await manage('remove', 'mgmt'), 204);
    expectAnswer(await get({ 'tenant-id': 'mgmt' }), 404);
    expect((await http(suite.base, 'GET', '/tenant/mgmt')).status).to.equal(404);
  });

  it('sees a tenant deleted over HTTP on the very next request', async function () {
    await createTenant(suite.base, 'short-lived');
    const client = await suite.client();
    expectAnswer(await client.request('tenant', { subject: 'get', body: { 'tenant-id': 'short-lived' } }), 200);
    expect((await http(suite.base, 'DELETE', '/tenant/short-lived')).status).to.equal(204);
    expectAnswer(await client.request('tenant', { subject: 'get', body: { 'tenant-id': 'short-lived' } }), 404);
  });

  describe('Hono 2.7: alias and trust-anchor groups', function () {
    it('finds a tenant by its alias under tenant-id, answering with its id; an id wins over an alias (#73)', async function () {
      await createTenant(suite.base, 'acme-id', { alias: 'acme', plan: 'gold' });
      const res = await get({ 'tenant-id': 'acme' });
      const body = expectAnswer(res, 200) as Json;
      expect(body).to.include({ 'tenant-id': 'acme-id', plan: 'gold' }).and.not.have.property('alias');
      expect(res.properties.tenant_id).to.equal('acme-id');
      await createTenant(suite.base, 'acme', { plan: 'own' });
      expect(expectAnswer(await get({ 'tenant-id': 'acme' }), 200)).to.include({ 'tenant-id': 'acme', plan: 'own' });
      // The deprecated property form names an id only.
      expectAnswer(await get(undefined, { tenant_id: 'nothing-here' }), 404);
    });

    it('answers 404 by a subject DN that tenants of one trust-anchor group share, and 200 once one tenant has it (#74)', async function () {
      const ca = { 'subject-dn': 'CN=shared,O=Eclipse', 'public-key': publicKey(), algorithm: 'EC' };
      await createTenant(suite.base, 'g1', { 'trust-anchor-group': 'g', 'trusted-ca': ca });
      await createTenant(suite.base, 'g2', { 'trust-anchor-group': 'g', 'trusted-ca': ca });
      expectAnswer(await get({ 'subject-dn': 'CN=shared,O=Eclipse' }), 404);
      expect((await http(suite.base, 'DELETE', '/tenant/g2')).status).to.equal(204);
      const body = expectAnswer(await get({ 'subject-dn': 'CN=shared,O=Eclipse' }), 200) as Json;
      expect(body).to.include({ 'tenant-id': 'g1' }).and.not.have.property('trust-anchor-group');
    });
  });

  describe('Hono 2.7 tenant fields in the 1.x profile', function () {
    const oneX = useAmqpRegistry({ REGISTRY_HONO_API: '1.x' });

    it('carries the 2.7 fields as Hono does: CA ids, templates and OCSP fields, resource limits with max-ttl-*; not the alias, group, limits or validity (#75)', async function () {
      const ca = {
        id: 'ca-1', 'subject-dn': 'CN=ca,O=Eclipse', 'public-key': publicKey(), algorithm: 'EC', 'subject-dn-bytes': 'MAA=',
        'not-before': '2020-01-01T00:00:00Z', 'not-after': '2099-01-01T00:00:00Z', 'auth-id-template': '{{subject-cn}}',
        'auto-provisioning-enabled': true, 'auto-provision-as-gateway': true, 'auto-provisioning-device-id-template': 'dev-{{subject-cn}}',
        'ocsp-revocation-enabled': false, 'ocsp-responder-uri': 'http://ocsp.example.com', 'ocsp-nonce-enabled': true,
      };
      const limits = { 'max-connections': 10, 'max-ttl': 60, 'max-ttl-telemetry-qos0': 5, 'max-ttl-telemetry-qos1': 15, 'max-ttl-command-response': 20 };
      await createTenant(oneX.base, 'full', {
        alias: 'full-alias', 'trust-anchor-group': 'g', 'registration-limits': { 'max-devices': 5 }, 'resource-limits': limits,
        tracing: { 'sampling-mode': 'all' }, 'minimum-message-size': 1024, defaults: { 'ttl-telemetry-qos0': 3 }, ext: { 'messaging-type': 'amqp' }, 'trusted-ca': [ca],
      });
      const client = await oneX.client();
      const body = expectAnswer(await client.request('tenant', { subject: 'get', body: { 'tenant-id': 'full-alias' } }), 200) as Json;
      const { 'not-before': _from, 'not-after': _until, 'auto-provision-as-gateway': _gateway, 'auto-provisioning-device-id-template': _template, ...sent } = ca;
      expect(body).to.deep.equal({
        'tenant-id': 'full', enabled: true, 'resource-limits': limits, tracing: { 'sampling-mode': 'all' }, 'minimum-message-size': 1024,
        defaults: { 'ttl-telemetry-qos0': 3 }, ext: { 'messaging-type': 'amqp' }, 'trusted-ca': [sent],
      });
    });

    it('sends a CA the legacy face was given with a cert (no public key) with the subject DN, public key and algorithm it holds, as Hono stores it, and finds it by that DN', async function () {
      const root = await createTestCa('/O=Eclipse/CN=root');
      try {
        const { der, cert } = await root.issue('/O=Eclipse/OU=Hono/CN=cert-ca');
        await createTenant(oneX.base, 'by-cert', { 'trusted-ca': { 'subject-dn': 'cn=cert-ca, ou=Hono, o=Eclipse', cert: der } });
        const client = await oneX.client();
        const body = expectAnswer(await client.request('tenant', { subject: 'get', body: { 'tenant-id': 'by-cert' } }), 200) as Json;
        const [ca] = body['trusted-ca'] as Json[];
        expect(ca).to.include({ 'subject-dn': 'CN=cert-ca,OU=Hono,O=Eclipse', 'public-key': cert.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), algorithm: 'EC' });
        expect(ca).to.not.have.property('cert');
        const byDn = await client.request('tenant', { subject: 'get', body: { 'subject-dn': 'CN=cert-ca,OU=Hono,O=Eclipse' } });
        expect(expectAnswer(byDn, 200)).to.include({ 'tenant-id': 'by-cert' });
        // The legacy face shows what is stored, which it takes back as it is.
        const shown = (await http(oneX.base, 'GET', '/tenant/by-cert')).json as Json;
        expect(shown['trusted-ca']).to.include({ 'public-key': ca?.['public-key'], 'not-after': new Date(cert.validTo).toISOString().replace('.000Z', 'Z') });
        expect((await http(oneX.base, 'PUT', '/tenant/by-cert', shown)).status).to.equal(204);
      } finally {
        await root.dispose();
      }
    });
  });
});
