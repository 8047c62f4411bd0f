/**
 * Every key a Lua script touches is declared in KEYS: Redis Cluster routes a script by its
 * declared keys, so a key built inside the script (from ARGV or a stored value) could live on
 * another master. Checked on the script sources: the key argument of every redis.call, and of
 * every call of a helper that takes keys, must be KEYS[i] with i ≤ numberOfKeys (inside a helper,
 * its key parameter). The run on a real cluster (make test-cluster) checks that the declared keys
 * share one slot. An announcing script (lua/outbox.ts) also touches its slot's outbox, `OUTBOX`,
 * which the runner passes as KEYS[numberOfKeys + 1].
 */
import { expect } from 'chai';
import * as credentials from '../../../src/store/lua/credentials-scripts.js';
import * as devices from '../../../src/store/lua/device-scripts.js';
import * as scripts from '../../../src/store/lua/scripts.js';
import * as outbox from '../../../src/store/lua/outbox.js';
import * as security from '../../../src/store/lua/security-scripts.js';
import * as tenants from '../../../src/store/lua/tenant-scripts.js';
import * as transfer from '../../../src/store/lua/transfer-scripts.js';
import type { LuaScript } from '../../../src/store/lua/scripts.js';

const all = Object.values({ ...scripts, ...credentials, ...tenants, ...security, ...devices, ...transfer, ...outbox }).filter((v): v is LuaScript => typeof v === 'object' && v !== null && 'source' in v);

/** The helpers' key parameters (`k[i]`: the index keys handed to index_device as a table), and how many leading arguments of a helper call are keys. */
const HELPER_KEY_PARAMETERS = new Set(['key', 'index', 'tenant_cas', 'tenants', 'shared', 'aliases', 'OUTBOX', 'k[1]', 'k[2]', 'k[3]', 'k[4]']);
const HELPER_KEY_ARGUMENTS: Record<string, number> = {
  index_add: 1, index_remove: 1, search_add: 1, search_remove: 1, ca_conflict: 3, ca_release: 3, ca_claim: 3, group_of: 1, other_owner: 2, alias_conflict: 1, alias_move: 1,
};

/** The code of the script itself, without the helper definitions prepended to it. */
function body(source: string): string {
  return source.replace(/local function \w+\([^)]*\)[\s\S]*?\nend\n/g, '');
}

describe('Lua scripts declare every key they touch', function () {
  it('finds the scripts', function () {
    expect(all.length).to.be.greaterThan(15);
  });

  for (const script of all) {
    const declared = script.numberOfKeys + (script.announces === true ? 1 : 0);
    it(`${script.name}: every key is KEYS[1..${declared}]`, function () {
      const code = body(script.source);
      const used = [...script.source.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
      expect(Math.max(0, ...used), 'highest KEYS index').to.be.at.most(declared);
      for (const call of code.matchAll(/redis\.call\('(\w+)'(?:,\s*([^,)]+))?/g)) {
        const [text, command, key] = call;
        if (command === 'TIME') continue;
        expect(key, text).to.match(script.announces === true ? /^(KEYS\[\d+\]|OUTBOX)$/ : /^KEYS\[\d+\]$/);
      }
      // index_device takes its keys as a table: every element must be KEYS[i].
      for (const call of code.matchAll(/\bindex_device\(\{([^}]*)\}/g)) {
        for (const arg of (call[1] as string).split(',').map((a) => a.trim())) expect(arg, call[0]).to.match(/^KEYS\[\d+\]$/);
      }
      for (const [helper, count] of Object.entries(HELPER_KEY_ARGUMENTS)) {
        for (const call of code.matchAll(new RegExp(`\\b${helper}\\(([^)]*)\\)`, 'g'))) {
          const args = (call[1] as string).split(',').map((a) => a.trim());
          for (const arg of args.slice(0, count)) expect(arg, call[0]).to.match(/^KEYS\[\d+\]$/);
        }
      }
    });
  }

  it('the helpers touch only their key parameters (or KEYS[i])', function () {
    const helpers = [...new Set(all.flatMap((s) => [...s.source.matchAll(/local function \w+\([^)]*\)[\s\S]*?\nend\n/g)].map((m) => m[0])))];
    expect(helpers.length).to.be.greaterThan(3);
    for (const helper of helpers) {
      for (const call of helper.matchAll(/redis\.call\('(\w+)'(?:,\s*([^,)]+))?/g)) {
        if (call[1] === 'TIME') continue;
        const key = call[2] as string;
        expect(HELPER_KEY_PARAMETERS.has(key) || /^KEYS\[\d+\]$/.test(key), call[0]).to.equal(true);
      }
    }
  });
});
