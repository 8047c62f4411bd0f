/**
 * The result model of a `make bench` run and its markdown rendering (the measuring model is in
 * measure.ts).
 */
import type { Summary } from './measure.js';
import type { GroupRow } from './groups.js';
import type { SearchResults } from './search.js';
import { fmt, machineTable, table, type Machine } from './markdown.js';

/** One AMQP lookup at one concurrency, against the floors of the same rounds. */
export interface AmqpRow {
  readonly op: string;
  readonly connections: number;
  readonly inFlight: number;
  readonly registry: Summary;
  /** Paired ratios (median over the rounds): registry req/s ÷ bare echo, ÷ echo + GET. */
  readonly rpsVsEcho: number;
  readonly rpsVsEchoGet: number;
  /** Registry CPU per lookup ÷ the echo + GET server's. */
  readonly cpuVsEchoGet: number;
  /** Registry p50 ÷ the echo + GET server's. */
  readonly p50VsEchoGet: number;
  readonly target: string;
  readonly met: boolean;
}

/** The AMQP floors at one concurrency: bare rhea echo and echo + one Redis GET. */
export interface AmqpFloorRow {
  readonly connections: number;
  readonly inFlight: number;
  readonly echo: Summary;
  readonly echoGet: Summary;
  /** echo + GET req/s ÷ bare echo (paired). */
  readonly rpsRatio: number;
}

export interface HttpRow {
  readonly route: string;
  readonly registry: Summary;
  /** Paired ratios against the Koa + one GET floor. */
  readonly rpsVsFloor: number;
  readonly cpuVsFloor: number;
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
  /** The echo + GET floor of the same rounds (loaded, single). */
  readonly floorLoaded: Summary;
  readonly floorSingle: Summary;
  /** Registry req/s ÷ the floor's at this step, divided by the same at the base step. */
  readonly rpsVsBase: number;
  /** Registry CPU per lookup here ÷ at the base step (loaded runs). */
  readonly cpuVsBase: number;
  /** Registry p99 ÷ the floor's here, divided by the same at the base step. */
  readonly p99VsBase: number;
}

export interface MemoryRow {
  readonly devices: number;
  readonly usedMemory: number;
  /** Growth of used_memory during this load step, per device added. */
  readonly stepBytesPerDevice: number;
  /** All load steps up to here, per device. */
  readonly bytesPerDevice: number;
  /** MEMORY USAGE of the registry's keys by kind (src/store/keys.ts), per device. */
  readonly kinds: Readonly<Record<string, number>>;
  /** Per device, of the kinds not in the base layout (e.g. search indexes): reported apart. */
  readonly apartBytesPerDevice: number;
  /** Bytes of the /v1 `status` text in a device record (part of the `devices` kind), on average. */
  readonly statusBytesPerDevice?: number;
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

export interface Results {
  readonly machine: Machine;
  readonly options: Record<string, unknown>;
  readonly amqp: readonly AmqpRow[];
  readonly amqpFloors: readonly AmqpFloorRow[];
  readonly httpFloor: Summary | undefined;
  readonly http: readonly HttpRow[];
  readonly scale: readonly ScaleRow[];
  readonly skippedScales: readonly number[];
  readonly memory: readonly MemoryRow[];
  readonly bulk: readonly BulkRow[];
  /** The /v1 searches (absent in results of runs before they existed). */
  readonly search?: SearchResults;
  /** The AMQP assert through a gateway in via and through a gateway group (absent in older results). */
  readonly groups?: readonly GroupRow[];
  readonly targets: readonly TargetRow[];
  readonly elapsedSeconds: number;
}

const { int, ms, x, us, mark, errs, cpu } = fmt;

function amqpSection(r: Results): string[] {
  const o = r.options;
  return [
    `### AMQP 1.0 lookups (${int(o.baseDevices as number)} devices, ${String(o.tenants)} tenants)`,
    '',
    table(
      ['operation', 'conns × in flight', 'req/s', 'p50', 'p99', 'CPU µs reg / redis / client', 'req/s ÷ echo', 'req/s ÷ echo+GET', 'CPU ÷ echo+GET', 'p50 ÷ echo+GET', 'target', ''],
      r.amqp.map((row) => [
        row.op + errs(row.registry), `${row.connections} × ${row.inFlight}`, int(row.registry.rps), ms(row.registry.p50), ms(row.registry.p99), cpu(row.registry),
        x(row.rpsVsEcho), x(row.rpsVsEchoGet), x(row.cpuVsEchoGet), x(row.p50VsEchoGet), row.target, mark(row.met),
      ]),
    ),
    '',
    'The floors of the same rounds: a bare rhea echo server (ratio 1) and the same echo doing one Redis GET per request (the one round trip every lookup needs):',
    '',
    table(
      ['conns × in flight', 'floor', 'req/s', 'p50', 'p99', 'CPU µs srv / redis / client', 'req/s ÷ echo'],
      r.amqpFloors.flatMap((row) => [
        [`${row.connections} × ${row.inFlight}`, 'bare echo' + errs(row.echo), int(row.echo.rps), ms(row.echo.p50), ms(row.echo.p99), cpu(row.echo), '1.00×'],
        [`${row.connections} × ${row.inFlight}`, 'echo + GET' + errs(row.echoGet), int(row.echoGet.rps), ms(row.echoGet.p50), ms(row.echoGet.p99), cpu(row.echoGet), x(row.rpsRatio)],
      ]),
    ),
    '',
  ];
}

function httpSection(r: Results): string[] {
  const floor = r.httpFloor;
  const floorRow = floor === undefined ? [] : [['Koa + one GET (floor)' + errs(floor), int(floor.rps), ms(floor.p50), ms(floor.p99), cpu(floor), '1.00×', '1.00×', '', '']];
  return [
    `### HTTP management API (${String(r.options.httpConnections)} keep-alive connections)`,
    '',
    table(
      ['route', 'req/s', 'p50', 'p99', 'CPU µs srv / redis / client', 'req/s ÷ floor', 'CPU ÷ floor', 'target', ''],
      [...floorRow, ...r.http.map((row) => [row.route + errs(row.registry), int(row.registry.rps), ms(row.registry.p50), ms(row.registry.p99), cpu(row.registry), x(row.rpsVsFloor), x(row.cpuVsFloor), row.target, mark(row.met)])],
    ),
    '',
  ];
}

function scaleSection(r: Results): string[] {
  const out = [
    `### Scale (1 connection; keys drawn from all devices; the base step is the AMQP rounds above)`,
    '',
    table(
      ['devices', 'operation', `req/s (${String(r.options.inFlight)} in flight)`, 'p99', 'CPU µs reg / redis', 'p50 (1 in flight)', 'floor req/s', 'floor p50', 'req/s vs base (÷ floor)', 'CPU vs base', 'p99 vs base (÷ floor)'],
      r.scale.map((row) => [
        int(row.devices), row.op + errs(row.loaded) + errs(row.single), int(row.loaded.rps), ms(row.loaded.p99), `${us(row.loaded.cpuUs.server)} / ${us(row.loaded.cpuUs.redis)}`,
        ms(row.single.p50), int(row.floorLoaded.rps), ms(row.floorSingle.p50), x(row.rpsVsBase), x(row.cpuVsBase), x(row.p99VsBase),
      ]),
    ),
  ];
  if (r.skippedScales.length > 0) out.push(`\nNot reached within BENCH_BUDGET_S: ${r.skippedScales.map(int).join(', ')} devices.`);
  out.push('');
  return out;
}

function memorySection(r: Results): string[] {
  const kinds = [...new Set(r.memory.flatMap((m) => Object.keys(m.kinds)))].sort();
  return [
    '### Redis memory (used_memory growth; device = registration + one hashed-password credential; by key kind: MEMORY USAGE per device)',
    '',
    table(
      ['devices', 'used_memory', 'bytes/device (this step)', 'bytes/device (all steps)', ...kinds, 'apart (new kinds)', 'status text in devices'],
      r.memory.map((row) => [
        int(row.devices), `${(row.usedMemory / 1048576).toFixed(1)} MiB`, int(row.stepBytesPerDevice), int(row.bytesPerDevice), ...kinds.map((k) => int(row.kinds[k] ?? NaN)),
        int(row.apartBytesPerDevice), int(row.statusBytesPerDevice ?? NaN),
      ]),
    ),
    '',
  ];
}

function searchSection(r: Results): string[] {
  const s = r.search;
  if (s === undefined) return [];
  const kinds = Object.keys(s.kinds).sort();
  return [
    `### /v1 device search (one tenant of ${int(s.devices)} devices; one request at a time, 30 per page)`,
    '',
    table(
      ['search', 'p50', 'p99', 'req/s', 'CPU µs reg / redis / client'],
      s.rows.map((row) => [row.what + errs(row.registry), ms(row.registry.p50), ms(row.registry.p99), int(row.registry.rps), cpu(row.registry)]),
    ),
    '',
    `Redis memory of that tenant per device (MEMORY USAGE by key kind; its devices carry no credentials): ${kinds.map((k) => `${k} ${int(s.kinds[k] ?? NaN)} B`).join(', ')}; ` +
      `the search indexes ${int(s.indexBytesPerDevice)} B. The device records hold ${int(s.statusBytesPerDevice)} B of \`status\` text each on average.`,
    '',
  ];
}

function groupSection(r: Results): string[] {
  if (r.groups === undefined) return [];
  return [
    `### Gateway groups on the AMQP assert (one tenant: 10 gateways in 2 groups, 1,000 devices behind each kind)`,
    '',
    table(
      ['assert', '1 × 1 p50', '1 × 1 p99', `1 × ${String(r.options.inFlight)} req/s`, `1 × ${String(r.options.inFlight)} p99`, 'CPU µs reg / redis / client (loaded)'],
      r.groups.map((row) => [row.what + errs(row.single) + errs(row.loaded), ms(row.single.p50), ms(row.single.p99), int(row.loaded.rps), ms(row.loaded.p99), cpu(row.loaded)]),
    ),
    '',
  ];
}

/** The whole report of a `make bench` run. */
export function renderMarkdown(r: Results): string {
  const o = r.options;
  const out: string[] = [`## Registry benchmark — ${r.machine.date}`, '', machineTable(r.machine, r.elapsedSeconds), ''];
  if (o.smoke === true) out.push('**SMOKE RUN: the figures mean nothing.**\n');
  out.push(
    `Fixed request counts: ${int(o.requests as number)} recorded after ${int(o.prime as number)} priming requests under load, ${int(o.singleRequests as number)} after ${int(o.singlePrime as number)} one at a time. ` +
      `Medians of ${String(o.rounds)} rounds (scale steps: ${String(o.scaleRounds)}) alternating registry and floors; ratios are medians of the per-round ratios. ` +
      `Latencies in ms as seen by the load client; CPU in µs per request of each process (/proc/<pid>/stat). ` +
      (o.pinned === true ? 'Runs under load pinned (BENCH_PIN): the server under test alone on core 0, the load client and Redis on core 1; one at a time unpinned.' : 'Not pinned: every process on every core.'),
  );
  out.push('');
  out.push(...amqpSection(r), ...httpSection(r), ...scaleSection(r), ...memorySection(r), ...searchSection(r), ...groupSection(r));
  out.push(`### Bulk loading of devices with one credential (import path; the per-device store paths with ${String(o.loadConcurrency)} devices in flight, for comparison)`, '');
  out.push(table(['load', 'path', 'devices', 'seconds', 'devices/s'], r.bulk.map((row) => [row.what, row.method, int(row.devices), row.seconds.toFixed(1), int(row.perSecond)])), '');
  out.push('### Targets', '', table(['target', 'measured', ''], r.targets.map((t) => [t.target, t.figure, mark(t.met)])), '');
  return out.join('\n');
}
