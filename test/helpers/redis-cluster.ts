/**
 * Starts a real Redis Cluster on free loopback ports, each node a Debian `redis-server` with its
 * own temp dir: `masters` masters (3 by default) and `replicas` replicas per master, created with
 * `redis-cli --cluster create`. Resolves once every node reports `cluster_state:ok` and every
 * replica is in sync. Nodes keep an append-only file, so a stopped node comes back with its data.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './redis-server.js';

const exec = promisify(execFile);

export interface ClusterNode {
  readonly port: number;
  readonly dir: string;
  /** True while the process runs. */
  running(): boolean;
  /** Stops the node (SIGKILL when `hard`), keeping its directory. */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and directory; it rejoins with its node id. */
  restart(): Promise<void>;
}

export interface TestCluster {
  readonly nodes: readonly ClusterNode[];
  /** `127.0.0.1:port,…` of every node, for REGISTRY_REDIS_CLUSTER_NODES. */
  readonly seeds: string;
  /** The environment of a registry on this cluster. */
  readonly env: Readonly<Record<string, string>>;
  /** Not usable as REGISTRY_REDIS_URL (config refuses it), so a suite that needs a plain server fails loudly. */
  readonly url: string;
  /** Sends a command to every master (FLUSHALL …) and returns the reply when all agree. */
  command(line: string): Promise<string>;
  /** `redis://` URLs of the current masters (for raw per-master inspection). */
  masterUrls(): Promise<string[]>;
  /** The node that currently serves the slot of `key` as master. */
  masterOf(key: string): Promise<ClusterNode>;
  /** Waits until every running node reports cluster_state:ok and agrees on the slot owners. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Waits until every replica has acknowledged all its master has written (replication is asynchronous). */
  waitReplicated(timeoutMs?: number): Promise<void>;
  /** Stops every node (SIGKILL when `hard`). */
  stopAll(hard?: boolean): Promise<void>;
  /** Starts every stopped node again. */
  restartAll(): Promise<void>;
  /** Stops every node and removes the directories. */
  destroy(): Promise<void>;
}

export interface ClusterShape {
  readonly masters?: number;
  readonly replicas?: number;
  /** cluster-node-timeout in ms: how long a silent master takes to be failed over. */
  readonly nodeTimeoutMs?: number;
  /** requirepass (and masterauth) of every node. */
  readonly password?: string;
}

/** One command on one node through a short-lived connection; the reply as text. */
export async function nodeCommand(port: number, args: readonly string[], password?: string): Promise<string> {
  const client = new Redis({ port, host: '127.0.0.1', password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000, commandTimeout: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [command, ...rest] = args as [string, ...string[]];
    const reply = await client.call(command, ...rest);
    return typeof reply === 'string' ? reply : JSON.stringify(reply);
  } finally {
    client.disconnect();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startNode(nodeTimeoutMs: number, password: string | undefined): Promise<ClusterNode> {
  const dir = mkdtempSync(join(tmpdir(), 'registry-test-cluster-'));
  const port = await freePort();
  const busPort = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const launch = async () => {
    const args = [
      '--port', String(port), '--cluster-port', String(busPort), '--bind', '127.0.0.1', '--dir', dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs),
      '--appendonly', 'yes', '--save', '', '--protected-mode', 'no',
      ...(password === undefined ? [] : ['--requirepass', password, '--masterauth', password]),
    ];
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (!running()) throw new Error(`redis-server on port ${port} exited with ${proc.exitCode ?? proc.signalCode}`);
      try {
        if ((await nodeCommand(port, ['PING'], password)) === 'PONG') return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await sleep(30);
    }
  };
  await launch();
  return {
    port,
    dir,
    running,
    stop: async (hard = false) => {
      if (!running()) return;
      child?.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await exited;
    },
    restart: launch,
  };
}

interface NodeLine {
  readonly port: number;
  readonly master: boolean;
  readonly failed: boolean;
  readonly slots: string[];
}

/** CLUSTER NODES of one node, parsed. */
async function clusterNodes(port: number, password: string | undefined): Promise<NodeLine[]> {
  return (await nodeCommand(port, ['CLUSTER', 'NODES'], password))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, address = '', flags = '', , , , , , ...slots] = line.trim().split(' ');
      return {
        port: Number(/:(\d+)@/.exec(address)?.[1]),
        master: flags.split(',').includes('master'),
        failed: /fail/.test(flags),
        slots,
      };
    });
}

export async function startTestCluster(shape: ClusterShape = {}): Promise<TestCluster> {
  const masters = shape.masters ?? 3;
  const replicas = shape.replicas ?? 0;
  const nodeTimeoutMs = shape.nodeTimeoutMs ?? 3000;
  const { password } = shape;
  const command = (port: number, ...args: string[]) => nodeCommand(port, args, password);
  const nodes: ClusterNode[] = [];
  const destroy = async () => {
    await Promise.all(nodes.map((n) => n.stop(true)));
    for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++) nodes.push(await startNode(nodeTimeoutMs, password));
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    const auth = password === undefined ? [] : ['-a', password, '--no-auth-warning'];
    await exec('redis-cli', [...auth, '--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 60_000 });
  } catch (err) {
    await destroy();
    throw err;
  }

  const liveNode = () => {
    const node = nodes.find((n) => n.running());
    if (node === undefined) throw new Error('no cluster node is running');
    return node;
  };
  const byPort = (port: number) => {
    const node = nodes.find((n) => n.port === port);
    if (node === undefined) throw new Error(`port ${port} is not a node of this cluster`);
    return node;
  };
  const currentMasters = async () => (await clusterNodes(liveNode().port, password)).filter((l) => l.master && !l.failed && l.slots.length > 0);

  async function healthy(): Promise<boolean> {
    const running = nodes.filter((n) => n.running());
    const views = await Promise.all(
      running.map(async (n) => {
        const info = await command(n.port, 'CLUSTER', 'INFO');
        if (!/^cluster_state:ok\b/m.test(info)) return undefined;
        const owners = (await clusterNodes(n.port, password)).filter((l) => l.master && !l.failed && l.slots.length > 0);
        return owners.map((l) => `${l.port}=${l.slots.join(' ')}`).sort().join(';');
      }),
    );
    if (views.some((v) => v === undefined) || new Set(views).size !== 1) return false;
    // Every running replica has finished its initial sync.
    for (const n of running) {
      const replication = await command(n.port, 'INFO', 'replication');
      if (/^role:slave\b/m.test(replication) && !/^master_link_status:up\b/m.test(replication)) return false;
    }
    return true;
  }

  const cluster: TestCluster = {
    nodes,
    seeds: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    get env() {
      const auth = password === undefined ? '' : `redis://:${encodeURIComponent(password)}@`;
      return { REGISTRY_REDIS_CLUSTER_NODES: this.seeds.split(',').map((seed) => `${auth}${seed}`).join(',') };
    },
    get url() {
      return `redis-cluster://${this.seeds}`;
    },
    async command(line) {
      const args = line.split(' ').filter((a) => a !== '');
      const replies = await Promise.all((await currentMasters()).map((m) => command(m.port, ...args)));
      const distinct = [...new Set(replies)];
      if (distinct.length !== 1) throw new Error(`masters answered ${line} differently: ${distinct.join(' | ')}`);
      // The shape of a standalone TestRedis.command reply (inline protocol): +OK for a status.
      return distinct[0] === 'OK' ? '+OK' : (distinct[0] as string);
    },
    masterUrls: async () => (await currentMasters()).map((m) => `redis://${password === undefined ? '' : `:${encodeURIComponent(password)}@`}127.0.0.1:${m.port}`),
    async masterOf(key) {
      const slot = Number(await command(liveNode().port, 'CLUSTER', 'KEYSLOT', key));
      for (const line of await currentMasters()) {
        for (const range of line.slots) {
          const [from, to = from] = range.split('-').map(Number) as [number, number?];
          if (slot >= from && slot <= (to as number)) return byPort(line.port);
        }
      }
      throw new Error(`no master serves slot ${slot}`);
    },
    async waitHealthy(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      let last: unknown;
      for (;;) {
        try {
          if (await healthy()) return;
        } catch (err) {
          last = err;
        }
        if (Date.now() > deadline) throw new Error(`the cluster did not become healthy within ${timeoutMs} ms`, { cause: last });
        await sleep(100);
      }
    },
    async waitReplicated(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lagging = await Promise.all((await currentMasters()).map(async (m) => {
          const info = await command(m.port, 'INFO', 'replication');
          const offset = /^master_repl_offset:(\d+)/m.exec(info)?.[1];
          return [...info.matchAll(/^slave\d+:.*\boffset=(\d+)/gm)].some(([, acked]) => acked !== offset);
        }));
        if (!lagging.includes(true)) return;
        if (Date.now() > deadline) throw new Error(`the replicas did not catch up within ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    stopAll: async (hard = false) => void (await Promise.all(nodes.map((n) => n.stop(hard)))),
    async restartAll() {
      for (const n of nodes) if (!n.running()) await n.restart();
    },
    destroy,
  };
  try {
    await cluster.waitHealthy();
  } catch (err) {
    await destroy();
    throw err;
  }
  return cluster;
}
