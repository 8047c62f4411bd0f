/**
 * The tests keep to the project's rules for tests: no test
 * asserts a duration, none sleeps a fixed time to let something happen (they wait for events, or
 * poll a condition), and none checks the source text of src/ instead of its behaviour.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const TEST_DIR = fileURLToPath(new URL('../', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
/** A pause this long or longer is waiting for something to happen, not a polling interval. */
const FIXED_SLEEP_MS = 200;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : testFiles(path);
    return e.name.endsWith('.ts') && path !== SELF ? [path] : [];
  });
}

/** What breaks the rules in one file's text: `line: problem`. */
function violations(text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    const at = `${i + 1}`;
    // `new Promise((r) => setTimeout(r, 300))` or `sleep(300)`; a timer that bounds a wait for an event is not a sleep.
    for (const [, ms = '0'] of line.matchAll(/(?:=>\s*setTimeout\(\s*\w+\s*,|\bsleep\()\s*(\d[\d_]*)\s*\)/g)) {
      if (Number(ms.replaceAll('_', '')) >= FIXED_SLEEP_MS) found.push(`${at}: sleeps ${ms} ms`);
    }
    if (/expect\([^;]*\b(?:Date|performance)\.now\(\)\s*-/.test(line) || /expect\(\s*(?:elapsed|took|duration)\b/.test(line)) found.push(`${at}: asserts a duration`);
    if (/readFile(?:Sync)?\([^)]*\/src\//.test(line)) found.push(`${at}: reads source text`);
  });
  return found;
}

describe('test hygiene', function () {
  it('finds a duration assertion, a fixed sleep and a read of source text (the check has teeth)', function () {
    const sample = [
      'const elapsed = Date.now() - started;',
      'expect(elapsed).to.be.below(1500);',
      'expect(performance.now() - started).to.be.lessThan(2000);',
      'await new Promise((r) => setTimeout(r, 1_100));',
      'await sleep(2600);',
      `const source = readFileSync(new URL('${'../'.repeat(3)}src/model/tokens.ts', import.meta.url), 'utf8');`,
      'await new Promise((r) => setTimeout(r, 20)); // a polling interval',
      'const timer = setTimeout(resolve, 2000); // the bound of a wait for an event',
      'expect(Date.parse(entry.time)).to.be.at.least(started);',
    ].join('\n');
    expect(violations(sample)).to.deep.equal(['2: asserts a duration', '3: asserts a duration', '4: sleeps 1_100 ms', '5: sleeps 2600 ms', '6: reads source text']);
  });

  it('has no test that asserts a duration, sleeps a fixed time or reads source text', function () {
    const files = testFiles(TEST_DIR);
    expect(files.length).to.be.greaterThan(50);
    const found = files.flatMap((file) => violations(readFileSync(file, 'utf8')).map((v) => `test/${relative(TEST_DIR, file)}:${v}`));
    expect(found, found.join('\n')).to.deep.equal([]);
  });
});
