/**
 * The Lua functions of model/version.ts, run by a real Redis, compute exactly what the TypeScript
 * functions compute: one definition of a version on both sides (docs/management-v1.md "Versions").
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { sharedRedis } from '../../helpers/root-hooks.js';
import { VERSION_LUA, credentialsVersion, ifMatchArg, parseIfMatch, versionOf } from '../../../src/model/version.js';

const SAMPLES = ['', '{}', '{"enabled":true,"ext":{"brand":"Ünïcødé 😀"}}', 'a'.repeat(70_000), '{"x":"\\u0000 \\n"}'];

describe('model/version in Lua on a real Redis', function () {
  let redis: Redis;

  before(async function () {
    redis = new Redis((await sharedRedis()).url, { maxRetriesPerRequest: 1 });
  });

  after(() => redis.quit());

  const run = (body: string, args: string[]) => redis.eval(`${VERSION_LUA}\n${body}`, 0, ...args);

  it('version_of gives versionOf of the same bytes', async function () {
    for (const sample of SAMPLES) expect(await run('return version_of(ARGV[1])', [sample])).to.equal(versionOf(sample));
  });

  it('credentials_version gives credentialsVersion of the same records, the empty set too', async function () {
    for (const records of [[], ['{"a":1}'], SAMPLES, ['ab', 'c'], ['a', 'bc']]) {
      expect(await run('return credentials_version(ARGV)', records), JSON.stringify(records).slice(0, 40)).to.equal(credentialsVersion(records));
    }
  });

  it('if_match_ok accepts exactly what ifMatchAccepts accepts', async function () {
    const stored = '{"enabled":true}';
    const current = versionOf(stored);
    const headers = [undefined, '*', `"${current}"`, current, `"0000000000000000", "${current}"`, '"0000000000000000"', `W/"${current}"`, 'garbage'];
    const ask = async (header: string | undefined, record: string | null) =>
      (await run('local s = ARGV[2] if ARGV[3] == "0" then s = false end return if_match_ok(s, ARGV[1]) and 1 or 0', [ifMatchArg(parseIfMatch(header)), record ?? '', record === null ? '0' : '1'])) === 1;
    for (const header of headers) {
      const expected = header === undefined || header === '*' || [`"${current}"`, current, `"0000000000000000", "${current}"`].includes(header);
      expect(await ask(header, stored), String(header)).to.equal(expected);
      expect(await ask(header, null), `${String(header)} on a missing record`).to.equal(header === undefined);
    }
  });
});
