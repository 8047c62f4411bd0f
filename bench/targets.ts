/**
 * The targets of `make bench` (issue "Performance"; docs/performance.md), judged from a run's rows.
 * Nothing asserts them: they are printed next to the figures.
 */
import { TARGET } from './phases.js';
import type { AmqpRow, BulkRow, HttpRow, MemoryRow, ScaleRow, TargetRow } from './report.js';

const worst = (values: readonly number[], pick: (a: number, b: number) => number): number => values.reduce((a, b) => pick(a, b));
const x = (n: number) => `${n.toFixed(2)}×`;

function amqpTargets(amqp: readonly AmqpRow[]): TargetRow[] {
  const out: TargetRow[] = [];
  const loaded = amqp.filter((r) => r.inFlight > 1);
  if (loaded.length > 0) {
    const rps = loaded.map((r) => r.rpsVsEcho);
    const cpu = loaded.map((r) => r.cpuVsEchoGet);
    out.push({ target: `AMQP lookups under load (${[...new Set(loaded.map((r) => `${r.connections} × ${r.inFlight}`))].join(', ')}): req/s ≥ ${TARGET.rpsVsEcho}× bare echo`, figure: `${x(worst(rps, Math.min))} (worst of ${loaded.length})`, met: rps.every((v) => v >= TARGET.rpsVsEcho) });
    out.push({ target: `AMQP lookups under load: registry CPU per lookup ≤ ${TARGET.cpuVsEchoGet}× the echo + GET server's`, figure: `${x(worst(cpu, Math.max))} (worst of ${loaded.length})`, met: cpu.every((v) => v <= TARGET.cpuVsEchoGet) });
  }
  const single = amqp.filter((r) => r.inFlight === 1);
  if (single.length > 0) {
    const p50 = single.map((r) => r.p50VsEchoGet);
    const worstRow = single.reduce((a, b) => (b.p50VsEchoGet > a.p50VsEchoGet ? b : a));
    out.push({ target: `AMQP one request at a time: p50 ≤ ${TARGET.p50VsEchoGet}× the echo + GET server's`, figure: `${x(worst(p50, Math.max))} (worst of ${single.length}: ${worstRow.registry.p50.toFixed(3)} ms)`, met: p50.every((v) => v <= TARGET.p50VsEchoGet) });
  }
  return out;
}

function scaleTarget(scale: readonly ScaleRow[], base: number): TargetRow[] {
  const top = Math.max(...scale.map((s) => s.devices));
  if (!(top > base)) return [];
  const rows = scale.filter((s) => s.devices === top);
  const rps = rows.map((r) => r.rpsVsBase);
  const cpu = rows.map((r) => r.cpuVsBase);
  return [{
    target: `lookups at ${top.toLocaleString('en-US')} devices within 20 % of ${base.toLocaleString('en-US')}: req/s (÷ floor) ≥ ${TARGET.scaleRps}×, CPU per lookup ≤ ${TARGET.scaleCpu}×`,
    figure: `req/s ${x(worst(rps, Math.min))}, CPU ${x(worst(cpu, Math.max))} (worst)`,
    met: rps.every((v) => v >= TARGET.scaleRps) && cpu.every((v) => v <= TARGET.scaleCpu),
  }];
}

function memoryTarget(memory: readonly MemoryRow[]): TargetRow[] {
  const last = memory[memory.length - 1];
  if (last === undefined) return [];
  const core = last.bytesPerDevice - last.apartBytesPerDevice;
  const status = last.statusBytesPerDevice ?? 0;
  return [{
    target: 'Redis memory ≤ 600 bytes per device with one hashed-password credential (what /v1 added apart: the search indexes, the status text of the device records)',
    figure: `${Math.round(core - status)} B at ${last.devices.toLocaleString('en-US')} devices (+ ${Math.round(status)} B status text, + ${Math.round(last.apartBytesPerDevice)} B search indexes)`,
    met: core - status <= 600,
  }];
}

function bulkTargets(bulk: readonly BulkRow[], labels: Readonly<Record<string, string>>): TargetRow[] {
  const out: TargetRow[] = [];
  for (const [method, label] of Object.entries(labels)) {
    const best = bulk.filter((b) => b.method === label).reduce<BulkRow | undefined>((a, b) => (a === undefined || b.devices > a.devices ? b : a), undefined);
    if (best === undefined) continue;
    const importPath = method === 'import';
    out.push({
      target: importPath ? 'bulk import ≥ 20,000 devices with credentials/s' : `bulk, for comparison (no target): ${method}`,
      figure: `${Math.round(best.perSecond).toLocaleString('en-US')}/s (${best.what}, ${best.devices.toLocaleString('en-US')} devices)`,
      met: importPath ? best.perSecond >= 20_000 : undefined,
    });
  }
  return out;
}

/** Every target the rows allow to judge. `methodLabels`: load method → the label its bulk rows carry. */
export function buildTargets(parts: { amqp: readonly AmqpRow[]; http: readonly HttpRow[]; scale: readonly ScaleRow[]; memory: readonly MemoryRow[]; bulk: readonly BulkRow[]; base: number; methodLabels: Readonly<Record<string, string>> }): TargetRow[] {
  const reads = parts.http.filter((r) => r.met !== undefined).map((r): TargetRow => ({ target: `HTTP ${r.route}: req/s ≥ ${TARGET.httpReadVsFloor}× the Koa + one GET floor`, figure: x(r.rpsVsFloor), met: r.met }));
  return [...amqpTargets(parts.amqp), ...reads, ...scaleTarget(parts.scale, parts.base), ...memoryTarget(parts.memory), ...bulkTargets(parts.bulk, parts.methodLabels)];
}
