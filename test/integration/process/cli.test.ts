/**
 * The `device-registry` command line (dist/cli.js): tokens minted and revoked through the store,
 * usable at once by a registry on the same store and pepper.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { sharedRedis } from '../../helpers/root-hooks.js';
import { http, startTestRegistry, type TestRegistry } from '../../helpers/registry.js';

const exec = promisify(execFile);
const CLI = fileURLToPath(new URL('../../../dist/cli.js', import.meta.url));
const PEPPER = 'cli-test-pepper-0123456789abcdef0123456789';

describe('device-registry command line', function () {
  this.timeout(30_000);
  let registry: TestRegistry;
  let env: Record<string, string>;

  const cli = (...args: string[]) => exec(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });

  before(async function () {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`make build\` first (make test does)`);
    const redis = await sharedRedis();
    await redis.command('FLUSHALL');
    env = { REGISTRY_REDIS_URL: redis.url, REGISTRY_TOKEN_PEPPER: PEPPER };
    registry = await startTestRegistry({ ...env, REGISTRY_HTTP_AUTH: 'token' });
  });

  after(() => registry.stop());

  it('prints help for every command', async function () {
    expect((await cli('--help')).stdout).to.include('token create');
    for (const args of [['serve', '--help'], ['token', '--help'], ['token', 'create', '--help'], ['token', 'list', '--help'], ['token', 'revoke', '-h']]) {
      expect((await cli(...args)).stdout, args.join(' ')).to.match(new RegExp(`^usage: device-registry ${args.filter((a) => !a.startsWith('-')).join(' ')}`));
    }
  });

  it('creates a token the registry accepts with exactly its scopes and tenants, lists it and revokes it', async function () {
    const { stdout } = await cli('token', 'create', '--scopes', 'tenants:read', '--tenants', 'DEFAULT_TENANT', '--expires', '1d', '--description', 'ci');
    const token = stdout.trim();
    expect(token).to.match(/^dr_[A-Za-z0-9_-]{43}$/);
    const auth = { Authorization: `Bearer ${token}` };
    expect((await http(registry.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, auth)).status).to.equal(200);
    expect((await http(registry.base, 'DELETE', '/tenant/DEFAULT_TENANT', undefined, auth)).status).to.equal(403);

    const listed = (await cli('token', 'list')).stdout;
    expect(listed).to.include('tenants:read').and.include('ci').and.not.include(token);
    const id = /^(tok_\w+)\ttenants:read/m.exec(listed)?.[1];
    expect(id).to.be.a('string');
    await cli('token', 'revoke', id as string);
    expect((await http(registry.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, auth)).status).to.equal(401);
  });

  /** Runs the command line to its end (killed after 15 s: a command that should have refused to start must not linger). */
  const attempt = (...args: string[]): Promise<{ code: number | null; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 15_000 }, (err, _stdout, stderr) => {
        resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stderr });
      });
    });

  it('answers every usage error with one line naming the problem and exit code 2, never a stack trace', async function () {
    const cases: [string[], string][] = [
      [['frobnicate'], 'device-registry: unknown command "frobnicate"'],
      [['serve', '--bogus'], 'device-registry serve: unknown option --bogus'],
      [['token'], 'device-registry token: a subcommand is missing: create, list or revoke'],
      [['token', 'frob'], 'device-registry token: unknown subcommand "frob"'],
      [['token', 'create', '--bogus'], 'device-registry token create: unknown option --bogus'],
      [['token', 'create', '--scopes'], 'device-registry token create: option --scopes needs a value'],
      [['token', 'create', '--scopes', '*'], 'device-registry token create: missing --tenants, --expires'],
      [['token', 'create', '--scopes', 'devices:reed', '--tenants', '*', '--expires', '1d'], 'device-registry token create: unknown scope "devices:reed" in --scopes'],
      [['token', 'create', '--scopes', '*', '--tenants', '*', '--expires', 'forever'], 'device-registry token create: --expires "forever" is not a lifetime such as 30d'],
      [['token', 'create', '--scopes', '*', '--tenants', 'x'.repeat(300), '--expires', '1d'], 'device-registry token create: tenants/0 must NOT have more than 256 characters'],
      [['token', 'list', 'extra'], 'device-registry token list: unexpected argument "extra"'],
      [['token', 'revoke'], 'device-registry token revoke: the id of the token to revoke is missing'],
      [['check', '--bogus'], 'device-registry check: unknown option --bogus'],
      [['check', '--fix=yes'], 'device-registry check: option --fix takes no value'],
      [['import', '--ndjson', '-', '--batch-size', 'many'], 'device-registry import: --batch-size must be a whole number from 1 to 100000'],
      [['export'], 'device-registry export: give exactly one of --dir and --ndjson'],
    ];
    for (const [args, message] of cases) {
      const run = await attempt(...args);
      const what = `${args.join(' ')}: ${run.stderr}`;
      expect(run.code, what).to.equal(2);
      expect(run.stderr.endsWith('\n') && run.stderr.split('\n').length === 2, `one line: ${what}`).to.equal(true);
      expect(run.stderr, what).to.include(message).and.match(/ \(see "device-registry[\w ]*--help"\)\n$/);
      expect(run.stderr, what).not.to.match(/Error|\bat |Base64/);
    }
  });

  it('lists every token subcommand in the help of token', async function () {
    const { stdout } = await cli('token', '--help');
    for (const sub of ['create', 'list', 'revoke']) expect(stdout).to.match(new RegExp(`device-registry token ${sub}\\b`));
  });
});
