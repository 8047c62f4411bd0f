/**
 * src/amqp/login-limits.ts and addressKey (src/amqp/login.ts): the per-address bounds and the
 * bcrypt check queue of SASL PLAIN logins.
 */
import { expect } from 'chai';
import { AddressLimits, CheckQueue } from '../../src/amqp/login-limits.js';
import { addressKey } from '../../src/amqp/login.js';

describe('AMQP login limits', function () {
  it('refuses an address with too many logins in progress until one ends', function () {
    const limits = new AddressLimits(2, 10);
    expect(limits.admit('a')).to.equal(undefined);
    expect(limits.admit('a')).to.equal(undefined);
    expect(limits.admit('a')).to.equal('address-busy');
    expect(limits.admit('b'), 'another address').to.equal(undefined);
    limits.release('a');
    expect(limits.admit('a')).to.equal(undefined);
  });

  it('refuses an address that used up its failures of the minute, until the minute is over', function () {
    const limits = new AddressLimits(100, 3);
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) limits.fail('a', t0 + i);
    expect(limits.admit('a', t0 + 10)).to.equal('address-failures');
    expect(limits.failing('b', t0 + 10)).to.equal(undefined);
    expect(limits.admit('a', t0 + 60_001)).to.equal(undefined);
  });

  it('runs checks with the given concurrency, in order, refuses when full and drops those whose client left', async function () {
    const queue = new CheckQueue(1, 2);
    const started: string[] = [];
    let finish: (() => void) | undefined;
    const check = (name: string, ok = true) => () => {
      started.push(name);
      return new Promise<boolean>((resolve) => (finish = () => resolve(ok)));
    };
    const live = new AbortController().signal;
    const left = new AbortController();
    const first = queue.submit(check('first'), live);
    const gone = queue.submit(check('gone'), left.signal);
    const third = queue.submit(check('third', false), live);
    expect(await queue.submit(check('full'), live)).to.equal('full');
    left.abort();
    finish?.();
    expect(await first).to.equal(true);
    expect(await gone).to.equal('dropped');
    await new Promise((r) => setImmediate(r));
    finish?.();
    expect(await third).to.equal(false);
    expect(started).to.deep.equal(['first', 'third']);
  });

  it('keys IPv4 addresses as they are and IPv6 addresses by their /64', function () {
    expect(addressKey('192.0.2.7')).to.equal('192.0.2.7');
    expect(addressKey('::ffff:192.0.2.7')).to.equal('192.0.2.7');
    expect(addressKey('2001:db8:1:2:3:4:5:6')).to.equal('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2::9')).to.equal(addressKey('2001:0db8:0001:0002:ffff::1'));
    expect(addressKey('::1')).to.equal('0:0:0:0::/64');
    expect(addressKey(undefined)).to.equal('unknown');
  });
});
