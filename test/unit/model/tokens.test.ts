/**
 * The comparison of a stored token hash with the hash of a presented token (src/model/tokens.ts
 * sameHash): equal hex hashes match; a hash that differs in one digit, in length, or is empty or
 * not hex never matches, and no input makes it throw (timingSafeEqual throws on buffers of
 * different lengths, so lengths are compared first).
 */
import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { sameHash } from '../../../src/model/tokens.js';

const hash = createHmac('sha256', 'pepper').update('dr_token').digest('hex');

describe('sameHash', function () {
  it('matches the same hex hash, in either case of its digits', function () {
    expect(sameHash(hash, hash)).to.equal(true);
    expect(sameHash(hash, hash.toUpperCase())).to.equal(true);
  });

  it('does not match a hash that differs in one digit, anywhere', function () {
    for (const at of [0, 31, hash.length - 1]) {
      const other = `${hash.slice(0, at)}${hash[at] === '0' ? '1' : '0'}${hash.slice(at + 1)}`;
      expect(sameHash(hash, other), `digit ${at}`).to.equal(false);
      expect(sameHash(other, hash), `digit ${at}`).to.equal(false);
    }
  });

  it('does not match, and does not throw for, a shorter, longer, empty or non-hex hash', function () {
    for (const other of [hash.slice(0, 32), `${hash}00`, '', 'zz', `${hash.slice(0, -2)}zz`]) {
      expect(sameHash(hash, other), JSON.stringify(other)).to.equal(false);
      expect(sameHash(other, hash), JSON.stringify(other)).to.equal(false);
    }
    expect(sameHash('', '')).to.equal(false);
  });
});
