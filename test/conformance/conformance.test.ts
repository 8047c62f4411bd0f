/**
 * Hono AMQP 1.0 conformance (docs/amqp-api.md §11 A–F) of the built registry (dist/main.js),
 * checked with an independent AMQP stack: Apache Qpid Proton for Python (Debian
 * python3-qpid-proton, run with /usr/bin/python3). The Python harness in hono_conformance.py
 * starts redis-server and the registries itself (legacy and 1.x wire profiles plus a first-start
 * configuration) and prints one JSON line per case; this file turns each line into a mocha test.
 *
 * Cases the harness marks xfail (a known registry bug, explained in their detail) report ok=null
 * and are skipped here. CONFORMANCE_MAIN_JS=<path> runs another build of the registry.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

const execFileAsync = promisify(execFile);

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const SCRIPT = join(HERE, 'hono_conformance.py');
const PYTHON = '/usr/bin/python3';
const MAIN_JS = process.env.CONFORMANCE_MAIN_JS ?? join(ROOT, 'dist', 'main.js');
const RUN_TIMEOUT_MS = 180_000;

interface CaseLine {
  id: string;
  profile: string;
  name: string;
  ok: boolean | null;
  detail: string;
  xfail?: boolean;
}

function parseLines(text: string): CaseLine[] {
  const cases: CaseLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim().startsWith('{')) continue;
    const value = JSON.parse(line) as CaseLine;
    if (typeof value.id === 'string' && typeof value.profile === 'string') cases.push(value);
  }
  return cases;
}

const key = (c: Pick<CaseLine, 'id' | 'profile'>) => `${c.profile}/${c.id}`;

/** The case list, read without starting anything (`--list`). */
function listCases(): { cases: CaseLine[]; error?: string } {
  try {
    const out = execFileSync(PYTHON, [SCRIPT, '--list'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    return { cases: parseLines(out) };
  } catch (err) {
    const e = err as Error & { stderr?: string };
    return { cases: [], error: `${PYTHON} ${SCRIPT} --list failed: ${e.message}\n${e.stderr ?? ''}` };
  }
}

const listed = listCases();

describe('Hono AMQP conformance of dist/main.js (Apache Qpid Proton client)', function () {
  this.timeout(RUN_TIMEOUT_MS + 20_000);
  const results = new Map<string, CaseLine>();
  let runProblem = '';

  before(async function () {
    this.timeout(RUN_TIMEOUT_MS + 20_000);
    if (listed.error !== undefined) return;
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run make build (npx tsc -p tsconfig.build.json)`);
    let stdout: string;
    try {
      ({ stdout } = await execFileAsync(PYTHON, [SCRIPT, '--main', MAIN_JS], { cwd: ROOT, timeout: RUN_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024 }));
    } catch (err) {
      // Exit code 1 only means that some case failed; the lines are still there.
      const e = err as Error & { stdout?: string; stderr?: string; code?: number | string; killed?: boolean };
      stdout = e.stdout ?? '';
      if (e.code !== 1) runProblem = `harness exited with ${String(e.code)}${e.killed === true ? ' (killed: timeout)' : ''}: ${(e.stderr ?? '').slice(-2000)}`;
    }
    for (const line of parseLines(stdout)) results.set(key(line), line);
  });

  if (listed.error !== undefined) {
    it('lists the conformance cases', () => {
      expect.fail(listed.error);
    });
    return;
  }

  const profiles = [...new Set(listed.cases.map((c) => c.profile))];
  for (const profile of profiles) {
    describe(`registry ${profile}`, () => {
      for (const c of listed.cases.filter((x) => x.profile === profile)) {
        it(`${c.id} ${c.name}`, function () {
          const result = results.get(key(c));
          if (result === undefined) expect.fail(`case ${key(c)} did not report a result. ${runProblem}`);
          if (result.ok === null) this.skip();
          expect(result.ok, result.detail).to.equal(true);
        });
      }
    });
  }
});
