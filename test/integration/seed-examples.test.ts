/**
 * Every curl example of the seed documents (kept in test/fixtures/seed-examples/), run verbatim (bash + curl) against a real registry
 * and a real Redis, answers with the status, Location header and JSON body the document shows.
 * Content-Length values in the documents are illustrative (they do not match their own bodies)
 * and 204 responses carry no Content-Length (RFC 9110 §8.6), so neither is compared.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { sharedRedis } from '../helpers/root-hooks.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { SEED_DOCUMENTS, expectAsShown, seedExamples } from '../helpers/seed-examples.js';


const exec = promisify(execFile);

/** Runs the example with bash (asynchronously: the registry answers from this same process). */
async function runCurl(script: string, port: number): Promise<{ status: number; location?: string; body?: unknown }> {
  const { stdout: output } = await exec('bash', ['-c', script.replaceAll('localhost:28080', `127.0.0.1:${port}`)], { encoding: 'utf8' });
  const [head = '', ...bodyParts] = output.split(/\r\n\r\n/);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const location = /^Location: (.*)$/im.exec(head)?.[1]?.trim();
  const text = bodyParts.join('\r\n\r\n').trim();
  return { status, ...(location === undefined ? {} : { location }), ...(text === '' ? {} : { body: JSON.parse(text) as unknown }) };
}

for (const document of SEED_DOCUMENTS) {
  describe(`seed document ${document}`, function () {
    const examples = seedExamples(document);
    let registry: TestRegistry;

    before(async function () {
      const redis = await sharedRedis();
      await redis.command('FLUSHALL');
      // The documents show cost-10 bcrypt hashes ($2a$10$…).
      registry = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url, REGISTRY_BCRYPT_COST: '10' });
    });

    after(() => registry.stop());

    it('contains curl examples with the responses they expect', function () {
      expect(examples.length).to.be.greaterThan(5);
    });

    for (const example of examples) {
      it(`${example.method} ${example.path} answers ${example.expected.status} as shown`, async function () {
        const actual = await runCurl(example.script, registry.registry.httpPort);
        expectAsShown(actual, example.expected);
      });
    }
  });
}
