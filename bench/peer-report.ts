/**
 * The result model of `make bench-peer` (this registry side by side with Eclipse Hono's) and its
 * markdown rendering.
 */
import { byP50, byP99, byRps, pairedRatio, type Run, type Summary } from './measure.js';
import { fmt, machineTable, table, type Machine } from './markdown.js';

/** One operation at one setting, measured on both registries in alternating rounds. */
export interface PeerRow {
  readonly what: string;
  /** e.g. `1 × 100` (AMQP connections × in flight) or `32 connections` (HTTP). */
  readonly setting: string;
  readonly ours: Summary;
  readonly hono: Summary;
  /** Paired ratios ours ÷ Hono (median over the rounds). */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Registry process CPU per request, ours ÷ Hono's. */
  readonly cpu: number;
  /** Ours with Redis (where our data lives) ÷ Hono's registry (which holds its data in its heap). */
  readonly cpuWithStore: number;
}

/** Resident memory (VmRSS, KiB) of a process: after loading (idle) and the largest seen at a window's end. */
export interface Rss {
  readonly idle: number;
  readonly peak: number;
}

export interface PeerResults {
  readonly machine: Machine;
  readonly options: Record<string, unknown>;
  readonly hono: { readonly version: string; readonly artifact: string; readonly note: string };
  /** The route our registry was read through (GET /v1/devices/{t}/{d} once it answers it). */
  readonly ourHttpRoute: string;
  readonly amqp: readonly PeerRow[];
  readonly http: readonly PeerRow[];
  readonly memory: { readonly ours: Rss; readonly redis: Rss; readonly hono: Rss; readonly honoAuth: Rss };
  readonly elapsedSeconds: number;
}

const withStore = (r: Run): number => r.cpuUs.server + (Number.isFinite(r.cpuUs.redis) ? r.cpuUs.redis : 0);

/** A row from the two summaries of the same rounds. */
export function peerRow(what: string, setting: string, ours: Summary, hono: Summary): PeerRow {
  return {
    what, setting, ours, hono,
    rps: pairedRatio(ours, hono, byRps),
    p50: pairedRatio(ours, hono, byP50),
    p99: pairedRatio(ours, hono, byP99),
    cpu: pairedRatio(ours, hono, (r) => r.cpuUs.server),
    cpuWithStore: pairedRatio(ours, hono, withStore, (r) => r.cpuUs.server),
  };
}

const { int, ms, x, us, errs, mib } = fmt;

function rows(list: readonly PeerRow[]): string {
  return table(
    ['operation', 'setting', 'req/s ours / Hono', 'p50 ms ours / Hono', 'p99 ms ours / Hono', 'CPU µs/req ours (+ Redis) / Hono', 'client CPU µs ours / Hono', 'req/s ÷', 'p50 ÷', 'p99 ÷', 'CPU ÷', 'CPU with Redis ÷'],
    list.map((r) => [
      r.what + errs(r.ours) + errs(r.hono), r.setting,
      `${int(r.ours.rps)} / ${int(r.hono.rps)}`, `${ms(r.ours.p50)} / ${ms(r.hono.p50)}`, `${ms(r.ours.p99)} / ${ms(r.hono.p99)}`,
      `${us(r.ours.cpuUs.server)} (+ ${us(r.ours.cpuUs.redis)}) / ${us(r.hono.cpuUs.server)}`, `${us(r.ours.cpuUs.client)} / ${us(r.hono.cpuUs.client)}`,
      x(r.rps), x(r.p50), x(r.p99), x(r.cpu), x(r.cpuWithStore),
    ]),
  );
}

/** The report of a `make bench-peer` run. */
export function renderPeerMarkdown(r: PeerResults): string {
  const o = r.options;
  const m = r.memory;
  const out = [`## This registry side by side with Eclipse Hono's (${r.hono.artifact} ${r.hono.version}) — ${r.machine.date}`, '', machineTable(r.machine, r.elapsedSeconds, { Java: String(o.java) }), ''];
  if (o.smoke === true) out.push('**SMOKE RUN: the figures mean nothing.**\n');
  out.push(
    `${r.hono.note} Both loaded with the same ${int(o.devices as number)} devices (one hashed-password credential each, every tenth behind a gateway) and ${int(o.tenants as number)} tenants: Hono from its data files, this registry through \`device-registry import\` of the same files. ` +
      `Both driven by the same load client (bench/amqp-load.ts, bench/http-client.ts) after ${int(o.warmup as number)} warm-up requests per lookup: ${int(o.requests as number)} recorded requests after ${int(o.prime as number)} priming under load, ${int(o.singleRequests as number)} after ${int(o.singlePrime as number)} one at a time; medians of ${String(o.rounds)} rounds alternating the two registries, ratios (ours ÷ Hono) medians of the per-round ratios. ` +
      `CPU per request from /proc/<pid>/stat; this registry keeps its data in Redis, so its cost per lookup is its own plus Redis's, Hono's is its JVM's. Hono: hono.app.maxInstances=${String(o.instances)}, JVM options: ${(o.javaOptions as string[]).join(' ') || 'the defaults'}. ` +
      (o.pinned === true ? 'Under load, the registry under test runs alone on core 0, the load client and Redis (and Hono\'s Auth Server) on core 1; one at a time unpinned.' : 'Not pinned.'),
    '',
    '### AMQP 1.0 lookups',
    '',
    rows(r.amqp),
    '',
    `### HTTP device read (ours: \`${r.ourHttpRoute}\`; Hono: \`GET /v1/devices/{t}/{d}\`)`,
    '',
    rows(r.http),
    '',
    '### Resident memory (VmRSS: after loading, idle / the largest at the end of a measuring window)',
    '',
    table(
      ['process', 'idle', 'peak'],
      [
        ['this registry (Node)', mib(m.ours.idle), mib(m.ours.peak)],
        ['Redis (this registry\'s store)', mib(m.redis.idle), mib(m.redis.peak)],
        ['this registry + Redis', mib(m.ours.idle + m.redis.idle), mib(m.ours.peak + m.redis.peak)],
        ['Hono device registry (JVM)', mib(m.hono.idle), mib(m.hono.peak)],
        ['Hono Auth Server (JVM)', mib(m.honoAuth.idle), mib(m.honoAuth.peak)],
      ],
    ),
    '',
  );
  return out.join('\n');
}
