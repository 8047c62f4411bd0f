import { expect } from 'chai';
import { decideAssert, viaList } from '../../../src/model/registration.js';

describe('model/registration decideAssert (spec §4.2)', function () {
  const gw = { enabled: true };
  it('answers 200 for an enabled device and treats a missing enabled as enabled (#39, #42)', function () {
    expect(decideAssert({ enabled: true }, undefined, undefined).status).to.equal(200);
    expect(decideAssert({}, undefined, undefined).status).to.equal(200);
  });

  it('answers 404 for an unknown or disabled device, even with a fine gateway (#43)', function () {
    expect(decideAssert(undefined, undefined, undefined).status).to.equal(404);
    expect(decideAssert({ enabled: false, via: 'gw' }, 'gw', gw).status).to.equal(404);
  });

  it('answers 200 for a gateway listed in via, as string or array, and returns via as an array (#44, #45, #50)', function () {
    expect(decideAssert({ via: 'gw-1' }, 'gw-1', gw)).to.deep.include({ status: 200, via: ['gw-1'] });
    expect(decideAssert({ via: ['gw-1', 'gw-7'] }, 'gw-7', gw)).to.deep.include({ status: 200, via: ['gw-1', 'gw-7'] });
  });

  it('answers 403 for a disabled, unknown or unlisted gateway and for devices without via (#46)', function () {
    expect(decideAssert({ via: 'gw-2' }, 'gw-2', { enabled: false }).status).to.equal(403);
    expect(decideAssert({ via: 'gw-2' }, 'gw-2', undefined).status).to.equal(403);
    expect(decideAssert({ via: 'gw-1' }, 'gw-3', gw).status).to.equal(403);
    expect(decideAssert({}, 'gw-1', gw).status).to.equal(403);
  });

  it('lets a device connect directly although it has a via (#47)', function () {
    expect(decideAssert({ via: 'gw' }, undefined, undefined)).to.deep.include({ status: 200, via: ['gw'] });
  });

  it('authorises gateways through shared groups, Hono 1.2 style (#51)', function () {
    const outcome = decideAssert({ viaGroups: ['g1'] }, 'gw-9', { memberOf: ['g0', 'g1'] });
    expect(outcome).to.deep.include({ status: 200, via: ['gw-9'] });
    expect(decideAssert({ viaGroups: ['g1'] }, 'gw-9', { memberOf: ['g2'] }).status).to.equal(403);
  });

  it('ignores non-string via entries', function () {
    expect(viaList({ via: ['a', 3, null] })).to.deep.equal(['a']);
  });
});
