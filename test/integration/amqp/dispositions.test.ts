/**
 * The rhea 3.0.5 disposition trap (src/amqp/rhea-patches/dispositions.ts): rhea batches the
 * dispositions of consecutive deliveries in `write_dispositions` (lib/session.js) and, when a run
 * starts with a single delivery, skips the outcome comparison — so under load a rejection right
 * after one acceptance went out as "accepted" (the client waits for an answer that never comes) and
 * an acceptance right after one rejection went out as "rejected". Mixed valid and invalid requests
 * on one link, many in flight, must each get their own outcome. The client is an unpatched rhea.
 */
import { expect } from 'chai';
import type { RequestLink, Response } from '../../helpers/amqp-client.js';
import { registerDevice, TENANT, useAmqpRegistry } from './support.js';

const REG = `registration/${TENANT}`;
/** Bound on the wait for each answer (not a speed requirement). */
const BOUND_MS = 3000;

/** Accept/reject patterns repeated through a wave; A = valid assert, R = formally invalid (no device_id). */
const PATTERNS = ['ARA', 'RA', 'AR', 'RRA', 'AAR', 'RARA', 'ARRA', 'R', 'A'];

function plan(rejections: number): boolean[] {
  const valid: boolean[] = [];
  let r = 0;
  for (let i = 0; r < rejections; i++) {
    for (const c of PATTERNS[i % PATTERNS.length] as string) {
      if (c === 'R') {
        if (r === rejections) continue;
        r++;
      }
      valid.push(c === 'A');
    }
  }
  return valid;
}

describe('AMQP dispositions under load (rhea disposition batching)', function () {
  this.timeout(120_000);
  const suite = useAmqpRegistry();

  async function runWaves(link: RequestLink, valid: readonly boolean[], inFlight: number): Promise<{ sent: number; problems: string[] }> {
    const problems: string[] = [];
    let sent = 0;
    for (let start = 0; start < valid.length && problems.length === 0; start += inFlight) {
      // a whole wave is written at once, so the registry settles it in one batch of dispositions
      const wave = valid.slice(start, start + inFlight).map((ok, k) => {
        const i = start + k;
        const request = ok
          ? link.request({ subject: 'assert', applicationProperties: { device_id: `dev-${i % 5}` }, messageId: `ok-${i}` }, { timeoutMs: BOUND_MS })
          : link.request({ subject: 'assert', applicationProperties: { other: i }, messageId: `bad-${i}` }, { timeoutMs: BOUND_MS });
        return request.then(
          (res: Response) => {
            if (ok && res.rejected !== undefined) return `#${i} (valid) was rejected: ${res.rejected.condition}`;
            if (ok && res.status !== 200) return `#${i} (valid) answered ${res.status}`;
            if (ok && (res.body as { 'device-id'?: string } | undefined)?.['device-id'] !== `dev-${i % 5}`) return `#${i} (valid) got another answer`;
            if (!ok && res.rejected?.condition !== 'hono:bad-request') return `#${i} (invalid) not rejected with hono:bad-request: ${JSON.stringify(res.rejected ?? res.status)}`;
            return undefined;
          },
          (err: Error) => `#${i} (${ok ? 'valid' : 'invalid'}): ${err.message}`,
        );
      });
      sent += wave.length;
      for (const p of await Promise.all(wave)) if (p !== undefined) problems.push(p);
    }
    return { sent, problems };
  }

  it('gives every one of 600 interleaved invalid requests its rejection and every valid one its answer (100 in flight)', async function () {
    for (let i = 0; i < 5; i++) await registerDevice(suite.base, TENANT, `dev-${i}`);
    const client = await suite.client();
    const link = await client.link(REG);
    const valid = plan(600);
    expect(valid.filter((v) => !v)).to.have.length(600);
    const { sent, problems } = await runWaves(link, valid, 100);
    expect(problems, `${problems.length} wrong outcomes after ${sent} requests, e.g.\n${problems.slice(0, 5).join('\n')}`).to.deep.equal([]);
    expect(sent).to.equal(valid.length);
    // the link keeps working (every request returned its credit)
    const last = await link.request({ subject: 'assert', applicationProperties: { device_id: 'dev-0' } }, { timeoutMs: BOUND_MS });
    expect(last.status).to.equal(200);
  });

  it('keeps strict alternation (accept-reject-accept…) apart on one link, many in flight', async function () {
    for (let i = 0; i < 5; i++) await registerDevice(suite.base, TENANT, `dev-${i}`);
    const client = await suite.client();
    const link = await client.link(REG);
    const alternating = Array.from({ length: 400 }, (_, i) => i % 2 === 0);
    const { problems } = await runWaves(link, alternating, 100);
    expect(problems, problems.slice(0, 5).join('\n')).to.deep.equal([]);
    const startingWithReject = Array.from({ length: 400 }, (_, i) => i % 2 === 1);
    expect((await runWaves(link, startingWithReject, 99)).problems.slice(0, 5)).to.deep.equal([]);
  });
});
