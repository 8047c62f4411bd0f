/**
 * The device library of the Lua scripts (store/lua/device-lib.ts) on a real Redis: its index
 * entries are those of the TypeScript leaf rules (model/device-index.ts) for the same records, its
 * times are JavaScript's ISO times, and the status it writes keeps what it must.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { deviceIndexEntries, INDEX_LIMITS } from '../../../src/model/device-index.js';
import { INDEX_LUA, STATUS_LUA, TIME_LUA } from '../../../src/store/lua/device-lib.js';
import { sharedRedis } from '../../helpers/root-hooks.js';

const deep = (n: number): Record<string, unknown> => (n === 0 ? { leaf: 'x' } : { [`l${n}`]: deep(n - 1) });

const RECORDS: Record<string, unknown>[] = [
  {},
  { enabled: true },
  { enabled: false, via: 'gw-1', ep: 'IMEI4711', ext: { brand: 'acme', count: 15, ratio: 0.5, nothing: null } },
  { enabled: true, via: ['gw-1', 'gw-2', 'gw-1'], viaGroups: ['g1'], memberOf: [], authorities: ['auto-provisioning-enabled'] },
  { memberOf: ['g1', 'g2'], 'command-endpoint': { uri: 'https://x/{{deviceId}}', headers: { a: 'b' } } },
  { ep: 'top', ext: { ep: 'inner', 'a/b': 'slash', 't~x': 'tilde' } },
  { ext: 'not an object', other: 1 },
  { ext: [], other: 2 },
  { ext: ['a', 'b'], other: 3 },
  { status: { created: '2025-01-01T00:00:00.000Z', updated: '2025-01-02T00:00:00.000Z', 'last-user': 'tok_1', 'auto-provisioned': true } },
  { ext: { big: 2 ** 53, bigger: 2 ** 53 + 2, neg: -42, zero: 0, float: 1.25, exp: 1e21 } },
  { ext: { unicode: 'Ünïcødé 😀', empty: '', arr: [1, true, 'x', null] } },
  { ext: { long: 'x'.repeat(INDEX_LIMITS.valueBytes) } },
  { ext: { tooLong: 'x'.repeat(INDEX_LIMITS.valueBytes + 1) } },
  { ext: { nul: 'a\u0000b' } },
  { ext: { objects: [{ a: 1 }] } },
  { ext: { nested: [[1]] } },
  { ext: deep(INDEX_LIMITS.depth - 3) },
  { ext: deep(INDEX_LIMITS.depth - 1) },
  { ext: Object.fromEntries(Array.from({ length: INDEX_LIMITS.leaves }, (_, i) => [`k${i}`, i])) },
  { ext: Object.fromEntries(Array.from({ length: INDEX_LIMITS.leaves + 1 }, (_, i) => [`k${i}`, i])) },
  { ext: { dup: ['same', 'same'] }, via: [] },
];

describe('the Lua device library on a real Redis', function () {
  let redis: Redis;

  before(async function () {
    redis = new Redis((await sharedRedis()).url, { maxRetriesPerRequest: 1 });
  });

  after(() => redis.quit());

  it('derives from every record the index entries the TypeScript leaf rules derive', async function () {
    const script = `${INDEX_LUA}
local out = device_entries(ARGV[1], ARGV[2])
table.sort(out.members)
return {out.complete and 1 or 0, out.members, out.via}`;
    for (const record of RECORDS) {
      const json = JSON.stringify(record);
      const [complete, members, via] = (await redis.eval(script, 0, 'dev:1', json)) as [number, string[], string[]];
      const expected = deviceIndexEntries('dev:1', record);
      expect({ complete: complete === 1, members, via }, json.slice(0, 80)).to.deep.equal({ complete: expected.complete, members: [...expected.members].sort(), via: expected.via });
    }
  });

  it('writes times as toISOString does, across years, leap days and the end of a day', async function () {
    const samples = [0, 951782400000, 951868799999, 1709164800123, 4102444799999, Date.UTC(2026, 11, 31, 23, 59, 59, 7), 253402300799999];
    for (const ms of samples) expect(await redis.eval(`${TIME_LUA}\nreturn iso_time(tonumber(ARGV[1]))`, 0, String(ms))).to.equal(new Date(ms).toISOString());
  });

  it('keeps created and the auto-provisioning flags, sets updated and last-user, and never stores the same bytes again', async function () {
    const record = async (old: string | false, body: string, user: string, provisioned = false) =>
      String(await redis.eval(`${STATUS_LUA}\nlocal old = ARGV[1] if ARGV[4] == '0' then old = false end return device_record(old, ARGV[2], ARGV[3], ARGV[5] == '1')`, 0, old || '', body, user, old ? '1' : '0', provisioned ? '1' : '0'));
    const created = JSON.parse(await record(false, '{"enabled":true}', 'tok_a', true)) as { status: Record<string, unknown> };
    expect(Object.keys(created.status)).to.deep.equal(['created', 'last-user', 'auto-provisioned']);
    expect(created.status['last-user']).to.equal('tok_a');
    const first = await record(JSON.stringify(created), '{}', 'amqp:adapter/1');
    const updated = JSON.parse(first) as { status: Record<string, unknown> };
    expect(updated).to.deep.equal({ status: { created: created.status.created, updated: updated.status.updated, 'last-user': 'amqp:adapter/1', 'auto-provisioned': true } });
    // The same write again: never the same bytes, so the version changes on every write.
    let previous = first;
    for (let i = 0; i < 20; i++) {
      const next = await record(previous, '{}', 'amqp:adapter/1');
      expect(next).to.not.equal(previous);
      previous = next;
    }
    // A record stored before devices had a status gets no created.
    expect(Object.keys((JSON.parse(await record('{"enabled":true}', '{"enabled":false}', 'tok_b')) as { status: object }).status)).to.deep.equal(['updated', 'last-user']);
  });
});
