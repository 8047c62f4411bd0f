import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';

describe('installed rhea', function () {
  it('compares the outcome of every delivery when it batches dispositions (scripts/patch-rhea.mjs)', function () {
    const source = readFileSync(createRequire(import.meta.url).resolve('rhea/lib/session.js'), 'utf8');
    expect(source).to.include('if (!message.are_outcomes_equivalent(last.state, delivery.state) ||');
    expect(source).to.not.include('first !== last && !message.are_outcomes_equivalent');
  });
});
