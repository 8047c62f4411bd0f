import { expect } from 'chai';
import { decideAssert, viaList } from '../../../src/model/registration.js';

describe('model/registration decideAssert (spec §4.2)', function () {
  const gw = { enabled: true };
  it('asserts an enabled device and treats a missing enabled as enabled (#39, #42)', function () {
    expect(decideAssert({ enabled: true }, undefined, undefined)).to.deep.equal({ data: { enabled: true }, via: [] });
    expect(decideAssert({}, undefined, undefined)).to.deep.equal({ data: {}, via: [] });
  });

  it('refuses an unknown or disabled device with NOT_FOUND, even with a fine gateway (#43)', function () {
    expect(decideAssert(undefined, undefined, undefined)).to.equal('NOT_FOUND');
    expect(decideAssert({ enabled: false, via: 'gw' }, 'gw', gw)).to.equal('NOT_FOUND');
  });

  it('asserts a gateway listed in via, as string or array, and returns via as an array (#44, #45, #50)', function () {
    expect(decideAssert({ via: 'gw-1' }, 'gw-1', gw)).to.deep.include({ via: ['gw-1'] });
    expect(decideAssert({ via: ['gw-1', 'gw-7'] }, 'gw-7', gw)).to.deep.include({ via: ['gw-1', 'gw-7'] });
  });

  it('refuses a disabled, unknown or unlisted gateway and devices without via with FORBIDDEN (#46)', function () {
    expect(decideAssert({ via: 'gw-2' }, 'gw-2', { enabled: false })).to.equal('FORBIDDEN');
    expect(decideAssert({ via: 'gw-2' }, 'gw-2', undefined)).to.equal('FORBIDDEN');
    expect(decideAssert({ via: 'gw-1' }, 'gw-3', gw)).to.equal('FORBIDDEN');
    expect(decideAssert({}, 'gw-1', gw)).to.equal('FORBIDDEN');
  });

  it('lets a device connect directly although it has a via (#47)', function () {
    expect(decideAssert({ via: 'gw' }, undefined, undefined)).to.deep.include({ via: ['gw'] });
  });

  it('authorises gateways through shared groups, Hono 1.2 style (#51)', function () {
    expect(decideAssert({ viaGroups: ['g1'] }, 'gw-9', { memberOf: ['g0', 'g1'] })).to.deep.include({ via: ['gw-9'] });
    expect(decideAssert({ viaGroups: ['g1'] }, 'gw-9', { memberOf: ['g2'] })).to.equal('FORBIDDEN');
  });

  it('ignores non-string via entries', function () {
    expect(viaList({ via: ['a', 3, null] })).to.deep.equal(['a']);
  });
});
