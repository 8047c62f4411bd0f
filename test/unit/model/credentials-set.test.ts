/**
 * The /v1 view of stored credentials and Hono 2.7's PUT semantics (patch mode) as pure functions.
 */
import { expect } from 'chai';
import { RegistryError } from '../../../src/errors.js';
import type { CredentialsRecord } from '../../../src/model/credentials.js';
import { applyCredentialsSet, credentialsView, mergeSecret, secretIds, type CredentialsInput } from '../../../src/model/credentials-set.js';

const BCRYPT = '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy';
const password = (authId: string, secrets: CredentialsRecord['secrets'], extra: Record<string, unknown> = {}): CredentialsRecord =>
  ({ 'device-id': 'd1', type: 'hashed-password', 'auth-id': authId, enabled: true, ...extra, secrets });

function counter(): () => string {
  let n = 0;
  return () => `new-${(n += 1)}`;
}

function badRequest(work: () => unknown): string {
  try {
    work();
  } catch (err) {
    expect(err).to.be.instanceOf(RegistryError);
    expect((err as RegistryError).code).to.equal('BAD_REQUEST');
    return (err as RegistryError).message;
  }
  throw new Error('expected BAD_REQUEST');
}

describe('model/credentials-set', function () {
  describe('secretIds', function () {
    it('keeps stored ids and derives ids from the position for secrets without one', function () {
      expect(secretIds([{ id: 'abc' }, {}, { id: 'xyz' }])).to.deep.equal(['abc', 'secret-1', 'xyz']);
    });

    it('derives ids for duplicated, empty or non-string stored ids, never colliding with a stored one', function () {
      expect(secretIds([{ id: 'a' }, { id: 'a' }, { id: '' }, { id: 7 }])).to.deep.equal(['secret-0', 'secret-1', 'secret-2', 'secret-3']);
      expect(secretIds([{}, { id: 'secret-0' }])).to.deep.equal(['secret-0-', 'secret-0']);
    });

    it('gives the same ids to the same record every time', function () {
      const secrets = [{ 'pwd-hash': BCRYPT, 'hash-function': 'bcrypt' }, { id: 'kept' }, {}];
      expect(secretIds(secrets)).to.deep.equal(secretIds(structuredClone(secrets)));
    });
  });

  describe('credentialsView', function () {
    it('leaves out device-id and every confidential member, and gives each secret an id', function () {
      const record = password('sensor1', [{ 'hash-function': 'sha-256', 'pwd-hash': 'aGFzaA==', salt: 'c2FsdA==', 'not-after': '2037-01-01T00:00:00Z', comment: 'c' }]);
      expect(credentialsView(record)).to.deep.equal({
        type: 'hashed-password', 'auth-id': 'sensor1', enabled: true,
        secrets: [{ id: 'secret-0', 'not-after': '2037-01-01T00:00:00Z', comment: 'c' }],
      });
    });

    it('leaves out psk and rpk keys but shows the rpk algorithm', function () {
      const psk = { 'device-id': 'd', type: 'psk', 'auth-id': 'p', enabled: false, secrets: [{ id: 's', key: 'a2V5' }] };
      const rpk = { 'device-id': 'd', type: 'rpk', 'auth-id': 'r', enabled: true, secrets: [{ id: 's', key: 'a2V5', algorithm: 'EC' }] };
      expect(credentialsView(psk)).to.deep.equal({ type: 'psk', 'auth-id': 'p', enabled: false, secrets: [{ id: 's' }] });
      expect(credentialsView(rpk)).to.deep.equal({ type: 'rpk', 'auth-id': 'r', enabled: true, secrets: [{ id: 's', algorithm: 'EC' }] });
    });

    it('shows the legacy top-level members inside ext, ext own members winning; never device-id', function () {
      const record = password('s', [{ id: 'x', 'pwd-hash': BCRYPT, 'hash-function': 'bcrypt' }], { 'client-id': 'legacy', ep: 1, ext: { 'client-id': 'ext', brand: 'b' } });
      expect(credentialsView(record)).to.deep.equal({
        type: 'hashed-password', 'auth-id': 's', enabled: true, ext: { 'client-id': 'ext', ep: 1, brand: 'b' }, secrets: [{ id: 'x' }],
      });
    });

    it('fills in enabled for a record without it and keeps a credentials comment', function () {
      const record = { 'device-id': 'd', type: 'x509-cert', 'auth-id': 'CN=a', comment: 'why', secrets: [{}] } as unknown as CredentialsRecord;
      expect(credentialsView(record)).to.deep.equal({ type: 'x509-cert', 'auth-id': 'CN=a', enabled: true, comment: 'why', secrets: [{ id: 'secret-0' }] });
    });

    it('shows records of other types as they are, with secret ids', function () {
      const record = { 'device-id': 'd', type: 'type-0', 'auth-id': 'a', enabled: true, other: [1], secrets: [{ 'field-0': 'setec astronomy', key: 'kept' }] };
      expect(credentialsView(record)).to.deep.equal({ type: 'type-0', 'auth-id': 'a', enabled: true, other: [1], secrets: [{ 'field-0': 'setec astronomy', key: 'kept', id: 'secret-0' }] });
    });
  });

  describe('mergeSecret', function () {
    const stored = { id: 'x', 'hash-function': 'sha-256', 'pwd-hash': 'aGFzaA==', salt: 'c2FsdA==', comment: 'old', 'not-before': '2020-01-01T00:00:00Z' };

    it('keeps the stored hash, salt and function of a password secret sent with its id only; the rest is what was sent', function () {
      expect(mergeSecret('hashed-password', { id: 'x', comment: 'new' }, stored)).to.deep.equal({
        id: 'x', comment: 'new', 'hash-function': 'sha-256', 'pwd-hash': 'aGFzaA==', salt: 'c2FsdA==',
      });
    });

    it('replaces the whole stored password when a new one is sent, keeping no stored salt', function () {
      expect(mergeSecret('hashed-password', { id: 'x', 'pwd-plain': 'new' }, stored)).to.deep.equal({ id: 'x', 'pwd-plain': 'new' });
      expect(mergeSecret('hashed-password', { id: 'x', 'hash-function': 'bcrypt', 'pwd-hash': BCRYPT }, stored)).to.deep.equal({ id: 'x', 'hash-function': 'bcrypt', 'pwd-hash': BCRYPT });
      expect(mergeSecret('hashed-password', { id: 'x', salt: 'b3RoZXI=' }, stored).salt).to.equal('c2FsdA==');
    });

    it('keeps a stored psk key unless a new one is sent', function () {
      expect(mergeSecret('psk', { id: 'x' }, { id: 'x', key: 'b2xk' })).to.deep.equal({ id: 'x', key: 'b2xk' });
      expect(mergeSecret('psk', { id: 'x', key: 'bmV3' }, { id: 'x', key: 'b2xk' })).to.deep.equal({ id: 'x', key: 'bmV3' });
    });

    it('keeps a stored rpk key and algorithm unless sent', function () {
      expect(mergeSecret('rpk', { id: 'x', algorithm: 'EC' }, { id: 'x', key: 'b2xk', algorithm: 'EC' })).to.deep.equal({ id: 'x', algorithm: 'EC', key: 'b2xk' });
    });

    it('keeps every stored member of another type only when the secret sent has none of its own', function () {
      const old = { id: 'x', 'field-0': 'a', comment: 'c' };
      expect(mergeSecret('type-0', { id: 'x', enabled: false }, old)).to.deep.equal({ id: 'x', enabled: false, 'field-0': 'a' });
      expect(mergeSecret('type-0', { id: 'x', 'field-1': 'b' }, old)).to.deep.equal({ id: 'x', 'field-1': 'b' });
    });
  });

  describe('applyCredentialsSet', function () {
    const stored: CredentialsRecord[] = [
      password('sensor1', [{ 'hash-function': 'bcrypt', 'pwd-hash': BCRYPT }]),
      { 'device-id': 'd1', type: 'psk', 'auth-id': 'sensor1', enabled: true, secrets: [{ id: 'k1', key: 'a2V5' }] },
    ];

    it('updates a secret named by its id and adds one without id in the same request (CMIT testUpdateCredentialsSucceeds)', function () {
      const inputs: CredentialsInput[] = [{ type: 'hashed-password', 'auth-id': 'sensor1', secrets: [{ id: 'secret-0', 'pwd-plain': 'changed', comment: 'updated' }, { 'pwd-plain': 'future' }] }];
      expect(applyCredentialsSet('d1', stored, inputs, counter())).to.deep.equal([
        { 'device-id': 'd1', type: 'hashed-password', 'auth-id': 'sensor1', enabled: true, secrets: [{ id: 'secret-0', 'pwd-plain': 'changed', comment: 'updated' }, { id: 'new-1', 'pwd-plain': 'future' }] },
      ]);
    });

    it('replaces the set: records not named are dropped, new ones added in request order with fresh secret ids', function () {
      const inputs: CredentialsInput[] = [
        { type: 'x509-cert', 'auth-id': 'CN=a', enabled: false, comment: 'c', secrets: [{}] },
        { type: 'psk', 'auth-id': 'sensor1', ext: { 'client-id': 'x' }, secrets: [{ id: 'k1', comment: 'kept' }] },
      ];
      expect(applyCredentialsSet('d1', stored, inputs, counter())).to.deep.equal([
        { 'device-id': 'd1', type: 'x509-cert', 'auth-id': 'CN=a', enabled: false, comment: 'c', secrets: [{ id: 'new-1' }] },
        { 'device-id': 'd1', type: 'psk', 'auth-id': 'sensor1', enabled: true, ext: { 'client-id': 'x' }, secrets: [{ id: 'k1', comment: 'kept', key: 'a2V5' }] },
      ]);
      expect(applyCredentialsSet('d1', stored, [], counter())).to.deep.equal([]);
    });

    it('answers BAD_REQUEST for a secret id that matches no stored secret of the same type and auth-id', function () {
      expect(badRequest(() => applyCredentialsSet('d1', stored, [{ type: 'psk', 'auth-id': 'sensor1', secrets: [{ id: 'nope' }] }], counter()))).to.match(/secret id "nope" matches no stored secret/);
      // The id exists, but under another (type, auth-id).
      expect(badRequest(() => applyCredentialsSet('d1', stored, [{ type: 'psk', 'auth-id': 'other', secrets: [{ id: 'k1' }] }], counter()))).to.match(/matches no stored secret/);
      // A device without any credentials (Hono 1.9.0 fixed accepting this).
      expect(badRequest(() => applyCredentialsSet('d1', [], [{ type: 'psk', 'auth-id': 'sensor1', secrets: [{ id: 'secret-one' }] }], counter()))).to.match(/matches no stored secret/);
    });

    it('answers BAD_REQUEST for a repeated (type, auth-id) and a secret id given twice', function () {
      const twice: CredentialsInput = { type: 'psk', 'auth-id': 'p', secrets: [{ key: 'a2V5' }] };
      expect(badRequest(() => applyCredentialsSet('d1', stored, [twice, twice], counter()))).to.match(/unique \(type, auth-id\)/);
      expect(badRequest(() => applyCredentialsSet('d1', stored, [{ type: 'psk', 'auth-id': 'sensor1', secrets: [{ id: 'k1' }, { id: 'k1' }] }], counter()))).to.match(/secret ids must be unique/);
    });
  });
});
