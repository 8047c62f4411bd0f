/**
 * The result model of a benchmark run and its markdown rendering.
 */
import { median } from './stats.js';

/** One measured run (AMQP or HTTP), with the CPU the processes used in its window. */
export interface Run {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly errors: number;
  /** CPU per request (µs) of the server process, Redis and the load client (AMQP only). */
  readonly cpuUs: { readonly server: number; readonly redis: number; readonly client: number };
  readonly statuses?: Readonly<Record<string, number>>;
}

/** Medians over the rounds of one measured thing. */
export interface Summary {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly cpuUs: { readonly server: number; readonly redis: number; readonly client: number };
  readonly rounds: readonly Run[];
}

export function summarise(runs: readonly Run[]): Summary {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    cpuUs: {
      server: median(runs.map((r) => r.cpuUs.server)),
      redis: median(runs.map((r) => r.cpuUs.redis)),
      client: median(runs.map((r) => r.cpuUs.client)),
    },
    rounds: runs,
  };
}

export interface AmqpRow {
  readonly op: string;
  readonly connections: number;
  readonly inFlight: number;
  readonly registry: Summary;
  readonly floor: Summary;
  readonly rpsRatio: number;
  readonly p99Ratio: number;
  readonly target: string;
  readonly met: boolean;
}

export interface HttpRow {
  readonly route: string;
  readonly registry: Summary;
  readonly floor: Summary;
  readonly rpsRatio: number;
  readonly target: string;
  readonly met: boolean | undefined;
}

export interface ScaleRow {
  readonly devices: number;
  readonly op: string;
  /** At BENCH_IN_FLIGHT requests in flight over one connection. */
  readonly loaded: Summary;
  /** One request at a time. */
  readonly single: Summary;
  readonly floorRps: number;
  readonly floorP50: number;
  /** Against the first (base) scale: rps and p99 at BENCH_IN_FLIGHT. */
  readonly rpsVsBase: number;
  readonly p99VsBase: number;
}

export interface MemoryRow {
  readonly devices: number;
  readonly usedMemory: number;
  /** Growth of used_memory during this load step, per device added. */
  readonly stepBytesPerDevice: number;
  /** All load steps up to here, per device. */
  readonly bytesPerDevice: number;
}

export interface BulkRow {
  readonly what: string;
  readonly method: string;
  readonly devices: number;
  readonly seconds: number;
  readonly perSecond: number;
}

export interface TargetRow {
  readonly target: string;
  readonly figure: string;
  readonly met: boolean | undefined;
}

/** The echo floor against the echo floor doing one Redis GET per request (a reference, no target). */
export interface ReferenceRow {
  readonly connections: number;
  readonly inFlight: number;
  readonly floor: Summary;
  readonly floorGet: Summary;
  readonly rpsRatio: number;
  readonly p99Ratio: number;
}

export interface Results {
  readonly machine: Record<string, unknown>;
  readonly options: Record<string, unknown>;
  readonly amqp: readonly AmqpRow[];
  /** Absent in results written before it was measured. */
  readonly amqpReference?: readonly ReferenceRow[];
  readonly http: readonly HttpRow[];
  readonly scale: readonly ScaleRow[];
  readonly skippedScales: readonly number[];
  readonly memory: readonly MemoryRow[];
  readonly bulk: readonly BulkRow[];
  readonly targets: readonly TargetRow[];
  readonly elapsedSeconds: number;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const ms = (n: number) => (Number.isFinite(n) ? (n < 1 ? n.toFixed(3) : n < 10 ? n.toFixed(2) : n.toFixed(1)) : '–');
const x = (n: number) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');
const us = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '–');
const mark = (met: boolean | undefined) => (met === undefined ? '' : met ? '✅' : '❌');
const errs = (s: Summary) => (s.errors > 0 ? ` ⚠${s.errors} err` : '');

/** req/s, p50, p99 of the registry and of the floor, and the req/s ratio. */
const againstFloor = (registry: Summary, floor: Summary, rpsRatio: number) => [
  int(registry.rps), ms(registry.p50), ms(registry.p99), int(floor.rps) + errs(floor), ms(floor.p50), ms(floor.p99), x(rpsRatio),
];

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderMarkdown(r: Results): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`## Registry benchmark — ${String(m.date)}`);
  out.push('');
  const load = m.loadAverage as { start: number; end: number } | undefined;
  out.push(
    table(
      ['CPU', 'cores', 'RAM', 'OS', 'Node', 'Redis', 'load avg (1 min) start / end', 'run time'],
      [[String(m.cpuModel), String(m.cpus), `${String(m.memoryGiB)} GiB`, String(m.os), String(m.node), String(m.redis), load === undefined ? '–' : `${load.start.toFixed(1)} / ${load.end.toFixed(1)}`, `${r.elapsedSeconds.toFixed(0)} s`]],
    ),
  );
  out.push('');
  if (r.options.smoke === true) out.push('**SMOKE RUN: the figures mean nothing.**\n');
  out.push(`Medians of ${String(r.options.rounds)} rounds (scale steps: ${String(r.options.scaleRounds)}) alternating registry and floor; latencies in ms as seen by the load client; CPU in µs per request (registry or floor process / Redis / load client). ${r.options.pinned === true ? 'Runs under load pinned (BENCH_PIN): the server under test alone on core 0, the load client and Redis on core 1; single requests unpinned.' : 'Not pinned: every process on every core.'}`);
  out.push('');
  out.push(`### AMQP 1.0 (base set: ${int(r.options.baseDevices as number)} devices, ${String(r.options.tenants)} tenants; floor = bare rhea echo server, same client)`);
  out.push('');
  out.push(
    table(
      ['operation', 'conns × in flight', 'req/s', 'p50', 'p99', 'floor req/s', 'floor p50', 'floor p99', 'req/s ratio', 'p99 ratio', 'CPU µs reg/redis/client', 'floor CPU µs srv/client', 'target', ''],
      r.amqp.map((row) => [
        row.op + errs(row.registry),
        `${row.connections} × ${row.inFlight}`,
        ...againstFloor(row.registry, row.floor, row.rpsRatio),
        x(row.p99Ratio),
        `${us(row.registry.cpuUs.server)} / ${us(row.registry.cpuUs.redis)} / ${us(row.registry.cpuUs.client)}`,
        `${us(row.floor.cpuUs.server)} / ${us(row.floor.cpuUs.client)}`,
        row.target,
        mark(row.met),
      ]),
    ),
  );
  out.push('');
  if (r.amqpReference !== undefined && r.amqpReference.length > 0) {
    out.push('Reference (no target): the echo floor doing one Redis GET before each answer, i.e. the floor plus the one Redis round trip every lookup needs, measured in the same rounds:');
    out.push('');
    out.push(
      table(
        ['conns × in flight', 'req/s', 'p50', 'p99', 'floor req/s', 'floor p50', 'floor p99', 'req/s ratio', 'p99 ratio', 'CPU µs srv/redis/client'],
        r.amqpReference.map((row) => [
          `${row.connections} × ${row.inFlight}`,
          ...againstFloor(row.floorGet, row.floor, row.rpsRatio),
          x(row.p99Ratio),
          `${us(row.floorGet.cpuUs.server)} / ${us(row.floorGet.cpuUs.redis)} / ${us(row.floorGet.cpuUs.client)}`,
        ]),
      ),
    );
    out.push('');
  }
  out.push(`### HTTP management API (wrk, ${String(r.options.httpConnections)} connections; floor = bare Koa route doing one Redis GET)`);
  out.push('');
  out.push(
    table(
      ['route', 'req/s', 'p50', 'p99', 'floor req/s', 'floor p50', 'floor p99', 'req/s ratio', 'CPU µs reg/redis', 'floor CPU µs koa/redis', 'target', ''],
      r.http.map((row) => [
        row.route + errs(row.registry),
        ...againstFloor(row.registry, row.floor, row.rpsRatio),
        `${us(row.registry.cpuUs.server)} / ${us(row.registry.cpuUs.redis)}`,
        `${us(row.floor.cpuUs.server)} / ${us(row.floor.cpuUs.redis)}`,
        row.target,
        mark(row.met),
      ]),
    ),
  );
  out.push('');
  out.push(`### Scale (AMQP lookups, 1 connection; keys drawn from all devices; base row = the AMQP runs above)`);
  out.push('');
  out.push(
    table(
      ['devices', 'operation', `req/s (${String(r.options.inFlight)} in flight)`, 'p99', 'p50 (1 in flight)', 'req/s vs base', 'p99 vs base', 'floor req/s', 'floor p50', 'CPU µs reg/redis'],
      r.scale.map((row) => [
        int(row.devices),
        row.op + errs(row.loaded) + errs(row.single),
        int(row.loaded.rps),
        ms(row.loaded.p99),
        ms(row.single.p50),
        x(row.rpsVsBase),
        x(row.p99VsBase),
        int(row.floorRps),
        ms(row.floorP50),
        `${us(row.loaded.cpuUs.server)} / ${us(row.loaded.cpuUs.redis)}`,
      ]),
    ),
  );
  if (r.skippedScales.length > 0) out.push(`\nNot reached within BENCH_BUDGET_S: ${r.skippedScales.map(int).join(', ')} devices.`);
  out.push('');
  out.push('### Redis memory (INFO memory used_memory; device = registration + one hashed-password credential + index entry)');
  out.push('');
  out.push(
    table(
      ['devices', 'used_memory', 'bytes/device (this step)', 'bytes/device (all steps)'],
      r.memory.map((row) => [int(row.devices), `${(row.usedMemory / 1048576).toFixed(1)} MiB`, int(row.stepBytesPerDevice), int(row.bytesPerDevice)]),
    ),
  );
  out.push('');
  out.push(`### Bulk loading of devices with one credential (import path; the per-device store paths with ${String(r.options.loadConcurrency)} devices in flight, for comparison)`);
  out.push('');
  out.push(table(['load', 'path', 'devices', 'seconds', 'devices/s'], r.bulk.map((row) => [row.what, row.method, int(row.devices), row.seconds.toFixed(1), int(row.perSecond)])));
  out.push('');
  out.push('### Targets');
  out.push('');
  out.push(table(['target', 'measured', ''], r.targets.map((t) => [t.target, t.figure, mark(t.met)])));
  out.push('');
  return out.join('\n');
}
