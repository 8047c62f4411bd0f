/**
 * `make bench-peer` (`BENCH_SMOKE=1` for a run of seconds): this registry side by side with
 * Eclipse Hono's own device registry on the same machine, loaded with the same data, driven by the
 * same load client over AMQP (tenant `get`, `assert` direct and via a gateway, credentials `get`)
 * and HTTP (a device read). Options: readPeerOptions in bench/options.ts; methodology:
 * bench/measure.ts; Hono's side: bench/hono.ts. Progress on stderr, the markdown report on stdout
 * and next to the JSON (bench/peer-results.{json,md}). Nothing is asserted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestRedis } from '../test/helpers/redis-server.js';
import { runAmqpLoad } from './amqp-load.js';
import { writeHonoFiles } from './dataset.js';
import { progressLog, runBenchmark, type Stops } from './entry.js';
import { startHono, HONO_VERSION, type HonoRegistry } from './hono.js';
import { runHttpLoad } from './http-client.js';
import { answers, legacyDeviceRead, v1DeviceRead, type HttpRoute } from './http-requests.js';
import { describeMachine } from './markdown.js';
import { alternate, cpuMeter, type Run, type Summary } from './measure.js';
import { lookupOps, type AmqpOp } from './operations.js';
import { readPeerOptions, type PeerOptions } from './options.js';
import { peerRow, renderPeerMarkdown, type PeerResults, type PeerRow, type Rss } from './peer-report.js';
import { cpuLayout, REGISTRY_MAIN, startRegistryProcess, type RegistryChild } from './processes.js';
import { residentKiB } from './stats.js';

const o: PeerOptions = readPeerOptions(process.env);
const loadAtStart = loadavg()[0] as number;
const { progress, elapsed } = progressLog('bench-peer');

const NOTE = `Eclipse Hono's JDBC device registry (hono-service-device-registry-jdbc, Hono 2.x) is not published on the Maven Central this machine reaches, in any version, nor is its MongoDB registry, hono-service-base-jdbc or anything of Hono 2.7.0; the newest complete Hono registry published there is the file-based hono-service-device-registry ${HONO_VERSION} (in-memory, loaded from its data files), run here from its jars with Hono's Auth Server of the same release.`;

/** The processes of a run and where their memory peaks were seen. */
interface Subjects {
  readonly ours: RegistryChild;
  readonly hono: HonoRegistry;
  readonly redisPid: number | undefined;
  readonly peaks: Record<'ours' | 'redis' | 'hono' | 'honoAuth', number>;
  readonly layout: (mode: 'pinned' | 'free') => void;
  readonly pinned: boolean;
}

type Side = 'ours' | 'hono';

function samplePeaks(s: Subjects): void {
  const now = { ours: residentKiB(s.ours.pid), redis: residentKiB(s.redisPid), hono: residentKiB(s.hono.pid), honoAuth: residentKiB(s.hono.authPid) };
  for (const k of Object.keys(now) as (keyof typeof now)[]) if (!(now[k] <= s.peaks[k])) s.peaks[k] = now[k];
}

/** A meter for one side whose window end also samples resident memory. */
function meterOf(s: Subjects, side: Side) {
  const meter = cpuMeter(side === 'ours' ? { server: s.ours.pid, redis: s.redisPid } : { server: s.hono.pid });
  return {
    onWindow: (edge: 'start' | 'end') => {
      meter.onWindow(edge);
      if (edge === 'end') samplePeaks(s);
    },
    toRun: meter.toRun,
  };
}

async function amqpRun(s: Subjects, side: Side, op: AmqpOp, connections: number, inFlight: number, window: { prime: number; requests: number }): Promise<Run> {
  const target = side === 'ours' ? s.ours : s.hono;
  const meter = meterOf(s, side);
  const result = await runAmqpLoad(
    { host: '127.0.0.1', port: target.amqpPort, username: target.username, password: target.password },
    { connections, inFlight, window, addresses: op.addresses, next: op.next(o.devices), onWindow: meter.onWindow },
  );
  return meter.toRun(result);
}

async function httpRun(s: Subjects, side: Side, route: HttpRoute): Promise<Run> {
  const meter = meterOf(s, side);
  const result = await runHttpLoad('127.0.0.1', side === 'ours' ? s.ours.httpPort : s.hono.httpPort, {
    connections: o.httpConnections, window: { prime: o.prime, requests: o.httpRequests }, next: route.next(o.devices), expect: route.expect, onWindow: meter.onWindow,
  });
  return meter.toRun(result);
}

/** JIT warm-up of both registries: BENCH_PEER_WARMUP requests per lookup at 1 × BENCH_IN_FLIGHT, not recorded. */
async function warmUp(s: Subjects, ops: readonly AmqpOp[]): Promise<void> {
  progress(`warm-up: ${o.warmup} requests per lookup and registry`);
  s.layout('pinned');
  for (const side of ['hono', 'ours'] as const) {
    for (const op of ops) await amqpRun(s, side, op, 1, o.inFlight, { prime: o.warmup, requests: 100 });
  }
}

/** Per setting: rounds alternating Hono's runs of the four lookups and ours. */
async function amqpPhase(s: Subjects, ops: readonly AmqpOp[]): Promise<PeerRow[]> {
  const out: PeerRow[] = [];
  for (const [connections, inFlight] of [[1, 1], [1, o.inFlight], [o.connections, o.inFlight]] as const) {
    progress(`AMQP ${connections} × ${inFlight}, ${o.rounds} round(s)`);
    s.layout(inFlight === 1 ? 'free' : 'pinned');
    const window = inFlight === 1 ? { prime: o.singlePrime, requests: o.singleRequests } : { prime: o.prime, requests: o.requests };
    const run = (side: Side) => ops.map((op) => () => amqpRun(s, side, op, connections, inFlight, window));
    const { floors: hono, subjects: ours } = await alternate(o.rounds, run('hono'), run('ours'));
    ops.forEach((op, i) => out.push(peerRow(op.name, `${connections} × ${inFlight}`, ours[i] as Summary, hono[i] as Summary)));
  }
  return out;
}

/** The device read: ours on /v1 once it answers there, else on the legacy route. */
async function httpPhase(s: Subjects, ourRoute: HttpRoute): Promise<PeerRow[]> {
  progress(`HTTP ${ourRoute.route} (ours) and GET /v1/devices/{t}/{d} (Hono), ${o.rounds} round(s)`);
  s.layout('pinned');
  const { floors: hono, subjects: ours } = await alternate(o.rounds, [() => httpRun(s, 'hono', v1DeviceRead)], [() => httpRun(s, 'ours', ourRoute)]);
  return [peerRow('device read', `${o.httpConnections} connections`, ours[0] as Summary, hono[0] as Summary)];
}

/** Starts Redis, this registry and Hono's, both loaded with the same data files. */
async function start(stops: Stops): Promise<Subjects> {
  const dataDir = mkdtempSync(join(tmpdir(), 'registry-bench-peer-data-'));
  stops.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  progress(`writing ${o.tenants} tenants and ${o.devices} devices as Hono's data files`);
  writeHonoFiles(dataDir, o.tenants, o.devices);
  const redis = await startTestRedis();
  stops.push(() => redis.destroy());
  const redisPid = Number(/process_id:(\d+)/.exec(await redis.command('INFO server'))?.[1]) || undefined;
  progress('starting this registry and importing the files');
  const ours = await startRegistryProcess(redis.url, [], o.registryMain);
  stops.push(() => ours.stop());
  const cli = join((o.registryMain ?? REGISTRY_MAIN).replace(/main\.js$/, ''), 'cli.js');
  execFileSync(process.execPath, [cli, 'import', '--dir', dataDir], { env: { PATH: process.env.PATH ?? '', REGISTRY_REDIS_URL: redis.url, REGISTRY_DATA_DIR: dataDir, REGISTRY_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
  progress(`starting Hono's device registry ${HONO_VERSION} and its Auth Server (first run: Maven resolves them)`);
  const hono = await startHono({ dataDir, instances: o.instances, javaOptions: o.javaOptions, maxDevicesPerTenant: o.devices + 100 });
  stops.push(() => hono.stop());
  const layout = cpuLayout(o.pin, [ours.pid, hono.pid], [process.pid, redisPid, hono.authPid]);
  return { ours, hono, redisPid, layout: layout ?? (() => undefined), pinned: layout !== undefined, peaks: { ours: 0, redis: 0, hono: 0, honoAuth: 0 } };
}

async function run(stops: Stops): Promise<PeerResults> {
  const s = await start(stops);
  const idle = { ours: residentKiB(s.ours.pid), redis: residentKiB(s.redisPid), hono: residentKiB(s.hono.pid), honoAuth: residentKiB(s.hono.authPid) };
  const ops = lookupOps(o.tenants);
  const ourRoute = (await answers(`http://127.0.0.1:${s.ours.httpPort}`, v1DeviceRead, o.devices)) ? v1DeviceRead : legacyDeviceRead;
  await warmUp(s, ops);
  const amqp = await amqpPhase(s, ops);
  const http = await httpPhase(s, ourRoute);
  const rss = (k: keyof typeof idle): Rss => ({ idle: idle[k], peak: Math.max(idle[k], s.peaks[k]) });
  const java = /version "([^"]+)"/.exec(spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr)?.[1] ?? 'unknown';
  const redisVersion = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  return {
    machine: describeMachine(redisVersion, loadAtStart),
    options: { ...o, java, pinned: s.pinned },
    hono: { version: HONO_VERSION, artifact: 'org.eclipse.hono:hono-service-device-registry', note: NOTE },
    ourHttpRoute: ourRoute.route,
    amqp, http,
    memory: { ours: rss('ours'), redis: rss('redis'), hono: rss('hono'), honoAuth: rss('honoAuth') },
    elapsedSeconds: elapsed(),
  };
}

runBenchmark('bench-peer', o, progress, run, renderPeerMarkdown);
