/**
 * docs/amqp-api.md is the AMQP contract that code, tests and the Proton conformance suite cite:
 * every section they cite (`docs/amqp-api.md §4.2`, `§14.13`) exists in it, and every behaviour id
 * (`A1e`, `#40`) is defined in its §11 under the right group.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';

const ROOT = new URL('../../', import.meta.url);
const DOC = readFileSync(new URL('docs/amqp-api.md', ROOT), 'utf8');

/** Section numbers of the document: headings (`## 3.`, `### 3.2`) and the numbered items of §14 (`14.13`). */
function sections(markdown: string): Set<string> {
  const found = new Set<string>();
  let current = '';
  for (const line of markdown.split('\n')) {
    const heading = /^#{2,3} (\d+(?:\.\d+)?)\.? /.exec(line);
    if (heading) {
      current = heading[1] ?? '';
      found.add(current);
      continue;
    }
    const item = /^(\d+)\. \*\*/.exec(line);
    if (item && !current.includes('.')) found.add(`${current}.${item[1]}`);
  }
  return found;
}

/** Behaviour ids defined in §11 (`- **A7** …`): number → group letter. */
function behaviours(markdown: string): Map<number, string> {
  const defined = new Map<number, string>();
  for (const [, group = '', number = ''] of markdown.matchAll(/^- \*\*([A-G])(\d+)\*\* /gm)) {
    expect(defined.has(Number(number)), `behaviour ${number} is defined twice`).to.equal(false);
    defined.set(Number(number), group);
  }
  return defined;
}

/** Text files of the repository that may cite the document (tracked and new ones). */
function citingFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'test', 'schemas', 'bench', 'scripts', 'docs', 'interop', 'README.md'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\n').filter((f) => /\.(ts|py|json|md|mjs|java)$/.test(f));
}

/** The cited section numbers of a text that `numbered` lacks. */
function missingSections(text: string, numbered: ReadonlySet<string>): string[] {
  const missing: string[] = [];
  for (const [, refs = ''] of text.matchAll(/amqp-api\.md(?:#[\w-]+)?\)?((?:[ ,–-]*(?:and )?§ ?\d+(?:\.\d+)?)+)/g)) {
    for (const [, number = ''] of refs.matchAll(/§ ?(\d+(?:\.\d+)?)/g)) if (!numbered.has(number)) missing.push(`§${number}`);
  }
  return missing;
}

describe('docs/amqp-api.md', function () {
  const numbered = sections(DOC);
  const defined = behaviours(DOC);

  it('numbers its sections and behaviours (the parsers have teeth)', function () {
    expect([...sections('## 3. A\n### 3.2 B\n## 14. C\n1. **x**\n13. **y**\n')]).to.deep.equal(['3', '3.2', '14', '14.1', '14.13']);
    expect(numbered).to.include.members(['2.2', '3.2', '4.2', '5.6', '6', '10', '11', '14.1', '14.16']);
    // Numbers run without gaps; a behaviour added later takes the next number under its group.
    expect([...defined.keys()].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 75 }, (_, i) => i + 1));
  });

  it('has every section that code, tests and documents cite it by', function () {
    // Built from parts, so that this file does not cite the sections itself.
    const sample = ['(docs/amqp-api', 'md §2.3, §2.4, §14.99) and [x](amqp-api', 'md#a) §42'].join('.');
    expect(missingSections(sample, numbered), 'the check has teeth').to.deep.equal(['§14.99', '§42']);
    const missing = citingFiles().flatMap((file) => missingSections(readFileSync(new URL(file, ROOT), 'utf8'), numbered).map((m) => `${file}: ${m}`));
    expect(missing, missing.join('\n')).to.deep.equal([]);
  });

  it('is the one the code cites: nothing cites the spec it was written from, which is outside the repository', function () {
    const outside = ['hono', 'amqp', 'apis.md'].join('-');
    const citing = citingFiles().filter((file) => readFileSync(new URL(file, ROOT), 'utf8').includes(outside));
    expect(citing, `cite docs/amqp-api.md instead of ${outside}`).to.deep.equal([]);
  });

  it('defines every behaviour id of the Proton conformance suite under its group', function () {
    const suite = readFileSync(new URL('test/conformance/hono_conformance.py', ROOT), 'utf8');
    const ids = [...suite.matchAll(/^@case\('([A-G])(\d+)([a-z]?)'/gm)].map(([, group = '', number = '', split = '']) => ({ id: `${group}${number}${split}`, group, number: Number(number) }));
    expect(ids.length).to.be.greaterThan(60);
    for (const { id, group, number } of ids) expect(defined.get(number), `${id}: behaviour ${number} in docs/amqp-api.md §11`).to.equal(group);
  });

  it('defines every behaviour that code and tests cite as #N', function () {
    const missing: string[] = [];
    for (const file of citingFiles().filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(new URL(file, ROOT), 'utf8');
      // `(#40)`, `#6, #14`: a behaviour number after a space or an opening bracket.
      for (const [, number = ''] of text.matchAll(/[\s(]#(\d{1,2})\b(?![\d-])/g)) if (!defined.has(Number(number))) missing.push(`${file}: #${number}`);
    }
    expect(missing, missing.join('\n')).to.deep.equal([]);
  });
});
