/**
 * Markdown pieces shared by the reports of `make bench` and `make bench-peer`: number formats,
 * tables, and the machine the figures were measured on.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import type { Summary } from './measure.js';

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const ms = (n: number): string => (Number.isFinite(n) ? (n < 1 ? n.toFixed(3) : n < 10 ? n.toFixed(2) : n.toFixed(1)) : '–');
const x = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');
const us = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '–');
const mark = (met: boolean | undefined): string => (met === undefined ? '' : met ? '✅' : '❌');
const errs = (s: Summary): string => (s.errors > 0 ? ` ⚠${s.errors} err` : '');
/** CPU µs per request: server / Redis / load client. */
const cpu = (s: Summary): string => `${us(s.cpuUs.server)} / ${us(s.cpuUs.redis)} / ${us(s.cpuUs.client)}`;
const mib = (kib: number): string => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(0)} MiB` : '–');

/** Number formats of the reports ('–' for what was not measured). */
export const fmt = { int, ms, x, us, mark, errs, cpu, mib };

/** A markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The machine a run measured on, and its 1-minute load average at the start and the end. */
export interface Machine {
  readonly cpuModel: string;
  readonly cpus: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly redis: string;
  readonly os: string;
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly date: string;
}

/** The distribution's name (PRETTY_NAME of /etc/os-release), else the platform. */
function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? platform();
  } catch {
    return platform();
  }
}

/** Describes this machine; `loadAtStart` is the load average read when the run began. */
export function describeMachine(redisVersion: string, loadAtStart: number): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model ?? 'unknown',
    cpus: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    redis: redisVersion,
    os: `${osName()}, ${platform()} ${release()}`,
    loadAverage: { start: loadAtStart, end: loadavg()[0] as number },
    date: new Date().toISOString(),
  };
}

/** The machine as a one-row table, with the run's length. */
export function machineTable(m: Machine, elapsedSeconds: number, extra: Readonly<Record<string, string>> = {}): string {
  return table(
    ['CPU', 'cores', 'RAM', 'OS', 'Node', 'Redis', ...Object.keys(extra), 'load avg (1 min) start / end', 'run time'],
    [[m.cpuModel, String(m.cpus), `${m.memoryGiB} GiB`, m.os, m.node, m.redis, ...Object.values(extra), `${m.loadAverage.start.toFixed(1)} / ${m.loadAverage.end.toFixed(1)}`, `${elapsedSeconds.toFixed(0)} s`]],
  );
}
