/**
 * The repository is self-contained: `make test` in a clone of it alone, with nothing beside it,
 * finds every file a test, a benchmark or a script reads. Two checks:
 * - the text of the code (tests, helpers, benchmarks, scripts, sources, build and CI files) names
 *   no path outside the repository: no relative path climbing above its root, no absolute path
 *   into the machine it was written on;
 * - a copy of the repository's files in an otherwise empty directory loads every suite (mocha
 *   --dry-run runs every describe body, which is where suites read their data) and runs the seed
 *   example suites, the ones that read test data files.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Directories of generated or installed files: never part of a clone. */
const NOT_IN_A_CLONE = new Set(['.git', 'node_modules', 'dist', 'data', 'coverage', '.tmp', '__pycache__']);
/** Where code that could read files lives. */
const CODE = /^(src|test|bench|scripts|interop|\.ci)\/|^(Makefile|Dockerfile|docker-compose[\w.]*\.yml|package\.json|\.mocharc[\w.]*\.json|tsconfig[\w.]*\.json|eslint\.config\.js)$/;
const TEXT = /\.(ts|mts|cts|js|mjs|cjs|py|sh|json|ya?ml|java|xml|properties)$|(^|\/)(Makefile|Dockerfile|run)$/;

/** The files a clone holds: tracked and not ignored (git), or the tree without generated directories. */
function repositoryFiles(root: string): string[] {
  try {
    const out = execFileSync('git', ['-C', root, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\0').filter((f) => f !== '' && statSync(join(root, f), { throwIfNoEntry: false })?.isFile() === true);
  } catch {
    const walk = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
        const path = dir === '' ? e.name : `${dir}/${e.name}`;
        if (e.isDirectory()) return NOT_IN_A_CLONE.has(e.name) ? [] : walk(path);
        return e.isFile() ? [path] : [];
      });
    return walk('');
  }
}

/**
 * The places in one file's text that point outside the repository: a quoted relative path that
 * climbs above the root from the file's directory, or an absolute path into a home or work
 * directory, or a sibling `shared/` folder of documents.
 */
function outsideReferences(file: string, text: string, root: string): string[] {
  const found: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    for (const [, literal = ''] of line.matchAll(/['"`]((?:\.\.\/)+[^'"`\s]*)['"`]/g)) {
      const target = resolve(dirname(join(root, file)), literal);
      if (relative(root, target).split(sep)[0] === '..') found.push(`${file}:${index + 1}: ${literal} leaves the repository`);
    }
    for (const [match] of line.matchAll(/\/(?:work|home|Users|root)\/[\w.-]+|\bshared\/(?:seeds|spec)\b/g)) found.push(`${file}:${index + 1}: ${match} is outside the repository`);
  });
  return found;
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((done) => {
    execFile(command, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TEST_REDIS: '' } }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, output: `${stdout}${stderr}` });
    });
  });
}

describe('the repository is self-contained', function () {
  describe('the code names no path outside the repository', function () {
    // bench/results.json and bench/peer-results.json are records of a run (they name where they were written), not code.
    const files = repositoryFiles(ROOT).filter((f) => CODE.test(f) && TEXT.test(f) && !/^bench\/(peer-)?results\./.test(f));

    it('reads its code from the repository files', function () {
      expect(files).to.include.members(['Makefile', 'test/helpers/seed-examples.ts', 'test/conformance/hono_conformance.py', 'scripts/swagger.ts']);
    });

    it('finds a path that climbs out of the repository, or into a machine directory (the check has teeth)', function () {
      // Built from parts, so that this file's own text holds none of them.
      const [up, seeds, work] = ['../'.repeat(3), ['shared', 'seeds'].join('/'), ['', 'work', 'shared', 'x.md'].join('/')];
      const sample = `const A = new URL('${up}${seeds}/', import.meta.url);\nconst B = '${work}';\nconst C = new URL('../../dist/cli.js', import.meta.url);`;
      const found = outsideReferences('test/integration/x.test.ts', sample, ROOT);
      expect(found).to.have.lengthOf(3);
      expect(found[0]).to.include(`${up}${seeds}/ leaves the repository`);
      expect(found[2]).to.include(`${work.slice(0, -5)} is outside the repository`);
      expect(outsideReferences('src/validation.ts', "new URL('../schemas/', import.meta.url)", ROOT)).to.deep.equal([]);
    });

    it('has no such path in tests, benchmarks, scripts, sources, build or CI files', function () {
      const found = files.flatMap((f) => outsideReferences(f, readFileSync(join(ROOT, f), 'utf8'), ROOT));
      expect(found, found.join('\n')).to.deep.equal([]);
    });
  });

  describe('a copy of the repository with nothing beside it', function () {
    this.timeout(180_000);
    let parent: string;
    let copy: string;
    const mocha = (...args: string[]) => run(process.execPath, [join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js'), ...args], copy);

    before(function () {
      parent = mkdtempSync(join(tmpdir(), 'registry-clone-'));
      copy = join(parent, 'device-registry');
      for (const file of repositoryFiles(ROOT)) {
        mkdirSync(dirname(join(copy, file)), { recursive: true });
        cpSync(join(ROOT, file), join(copy, file));
      }
      // Installed and built files are not data: the copy uses this checkout's.
      for (const generated of ['node_modules', 'dist']) symlinkSync(join(ROOT, generated), join(copy, generated));
      expect(readdirSync(parent)).to.deep.equal(['device-registry']);
    });

    after(function () {
      if (parent !== undefined) rmSync(parent, { recursive: true, force: true });
    });

    it('loads every suite (mocha --dry-run runs each describe body)', async function () {
      const { code, output } = await mocha('--dry-run', '--reporter', 'dot');
      expect(code, output.slice(-4000)).to.equal(0);
      expect(output).to.match(/\d{3,} passing/);
    });

    it('runs the seed example suites, which read their requests and answers from test data', async function () {
      const { code, output } = await mocha('--no-config', '--import=tsx', '--require', 'test/helpers/root-hooks.ts', '--timeout', '20000', '--reporter', 'dot',
        'test/integration/seed-examples.test.ts', 'test/integration/security/seeds-with-token.test.ts');
      expect(code, output.slice(-4000)).to.equal(0);
      expect(output).to.match(/\d{2,} passing/);
    });
  });
});
