/**
 * The benchmark's measuring method (bench/): counted windows, HTTP answer framing, alternating
 * rounds and paired ratios, and the data files both registries of `make bench-peer` load.
 * No figure of a run is asserted here (benchmarks are not tests); only that the method counts,
 * orders and pairs what it says it does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { writeHonoFiles, DEVICE_TENANTS, GATEWAYS } from '../../bench/dataset.js';
import { parseAnswer } from '../../bench/http-client.js';
import { alternate, pairedRatio, summarise, type Run } from '../../bench/measure.js';
import { Recorder } from '../../bench/recorder.js';
import { readHonoDevices, readHonoTenants } from '../../src/cli/transfer-files.js';

const run = (rps: number, cpu = 0): Run => ({ rps, p50: 1, p99: 2, requests: 10, errors: 0, cpuUs: { server: cpu, redis: NaN, client: 0 } });

describe('bench: counted window', () => {
  it('records exactly `requests` answers after `prime` unrecorded ones and reads the counters once at each edge', () => {
    const edges: string[] = [];
    const recorder = new Recorder({ prime: 3, requests: 5 }, '200', (edge) => edges.push(edge));
    for (let i = 0; i < 3; i++) recorder.answer(performance.now(), '200');
    expect(recorder.measuring).to.equal(true);
    for (let i = 0; i < 4; i++) recorder.answer(performance.now(), i === 0 ? '404' : '200');
    expect(recorder.sending).to.equal(true);
    recorder.answer(performance.now(), '200');
    expect(recorder.sending).to.equal(false);
    recorder.answer(performance.now(), '200'); // an answer still in flight when the window closed
    const result = recorder.result();
    expect(result.requests).to.equal(5);
    expect(result.errors).to.equal(1);
    expect(result.statuses).to.deep.equal({ 200: 4, 404: 1 });
    expect(edges).to.deep.equal(['start', 'end']);
  });

  it('opens at once without priming', () => {
    const recorder = new Recorder({ prime: 0, requests: 1 }, '200');
    expect(recorder.measuring).to.equal(true);
  });
});

describe('bench: HTTP answer framing', () => {
  it('waits for the whole Content-Length body and leaves the next answer in the buffer', () => {
    const one = 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello';
    expect(parseAnswer(Buffer.from(one.slice(0, -1)))).to.equal(undefined);
    expect(parseAnswer(Buffer.from(`${one}HTTP/1.1 404`))).to.deep.equal({ length: one.length, status: 200 });
  });

  it('reads chunked bodies to the last chunk and bodiless answers to the head', () => {
    const chunked = 'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
    expect(parseAnswer(Buffer.from(chunked.slice(0, -2)))).to.equal(undefined);
    expect(parseAnswer(Buffer.from(chunked))).to.deep.equal({ length: chunked.length, status: 201 });
    const empty = 'HTTP/1.1 204 No Content\r\n\r\n';
    expect(parseAnswer(Buffer.from(empty))).to.deep.equal({ length: empty.length, status: 204 });
  });
});

describe('bench: alternating rounds', () => {
  it('runs the floors first in even rounds and last, reversed, in odd ones', async () => {
    const order: string[] = [];
    const step = (name: string) => async () => {
      order.push(name);
      return run(order.length);
    };
    const { floors, subjects } = await alternate(2, [step('F1'), step('F2')], [step('S1'), step('S2')]);
    expect(order).to.deep.equal(['F1', 'F2', 'S1', 'S2', 'S2', 'S1', 'F2', 'F1']);
    expect(floors[0]?.rounds.map((r) => r.rps)).to.deep.equal([1, 8]);
    expect(subjects[1]?.rounds.map((r) => r.rps)).to.deep.equal([4, 5]);
  });

  it('pairs the runs of each round: the median of the per-round ratios, not the ratio of the medians', () => {
    const a = summarise([run(100), run(60), run(90)]);
    const b = summarise([run(100), run(100), run(50)]);
    // Per round 1.0, 0.6 and 1.8; the medians alone would give 90 / 100.
    expect(pairedRatio(a, b, (r) => r.rps)).to.equal(1);
    expect(a.rps / b.rps).to.equal(0.9);
  });
});

describe('bench-peer: the data files both registries load', () => {
  it("writes Hono's three files with every device, its credential and the gateways its `via` names", () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-files-'));
    try {
      writeHonoFiles(dir, 12, 250);
      expect(readHonoTenants(join(dir, 'tenants.json'), 32)).to.have.length(12);
      const entries = readHonoDevices(join(dir, 'device-identities.json'), join(dir, 'credentials.json'), 32);
      const devices = entries.filter((e) => e.deviceId.startsWith('dev-'));
      expect(devices).to.have.length(250);
      expect(entries.filter((e) => e.deviceId.startsWith('gw-'))).to.have.length(DEVICE_TENANTS * GATEWAYS);
      for (const entry of devices) {
        expect(entry.credentials.map((c) => (c.record as { 'device-id': string })['device-id'])).to.deep.equal([entry.deviceId]);
        const via = (entry.data as { via?: string[] }).via;
        if (via !== undefined) expect(entries.some((e) => e.tenant === entry.tenant && e.deviceId === via[0])).to.equal(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
