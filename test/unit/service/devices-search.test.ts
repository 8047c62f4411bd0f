import { expect } from 'chai';
import { rankOfNth } from '../../../src/service/devices-search.js';

describe('service/devices-search rankOfNth: the rank of the n-th id not skipped (isGateway=false pages)', function () {
  it('skips the given ranks, at the start, in the middle and in runs', function () {
    const skipped = [0, 1, 4, 5, 6, 9];
    const kept = Array.from({ length: 20 }, (_, r) => r).filter((r) => !skipped.includes(r));
    for (let n = 0; n < 10; n++) expect(rankOfNth(n, skipped), `n=${n}`).to.equal(kept[n]);
    expect(rankOfNth(3, [])).to.equal(3);
  });
});
