import { expect } from 'chai';
import {
  bcryptCost, lookupAuthId, matchesClientContext, matchesExtension, normaliseAuthId, secretProblems, toHonoBcrypt,
} from '../../../src/model/credentials.js';
import { createHash } from 'node:crypto';

const sha512 = (text: string) => createHash('sha512').update(text).digest('base64');
const BCRYPT_10 = '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';

describe('model/credentials', function () {
  describe('secretProblems', function () {
    it('accepts a sha-512 hash with salt and validity window', function () {
      const secret = { 'hash-function': 'sha-512', 'pwd-hash': sha512('x'), salt: 'aG9ubw==', 'not-before': '2017-05-01T14:00:00+01:00', 'not-after': '2037-06-01T14:00:00+01:00' };
      expect(secretProblems('hashed-password', secret, 's', 10)).to.deep.equal([]);
    });

    it('rejects a hashed-password secret without pwd-hash or hash-function', function () {
      expect(secretProblems('hashed-password', { 'hash-function': 'sha-512' }, 's', 10)[0]).to.match(/needs "pwd-hash" and "hash-function"/);
      expect(secretProblems('hashed-password', { 'pwd-hash': sha512('x') }, 's', 10)[0]).to.match(/needs/);
    });

    it('rejects a SHA hash that is not the Base64 of a digest of the right length', function () {
      expect(secretProblems('hashed-password', { 'hash-function': 'sha-256', 'pwd-hash': sha512('x') }, 's', 10)[0]).to.match(/32-byte sha-256/);
      expect(secretProblems('hashed-password', { 'hash-function': 'sha-512', 'pwd-hash': 'not base64!' }, 's', 10)).to.have.length(1);
    });

    it('rejects bcrypt hashes above the maximum cost and malformed bcrypt strings', function () {
      expect(secretProblems('hashed-password', { 'hash-function': 'bcrypt', 'pwd-hash': BCRYPT_10 }, 's', 10)).to.deep.equal([]);
      expect(secretProblems('hashed-password', { 'hash-function': 'bcrypt', 'pwd-hash': BCRYPT_10.replace('$10$', '$11$') }, 's', 10)[0]).to.match(/cost 11; the maximum is 10/);
      expect(secretProblems('hashed-password', { 'hash-function': 'bcrypt', 'pwd-hash': 'secret' }, 's', 10)[0]).to.match(/not a bcrypt hash/);
    });

    it('rejects pwd-plain next to a hash and passwords bcrypt would truncate', function () {
      expect(secretProblems('hashed-password', { 'pwd-plain': 'a', 'pwd-hash': 'b' }, 's', 10)[0]).to.match(/cannot be combined/);
      expect(secretProblems('hashed-password', { 'pwd-plain': 'é'.repeat(37) }, 's', 10)[0]).to.match(/longer than 72 bytes/);
      expect(secretProblems('hashed-password', { 'pwd-plain': 'é'.repeat(36) }, 's', 10)).to.deep.equal([]);
    });

    it('rejects a validity window whose start is not before its end', function () {
      const secret = { 'not-before': '2030-01-01T00:00:00Z', 'not-after': '2030-01-01T01:00:00+01:00' };
      expect(secretProblems('x509-cert', secret, 's', 10)[0]).to.match(/not-before must be earlier/);
    });

    it('requires a Base64 key for psk secrets', function () {
      expect(secretProblems('psk', {}, 's', 10)[0]).to.match(/needs a "key"/);
      expect(secretProblems('psk', { key: 'VGhlU2hhcmVkS2V5' }, 's', 10)).to.deep.equal([]);
    });
  });

  it('reads the cost of a bcrypt hash and rewrites $2b$/$2y$ to $2a$', function () {
    expect(bcryptCost(BCRYPT_10)).to.equal(10);
    expect(bcryptCost('$2a$1$x')).to.equal(undefined);
    expect(toHonoBcrypt(BCRYPT_10.replace('$2a$', '$2b$'))).to.equal(BCRYPT_10);
    expect(toHonoBcrypt(BCRYPT_10)).to.equal(BCRYPT_10);
  });

  it('normalises x509-cert auth-ids to the RFC 2253 form and leaves other types alone', function () {
    expect(normaliseAuthId('x509-cert', 'CN=device-1, O=ACME Corporation')).to.equal('CN=device-1,O=ACME Corporation');
    expect(normaliseAuthId('hashed-password', 'CN=a, O=b')).to.equal('CN=a, O=b');
    expect(() => normaliseAuthId('x509-cert', 'not a DN')).to.throw();
    expect(lookupAuthId('x509-cert', 'not a DN')).to.equal('not a DN');
  });

  it('matches a client context only when every member equals a top-level string of the record (§5.2, #58)', function () {
    const record = { 'device-id': 'gw-1', 'client-id': 'gateway-one' };
    expect(matchesClientContext(record, {})).to.equal(true);
    expect(matchesClientContext(record, { 'client-id': 'gateway-one' })).to.equal(true);
    expect(matchesClientContext(record, { 'client-id': 'gateway-two' })).to.equal(false);
    expect(matchesClientContext(record, { other: 'x' })).to.equal(false);
  });

  it('matches a client context against the record\'s ext only, ignoring members ext lacks (Hono 1.4+, §5.2)', function () {
    const record = { 'device-id': 'gw-1', 'client-id': 'top-level', ext: { 'client-id': 'gateway-one', zone: { id: 1 } } };
    expect(matchesExtension(record, {})).to.equal(true);
    expect(matchesExtension(record, { 'client-id': 'gateway-one' })).to.equal(true);
    expect(matchesExtension(record, { 'client-id': 'gateway-one', other: 'x', none: null })).to.equal(true);
    expect(matchesExtension(record, { zone: { id: 1 } })).to.equal(true);
    expect(matchesExtension(record, { zone: { id: 2 } })).to.equal(false);
    expect(matchesExtension(record, { 'client-id': 'top-level' })).to.equal(false);
    expect(matchesExtension({ 'device-id': 'd' }, { 'client-id': 'anything' })).to.equal(true);
    expect(matchesExtension({ 'device-id': 'd', ext: 'not an object' }, { 'client-id': 'anything' })).to.equal(true);
  });

  it('matches the context of a whole query, leaving out the members named as the query\'s own, strictly and against ext', function () {
    const record = { 'device-id': 'gw-1', type: 'psk', 'client-id': 'gateway-one' };
    const own = new Set(['type', 'auth-id']);
    expect(matchesClientContext(record, { type: 'psk', 'auth-id': 'gw', 'client-id': 'gateway-one' }, own)).to.equal(true);
    expect(matchesClientContext(record, { type: 'psk', 'auth-id': 'gw', 'client-id': 'gateway-two' }, own)).to.equal(false);
    expect(matchesClientContext(record, { type: 'psk', 'auth-id': 'gw' }, own)).to.equal(true);
    expect(matchesClientContext(record, { 'auth-id': 'gw' })).to.equal(false);
    const extended = { ...record, ext: { type: 'other', 'client-id': 'gateway-one' } };
    expect(matchesExtension(extended, { type: 'psk', 'auth-id': 'gw', 'client-id': 'gateway-one' }, own)).to.equal(true);
    expect(matchesExtension(extended, { type: 'psk', 'auth-id': 'gw', 'client-id': 'gateway-two' }, own)).to.equal(false);
  });
});
