/**
 * The curl examples of the seed documents, run verbatim (bash + curl) against a registry with
 * REGISTRY_HTTP_AUTH=token. The bearer token comes from a curl config file ($CURL_HOME/.curlrc),
 * so the example text is unchanged; the expectations are those of seed-examples.test.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { TestRegistry } from '../../helpers/registry.js';
import { SEED_DOCUMENTS, expectAsShown, seedExamples } from '../../helpers/seed-examples.js';
import { BOOTSTRAP, flushRedis, mint, startTokenRegistry } from '../../helpers/security.js';


const exec = promisify(execFile);

interface CurlResult {
  status: number;
  location?: string;
  body?: unknown;
}

/** Runs the example with bash, curl reading `$CURL_HOME/.curlrc` (asynchronously: the registry answers from this same process). */
async function runCurl(script: string, port: number, curlHome: string): Promise<CurlResult> {
  const env = { ...process.env, CURL_HOME: curlHome, HOME: curlHome, XDG_CONFIG_HOME: curlHome };
  const { stdout: output } = await exec('bash', ['-c', script.replaceAll('localhost:28080', `127.0.0.1:${port}`)], { encoding: 'utf8', env });
  const [head = '', ...bodyParts] = output.split(/\r\n\r\n/);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const location = /^Location: (.*)$/im.exec(head)?.[1]?.trim();
  const text = bodyParts.join('\r\n\r\n').trim();
  return { status, ...(location === undefined ? {} : { location }), ...(text === '' ? {} : { body: JSON.parse(text) as unknown }) };
}

async function curlHomeWith(lines: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'registry-security-curl-'));
  await writeFile(join(dir, '.curlrc'), lines, { mode: 0o600 });
  return dir;
}

for (const document of SEED_DOCUMENTS) {
  describe(`seed document ${document} with REGISTRY_HTTP_AUTH=token`, function () {
    this.timeout(20_000);
    const examples = seedExamples(document);
    let registry: TestRegistry;
    let withToken: string;
    let withoutToken: string;

    before(async function () {
      await flushRedis();
      // The documents show cost-10 bcrypt hashes ($2a$10$…).
      registry = await startTokenRegistry({ REGISTRY_BCRYPT_COST: '10' });
      // a token of its own, with exactly the scopes the examples need
      const token = await mint(registry.base, BOOTSTRAP, {
        scopes: ['tenants:read', 'tenants:create', 'tenants:update', 'tenants:delete', 'devices:read', 'devices:create', 'devices:update', 'devices:delete', 'credentials:read', 'credentials:write'],
        tenants: ['*'],
        description: 'seed examples',
      });
      withToken = await curlHomeWith(`header = "Authorization: Bearer ${token.token}"\n`);
      withoutToken = await curlHomeWith('# no token\n');
    });

    after(async function () {
      await registry?.stop();
      for (const dir of [withToken, withoutToken]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      await flushRedis();
    });

    it('contains curl examples with the responses they expect, none carrying a token itself', function () {
      expect(examples.length).to.be.greaterThan(5);
      for (const example of examples) expect(example.script).to.not.match(/authorization|bearer/i);
    });

    it('without the curl config the first example is refused with 401', async function () {
      const first = examples[0];
      if (first === undefined) this.skip();
      const actual = await runCurl(first.script, registry.registry.httpPort, withoutToken);
      expect(actual.status).to.equal(401);
      expect(actual.body).to.have.property('error');
    });

    for (const example of examples) {
      it(`${example.method} ${example.path} answers ${example.expected.status} as shown`, async function () {
        const actual = await runCurl(example.script, registry.registry.httpPort, withToken);
        expectAsShown(actual, example.expected);
      });
    }
  });
}
