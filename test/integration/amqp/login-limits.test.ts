/**
 * SASL PLAIN under a login flood (issue 12, item 4; docs/reliability.md): unknown users cost no
 * bcrypt, an address with too many logins in progress or failures is refused with sys-temp before
 * any hashing, bcrypt checks queue with a small concurrency so that legitimate logins and HTTP
 * password hashing go on, and the check of a client that has left is dropped. Outcomes are
 * asserted, not times.
 */
import { expect } from 'chai';
import { SASL, saslPlain } from '../../helpers/amqp-raw.js';
import { sample } from '../../helpers/metrics.js';
import { http } from '../../helpers/registry.js';
import { expectAnswer, registerDevice, TENANT, useAmqpRegistry } from './support.js';

const ADAPTER = { name: 'adapter@HONO', password: 'adapter-secret' };
const VICTIM = 'victim@HONO';
const LATE = { name: 'late@HONO', password: 'late-secret' };
/** Clients on other loopback addresses than the flood's 127.0.0.1. */
const address = (n: number) => `127.0.0.${n}`;

describe('AMQP logins under a flood of attempts', function () {
  this.timeout(120_000);
  const accounts = Object.fromEntries(
    [ADAPTER, { name: VICTIM, password: 'victim-secret' }, LATE].map((u) => [u.name, { password: u.password, authorities: ['protocol-adapter'] }]),
  );
  // Cost 10, as in production: every check costs tens of milliseconds of a libuv thread.
  const suite = useAmqpRegistry({ REGISTRY_AMQP_LOGIN_CONCURRENCY: '1', REGISTRY_LOG_LEVEL: 'info' }, { accounts, bcryptCost: 10 });

  const compares = async () => sample((await suite.registry.registry.metrics.exposition()).text, 'registry_bcrypt_duration_seconds_count', { operation: 'compare' });

  it('logs a client in and hashes an HTTP pwd-plain secret while 200 clients of one address flood it, and refuses the flood with sys-temp', async function () {
    await registerDevice(suite.base, TENANT, 'flood-device');
    const outcomes: (number | 'closed')[] = [];
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i++) {
        // Unknown users and wrong passwords of a known one, alternately.
        const user = (w + i) % 2 === 0 ? `nobody-${w}-${i}` : VICTIM;
        outcomes.push(await saslPlain(suite.port, user, `wrong-${w}-${i}`));
      }
    };
    const flood = Promise.all(Array.from({ length: 200 }, (_, w) => worker(w)));
    try {
      const client = await suite.client({ username: ADAPTER.name, password: ADAPTER.password, localAddress: address(2), connectTimeoutMs: 30_000 });
      expectAnswer(await client.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT } }), 200);
      const secret = { 'device-id': 'flood-device', type: 'hashed-password', 'auth-id': 'flood-device', secrets: [{ 'pwd-plain': 'device-secret' }] };
      const created = await http(suite.base, 'POST', `/credentials/${TENANT}`, secret);
      expect(created.status, created.text).to.equal(201);
    } finally {
      stop = true;
      await flood;
    }
    const counts = new Map<number | 'closed', number>();
    for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
    expect([...counts.keys()].every((o) => o === SASL.auth || o === SASL.sysTemp), JSON.stringify([...counts])).to.equal(true);
    expect(counts.get(SASL.sysTemp) ?? 0, 'attempts refused before any hashing').to.be.above(0);
    const refused = (await suite.registry.registry.metrics.exposition()).text;
    expect(sample(refused, 'registry_amqp_login_refused_total', { reason: 'address-busy' }) + sample(refused, 'registry_amqp_login_refused_total', { reason: 'address-failures' })).to.equal(counts.get(SASL.sysTemp));
  });

  it('answers unknown users without any bcrypt work', async function () {
    const before = await compares();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => saslPlain(suite.port, `stranger-${i}`, 'guess', { localAddress: address(10 + i) })));
    expect(results).to.deep.equal(Array(10).fill(SASL.auth));
    expect((await compares()) - before).to.equal(0);
  });

  it('drops the queued checks of clients that left before their turn', async function () {
    const before = await compares();
    // 30 wrong passwords (distinct, so each needs its own check) from 30 addresses; each client leaves at once.
    await Promise.all(Array.from({ length: 30 }, (_, i) => saslPlain(suite.port, VICTIM, `gone-${i}`, { localAddress: address(40 + i), leave: true })));
    // A login queued behind them: once it is answered, every check before it has run or been dropped.
    expect(await saslPlain(suite.port, LATE.name, LATE.password, { localAddress: address(99) })).to.equal(SASL.ok);
    const ran = (await compares()) - before - 1;
    expect(ran, 'checks run for clients that had left').to.be.below(5);
  });
});
