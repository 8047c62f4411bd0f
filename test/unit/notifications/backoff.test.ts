/** The wait between delivery attempts (docs/notifications.md "How it works"): doubling from the minimum up to the cap, ±20 % jitter. */
import { expect } from 'chai';
import { backoffMs } from '../../../src/notifications/deliverer.js';

describe('notification retry backoff', function () {
  it('doubles from the minimum with each failure and stops at the cap, within ±20 %', function () {
    for (let i = 0; i < 50; i++) {
      expect(backoffMs(1, 500, 30_000)).to.be.within(400, 600);
      expect(backoffMs(3, 500, 30_000)).to.be.within(1600, 2400);
      expect(backoffMs(40, 500, 30_000)).to.be.within(24_000, 36_000);
    }
  });
});
