/**
 * Every relative link of the repository's markdown documents (README.md, docs/, bench/, test
 * fixtures) points at a file that exists and, with a `#fragment`, at a heading of that document,
 * with the anchors GitHub makes from headings. Every document the code's comments cite (with the
 * sections named in quotes after it) is one of the repository's: the documents it was written
 * from are not in a clone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** GitHub's anchor of a heading: lower case, markup and punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}_\- ]/gu, '').replace(/ /g, '-');
}

/** The anchors of a document's headings (repeated headings get -1, -2 … as on GitHub). */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCode(markdown)) {
    const match = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!match) continue;
    const base = anchorOf(match[1] ?? '');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** The lines outside fenced code blocks. */
function withoutCode(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    return !fenced && !/^\s*```/.test(line);
  });
}

/** Relative link targets of a document (`[x](path#anchor)`), outside code blocks and code spans. */
function relativeLinks(markdown: string): string[] {
  const links: string[] = [];
  for (const line of withoutCode(markdown)) {
    for (const [, target = ''] of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) links.push(target);
    }
  }
  return links;
}

/** Problems of one document's links: missing files, missing anchors. */
function brokenLinks(file: string, read: (path: string) => string | undefined): string[] {
  const text = read(file) ?? '';
  const broken: string[] = [];
  for (const link of relativeLinks(text)) {
    const [pathPart = '', fragment] = link.split('#');
    const target = pathPart === '' ? file : normalize(join(dirname(file), decodeURIComponent(pathPart)));
    const content = read(target);
    if (content === undefined && !existsSync(join(ROOT, target))) {
      broken.push(`${file}: ${link} (no file ${target})`);
    } else if (fragment !== undefined && target.endsWith('.md') && !anchorsOf(content ?? '').has(fragment)) {
      broken.push(`${file}: ${link} (no heading #${fragment} in ${target})`);
    }
  }
  return broken;
}

const readRepo = (path: string): string | undefined => {
  const full = join(ROOT, path);
  return existsSync(full) && path.endsWith('.md') ? readFileSync(full, 'utf8') : undefined;
};

/**
 * The documents a code file's comments cite (a path ending in `.md`, perhaps followed by section
 * names in quotes) that are not in the repository or lack a heading of such a section. A path is
 * taken from the file's directory, else from the root; a bare name may also be a document in docs/.
 */
function missingCitations(file: string, text: string, read: (path: string) => string | undefined): string[] {
  const missing: string[] = [];
  const comments = text.split('\n').filter((line) => /^\s*(\*|\/\/|\/\*|#)/.test(line));
  for (const line of comments) {
    for (const [, doc = '', sections = ''] of line.matchAll(/([\w./-]*[\w-]\.md)\b((?:,? "[^"]+")*)/g)) {
      const candidates = [normalize(join(dirname(file), doc)), normalize(doc), join('docs', doc)];
      const target = candidates.find((path) => read(path) !== undefined);
      if (target === undefined) {
        missing.push(`${file}: ${doc} is not a document of the repository`);
        continue;
      }
      const anchors = anchorsOf(read(target) ?? '');
      for (const [, section = ''] of sections.matchAll(/"([^"]+)"/g)) {
        if (!anchors.has(anchorOf(section))) missing.push(`${file}: ${doc} has no section "${section}"`);
      }
    }
  }
  return missing;
}

describe('links between the documents', function () {
  it('makes anchors as GitHub does', function () {
    expect(anchorOf('7.2 File formats of Hono\'s registry')).to.equal('72-file-formats-of-honos-registry');
    expect(anchorOf('3.2 Operation `get`')).to.equal('32-operation-get');
    expect(anchorOf('AMQP 1.0 APIs for protocol adapters')).to.equal('amqp-10-apis-for-protocol-adapters');
    expect([...anchorsOf('# A\n## B\n```\n# not a heading\n```\n## B\n')]).to.deep.equal(['a', 'b', 'b-1']);
  });

  it('finds a link to a missing file or heading (the check has teeth)', function () {
    const docs: Record<string, string> = { 'docs/a.md': '# Top\n[ok](b.md#there) [file](c.md) [anchor](b.md#nowhere) [self](#top) [web](https://x.org/y)\n`[code](d.md)`\n', 'docs/b.md': '## There\n' };
    expect(brokenLinks('docs/a.md', (p) => docs[p])).to.deep.equal(['docs/a.md: c.md (no file docs/c.md)', 'docs/a.md: b.md#nowhere (no heading #nowhere in docs/b.md)']);
  });

  it('has no link to a missing file or heading in README.md, docs/, bench/ or the fixtures', function () {
    const documents = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.md'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((f) => f !== '');
    expect(documents).to.include.members(['README.md', 'docs/amqp-api.md', 'bench/README.md']);
    const broken = documents.flatMap((file) => brokenLinks(file, readRepo));
    expect(broken, broken.join('\n')).to.deep.equal([]);
  });

  it('finds a cited document outside the repository, or a missing section (the check has teeth)', function () {
    const docs: Record<string, string> = { 'docs/a.md': '# A\n## Audit trail\n', 'README.md': '# R\n' };
    // Built from parts, so that this file's own comments cite nothing missing.
    const text = ['/**', ' * (docs/a.md "Audit trail", "Nowhere"; a.md; ../../README.md)', ' * elsewhere.md "Scopes"', ' */', "const s = 'b.md';"].join('\n');
    expect(missingCitations('test/unit/x.test.ts', text, (p) => docs[p])).to.deep.equal([
      'test/unit/x.test.ts: docs/a.md has no section "Nowhere"',
      'test/unit/x.test.ts: elsewhere.md is not a document of the repository',
    ]);
  });

  it('the code cites only documents of the repository, and sections they have', function () {
    const code = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'test', 'bench', 'scripts', 'interop'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((f) => /\.(ts|js|cjs|mjs|py|sh|java)$/.test(f));
    expect(code).to.include.members(['src/registry.ts', 'test/conformance/hono_conformance.py']);
    const missing = code.flatMap((file) => missingCitations(file, readFileSync(join(ROOT, file), 'utf8'), readRepo));
    expect(missing, missing.join('\n')).to.deep.equal([]);
  });
});
