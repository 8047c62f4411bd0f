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

  it('refuses an unknown command and missing options with usage and exit code 2', async function () {
    for (const args of [['frobnicate'], ['token', 'create', '--scopes', '*']]) {
      try {
        await cli(...args);
        expect.fail(`${args.join(' ')} succeeded`);
      } catch (err) {
        expect((err as { code?: number }).code).to.equal(2);
        expect((err as { stderr?: string }).stderr).to.include('usage: device-registry');
      }
    }
  });
});
