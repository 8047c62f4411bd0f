/**
 * HTTP load with wrk for `make bench-ab` (two builds loaded at the same time, timed windows): a Lua
 * script picks random keys and its `done` hook prints the figures as JSON. `make bench` and
 * `make bench-peer` use the counted client of http-client.ts instead.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEVICE_TENANTS } from './dataset.js';
import type { LoadFigures } from './stats.js';

const DONE = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests":%d,"duration_us":%d,"p50":%.1f,"p90":%.1f,"p99":%.1f,"max":%.1f,"mean":%.1f,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    e.status, e.connect, e.read, e.write, e.timeout))
end
`;

const THREAD_IDS = `
local next_thread = 0
setup = function(thread)
  next_thread = next_thread + 1
  thread:set("tid", next_thread)
end
`;

/** GET /registration/{t}/{d} with a random device of the first `devices`. */
export function getRegistrationScript(devices: number): string {
  return `${THREAD_IDS}
init = function(args) math.randomseed(os.time() * 1000 + (tid or 0)) end
request = function()
  local i = math.random(0, ${devices - 1})
  return wrk.format("GET", "/registration/bench-t" .. (i % ${DEVICE_TENANTS}) .. "/dev-" .. i)
end
${DONE}`;
}

/** Runs wrk for `durationMs` (rounded up to whole seconds) against `baseUrl`. */
export async function runWrk(baseUrl: string, script: string, connections: number, durationMs: number): Promise<LoadFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'registry-bench-wrk-'));
  const file = join(dir, 'script.lua');
  writeFileSync(file, script);
  const seconds = Math.max(1, Math.ceil(durationMs / 1000));
  try {
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', file, baseUrl], { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.once('error', (err) => reject(new Error(`cannot run wrk (install it: apt-get install wrk): ${err.message}`)));
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
    });
    const line = output.split('\n').find((l) => l.startsWith('BENCH_JSON '));
    if (line === undefined) throw new Error(`wrk printed no figures:\n${output}`);
    const r = JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, number>;
    const durationMsReal = (r.duration_us as number) / 1000;
    const us = (v: number | undefined) => (v ?? NaN) / 1000;
    return {
      requests: r.requests as number,
      durationMs: durationMsReal,
      rps: ((r.requests as number) * 1000) / durationMsReal,
      p50: us(r.p50),
      p90: us(r.p90),
      p99: us(r.p99),
      max: us(r.max),
      mean: us(r.mean),
      errors: (r.status as number) + (r.connect as number) + (r.read as number) + (r.write as number) + (r.timeout as number),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
