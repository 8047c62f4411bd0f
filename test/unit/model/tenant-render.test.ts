import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { signAssertion } from '../../../src/model/assertion.js';
import { renderTenant } from '../../../src/model/tenant.js';

const now = Date.parse('2030-01-01T00:00:00Z');
const ca = (dn: string, extra: Record<string, unknown> = {}) => ({ 'subject-dn': dn, 'public-key': 'AAAA', ...extra });

describe('model/tenant renderTenant (#35)', function () {
  it('sends one CA object with both type and algorithm in the legacy profile', function () {
    const out = renderTenant({ 'tenant-id': 't', enabled: true, 'trusted-ca': ca('CN=a', { algorithm: 'EC' }) }, 'legacy', now);
    expect(out['trusted-ca']).to.deep.equal({ 'subject-dn': 'CN=a', 'public-key': 'AAAA', algorithm: 'EC', type: 'EC' });
  });

  it('sends an array of the CAs valid now, without validity bounds, in the 1.x profile', function () {
    const tenant = {
      'tenant-id': 't',
      'trusted-ca': [
        ca('CN=old', { 'not-after': '2029-01-01T00:00:00Z' }),
        ca('CN=now', { 'not-before': '2029-06-01T00:00:00Z', 'not-after': '2031-01-01T00:00:00Z', type: 'RSA' }),
      ],
    };
    expect(renderTenant(tenant, '1.x', now)['trusted-ca']).to.deep.equal([{ 'subject-dn': 'CN=now', 'public-key': 'AAAA', type: 'RSA', algorithm: 'RSA' }]);
  });

  it('leaves out the alias, the trust-anchor group, the registration limits and the CAs\' auto-provisioning internals (Hono 2.7)', function () {
    const tenant = {
      'tenant-id': 't', enabled: true, alias: 'a', 'trust-anchor-group': 'g', 'registration-limits': { 'max-devices': 1 }, 'minimum-message-size': 10,
      'trusted-ca': [ca('CN=a', { id: 'c1', 'auth-id-template': '{{subject-cn}}', 'auto-provision-as-gateway': true, 'auto-provisioning-device-id-template': 'd-{{subject-cn}}', 'ocsp-nonce-enabled': true })],
    };
    expect(renderTenant(tenant, '1.x', now)).to.deep.equal({
      'tenant-id': 't', enabled: true, 'minimum-message-size': 10,
      'trusted-ca': [{ id: 'c1', 'subject-dn': 'CN=a', 'public-key': 'AAAA', algorithm: 'RSA', 'auth-id-template': '{{subject-cn}}', 'ocsp-nonce-enabled': true }],
    });
    expect(renderTenant({ 'tenant-id': 't', alias: 'a' }, 'legacy', now)).to.deep.equal({ 'tenant-id': 't' });
    expect(renderTenant({ 'tenant-id': 't', 'trusted-ca': [] }, 'legacy', now)).to.deep.equal({ 'tenant-id': 't' });
  });

  it('leaves tenants without CAs unchanged and omits trusted-ca when no CA is valid now', function () {
    const plain = { 'tenant-id': 't', enabled: true };
    expect(renderTenant(plain, 'legacy', now)).to.equal(plain);
    const expired = { 'tenant-id': 't', 'trusted-ca': ca('CN=x', { 'not-after': '2020-01-01T00:00:00Z' }) };
    expect(renderTenant(expired, 'legacy', now)).to.not.have.property('trusted-ca');
  });
});

describe('model/assertion signAssertion (#40)', function () {
  it('signs an HS256 JWT with sub, ten and exp that verifies with the secret', function () {
    const secret = 'x'.repeat(32);
    const token = signAssertion(secret, 'DEFAULT_TENANT', '4711', 600, now);
    const [header = '', payload = '', signature] = token.split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).to.deep.equal({ alg: 'HS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).to.deep.equal({ sub: '4711', ten: 'DEFAULT_TENANT', exp: now / 1000 + 600 });
    expect(signature).to.equal(createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url'));
  });
});
