/**
 * src/batch-clock.ts: one clock reading for a batch of synchronous work and the microtasks queued
 * with it, a fresh one for the next batch.
 */
import { expect } from 'chai';
import { batchNow } from '../../src/batch-clock.js';

const nextTask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('batch clock', function () {
  it('gives the synchronous work of one task and the microtasks queued with it one reading', async function () {
    await nextTask();
    const queuedBefore = new Promise<number>((resolve) => queueMicrotask(() => resolve(batchNow())));
    const first = batchNow();
    expect(batchNow()).to.equal(first);
    expect(await queuedBefore).to.equal(first);
  });

  it('reads the clock again for the next batch, never going back', async function () {
    await nextTask();
    const first = batchNow();
    const later = await new Promise<number>((resolve) => setImmediate(() => resolve(batchNow())));
    const now = performance.now();
    expect(later).to.be.at.least(first);
    expect(later).to.be.at.most(now);
    expect(first).to.be.at.most(later);
  });

  it('is never older than the batch it times: a reading taken after the batch ended is a new one', async function () {
    await nextTask();
    const first = batchNow();
    const before = performance.now();
    await nextTask();
    expect(batchNow()).to.be.at.least(before);
    expect(first).to.be.at.most(before);
  });
});
