/**
 * README.md is for a new user: it starts with the two commands, walks through both APIs, and links
 * to the documents for the rest. Figures live in docs/performance.md, so that the README does not
 * grow with every benchmark run.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
/** Room for what a new user needs; beyond it, a document under docs/ is the place. */
const MAX_LINES = 350;

describe('README.md', function () {
  it('starts with the two commands, make run and make test', function () {
    const first = /^# [^\n]+\n\n```sh\n([^`]*)```/.exec(README)?.[1] ?? '';
    expect(first.split('\n').filter((l) => l !== '').map((l) => l.split(/\s+#/)[0]?.trim())).to.deep.equal(['make run', 'make test']);
  });

  it('walks through the HTTP management API and the AMQP APIs', function () {
    const walk = /## Walk-through\n([\s\S]*?)\n## /.exec(README)?.[1] ?? '';
    expect(walk).to.match(/### The HTTP management API\n[\s\S]*curl [\s\S]*### The AMQP APIs\n[\s\S]*subject="assert"/);
  });

  it(`stays short (at most ${MAX_LINES} lines) and leaves benchmark figures to docs/performance.md`, function () {
    expect(README.split('\n').length).to.be.at.most(MAX_LINES);
    const figureRows = README.split('\n').filter((l) => l.startsWith('|') && /req\/s|p99|p50|µs/.test(l));
    expect(figureRows, figureRows.join('\n')).to.deep.equal([]);
    expect(README).to.include('](docs/performance.md)');
  });
});
