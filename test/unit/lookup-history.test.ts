/**
 * The lookup history of the console's overview (src/lookup-history.ts): quantiles estimated from
 * histogram buckets as Prometheus' histogram_quantile does, and samples of what happened between
 * two readings of the AMQP request histogram.
 */
import { expect } from 'chai';
import { KEPT_SAMPLES, quantile, sampleBetween, startLookupHistory } from '../../src/lookup-history.js';
import type { HistogramTotals } from '../../src/metrics-histogram.js';

const BOUNDS = [0.001, 0.002, 0.005, 0.01];
const totals = (counts: number[], overflow = 0): HistogramTotals => ({ bounds: BOUNDS, counts, sum: 0, count: counts.reduce((a, b) => a + b, 0) + overflow });

describe('lookup history (console overview)', function () {
  it('has no quantile without observations', function () {
    expect(quantile(BOUNDS, [0, 0, 0, 0], 0, 0.5)).to.equal(null);
  });

  it('interpolates a quantile linearly inside the bucket that holds its rank', function () {
    // 10 observations ≤ 1 ms: the median is half-way into the first bucket
    expect(quantile(BOUNDS, [10, 0, 0, 0], 10, 0.5)).to.equal(0.0005);
    // 4 in the first, 4 in the second bucket: rank 4 ends the first, rank 6 is half-way into the second
    expect(quantile(BOUNDS, [4, 4, 0, 0], 8, 0.5)).to.equal(0.001);
    expect(quantile(BOUNDS, [4, 4, 0, 0], 8, 0.75)).to.be.closeTo(0.0015, 1e-12);
    // empty buckets before the rank are skipped
    expect(quantile(BOUNDS, [0, 0, 2, 0], 2, 0.5)).to.be.closeTo(0.0035, 1e-12);
  });

  it('answers the last bound for a rank among the observations above every bound', function () {
    expect(quantile(BOUNDS, [1, 0, 0, 0], 100, 0.99)).to.equal(0.01);
  });

  it('samples what happened between two readings: requests per second, and the quantiles in ms', function () {
    const sample = sampleBetween(totals([5, 0, 0, 0]), totals([15, 0, 10, 0]), 2, new Date('2030-01-01T00:00:10Z'));
    expect(sample).to.deep.equal({ time: '2030-01-01T00:00:10.000Z', 'per-second': 10, 'p50-ms': 1, 'p99-ms': 4.94 });
    expect(sampleBetween(totals([5]), totals([5]), 5, new Date(0))).to.include({ 'per-second': 0, 'p50-ms': null, 'p99-ms': null });
  });

  it('keeps the newest samples, oldest first, and stops', async function () {
    let count = 0;
    const history = startLookupHistory(() => totals([count++, 0, 0, 0]), 0.001);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (history.samples().length === KEPT_SAMPLES && count > KEPT_SAMPLES + 5) {
          clearInterval(check);
          resolve();
        }
      }, 5);
    });
    history.stop();
    const times = history.samples().map((s) => s.time);
    expect(times).to.have.lengthOf(KEPT_SAMPLES);
    expect([...times].sort()).to.deep.equal(times);
    const after = count;
    await new Promise((resolve) => setImmediate(resolve));
    expect(count, 'no reading after stop').to.equal(after);
  });
});
