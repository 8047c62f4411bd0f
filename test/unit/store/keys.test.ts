import { expect } from 'chai';
import { credentialField, escapeId, keys, parseKey, tenantDataKeys, unescapeId } from '../../../src/store/keys.js';

/** The hash tag Redis Cluster hashes: the text between the first `{` and the next `}`. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open === -1 || close === -1 || close === open + 1 ? key : key.slice(open + 1, close);
}

describe('store/keys', function () {
  it('leaves [A-Za-z0-9._-] alone and percent-escapes everything else as UTF-8', function () {
    expect(escapeId('DEFAULT_TENANT.4711-a')).to.equal('DEFAULT_TENANT.4711-a');
    expect(escapeId('a}b{c:d%e f*~')).to.equal('a%7Db%7Bc%3Ad%25e%20f%2A%7E');
    expect(escapeId('ü')).to.equal('%C3%BC');
  });

  it('escapes exactly the characters outside [A-Za-z0-9._-], each as the %XX of its UTF-8 bytes, at any place in the id', function () {
    const percent = (ch: string) => [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    const samples = ['', 'a', 'Z9', '.', '-', '_', ' ', '~', '%', '{', '}', ':', '/', 'ü', '日本', '😀', '\u0000', '\uD800', 'a\uDC00b', '\u007F'];
    for (const head of samples) {
      for (const tail of samples) {
        const id = `${head}x${tail}`;
        const expected = [...id].map((ch) => (/^[A-Za-z0-9._-]$/.test(ch) ? ch : percent(ch))).join('');
        expect(escapeId(id), JSON.stringify(id)).to.equal(expected);
      }
    }
  });

  it('gives every key of one tenant the same hash tag, whatever the tenant id contains', function () {
    for (const tenant of ['t1', 'a}b', '{x}', 'x:y', 'ü', '~registry']) {
      const tags = new Set([keys.tenantMarker(tenant), ...tenantDataKeys(tenant)].map(hashTag));
      expect(tags.size, tenant).to.equal(1);
      expect([...tags][0]).to.equal(escapeId(tenant));
    }
  });

  it('keeps the registry-wide keys under one tag that no tenant can share', function () {
    const tags = new Set([keys.tenants(), keys.tenantCas(), keys.caIndex(), keys.tenantsDeleting(), keys.initialised()].map(hashTag));
    expect([...tags]).to.deep.equal(['~registry']);
    expect(hashTag(keys.devices('~registry'))).to.not.equal('~registry');
  });

  it('never lets two tenants share a key', function () {
    const ids = ['a', 'a}', 'a%7D', 'a%', 'A'];
    const all = ids.flatMap((id) => [keys.tenantMarker(id), ...tenantDataKeys(id)]);
    expect(new Set(all).size).to.equal(all.length);
  });

  it('builds credential fields that cannot collide across types and auth-ids', function () {
    expect(credentialField('hashed-password', 'a:b')).to.not.equal(credentialField('hashed-password:a', 'b'));
    expect(credentialField('x509-cert', 'CN=d,O=x')).to.equal('x509-cert:CN=d,O=x');
  });

  it('classifies every key it builds, with the tenant it belongs to, and nothing else', function () {
    for (const tenant of ['t1', 'a}b', '{x}', 'x:y', 'ü', '~registry', '%41', '日本🚀']) {
      for (const key of [keys.tenantMarker(tenant), keys.deniedIndex(tenant), ...tenantDataKeys(tenant)]) expect(parseKey(key), key).to.have.property('tenant', tenant);
      expect(unescapeId(escapeId(tenant))).to.equal(tenant);
    }
    for (const key of [keys.tenants(), keys.caIndex(), keys.tenantsCreating(), keys.audit(), keys.tokenIds(), keys.token('a'.repeat(64)), keys.authFailures('127.0.0.1')]) {
      expect(parseKey(key), key).to.not.equal(undefined);
    }
    expect(parseKey(keys.session('b'.repeat(64)))).to.deep.equal({ kind: 'session' });
    for (const key of ['stray', 'devices:{a}b}', 'devices:{%zz}', 'devices:{a:b}', 'devices:{%61}', 'token:{~auth}:xyz', 'session:{~auth}:xyz', 'unknown:{t1}', 'devices:{t1}:extra', 'tenants:{~registry}:x']) {
      expect(parseKey(key), key).to.equal(undefined);
    }
  });
});
