/**
 * The processes a benchmark run drives, each on its own: the registry (the built dist/main.js, as
 * `make run` starts it), the AMQP echo floor and the Koa + Redis GET floor. Redis is a real
 * redis-server (test/helpers/redis-server.ts).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const REGISTRY_MAIN = join(ROOT, 'dist', 'main.js');

export interface Child {
  readonly pid: number | undefined;
  readonly output: string[];
  stop(): Promise<void>;
}

export interface Spawned extends Child {
  /** Resolves with the first output line `pick` accepts (returns non-undefined for). */
  waitFor<T>(pick: (line: string) => T | undefined, timeoutMs: number): Promise<T>;
}

/** Spawns `command` (default: this Node) in the checkout, collecting its last 2000 output lines. */
export function start(args: readonly string[], env: Record<string, string>, name: string, command: string = process.execPath): Spawned {
  const child: ChildProcess = spawn(command, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const listeners = new Set<() => void>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const collect = (chunk: Buffer) => {
    output.push(...chunk.toString().split('\n').filter((l) => l !== ''));
    if (output.length > 2000) output.splice(0, output.length - 2000);
    listeners.forEach((l) => l());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return {
    pid: child.pid,
    output,
    waitFor<T>(pick: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        let seen = 0;
        const check = () => {
          for (; seen < output.length; seen++) {
            const found = pick(output[seen] as string);
            if (found !== undefined) {
              done();
              resolve(found);
              return;
            }
          }
          if (child.exitCode !== null) {
            done();
            reject(new Error(`${name} exited with ${child.exitCode}:\n${output.slice(-20).join('\n')}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${output.slice(-20).join('\n')}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exited.then(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

const jsonLine = (line: string): Record<string, unknown> | undefined => {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

const portOf = (address: unknown): number | undefined => {
  const match = typeof address === 'string' ? /:(\d+)$/.exec(address) : null;
  return match === null ? undefined : Number(match[1]);
};

export interface RegistryChild extends Child {
  readonly httpPort: number;
  readonly amqpPort: number;
  /** The protocol-adapter account the first start created. */
  readonly username: string;
  readonly password: string;
}

/**
 * Starts `node dist/main.js` (or another build's main.js) against the given Redis, with jemalloc as `make run` does: HTTP without authentication (loopback),
 * AMQP with the protocol-adapter account of a fresh data directory. `nodeArgs` e.g. `--cpu-prof`;
 * `env` adds to (or overrides) the registry's environment.
 */
export async function startRegistryProcess(redisUrl: string, nodeArgs: readonly string[] = [], main: string = REGISTRY_MAIN, env: Record<string, string> = {}): Promise<RegistryChild> {
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`make build\` first (make bench does)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'registry-bench-data-'));
  const child = start([...nodeArgs, main], {
    REGISTRY_REDIS_URL: redisUrl,
    REGISTRY_DATA_DIR: dataDir,
    REGISTRY_HTTP_PORT: '0',
    REGISTRY_AMQP_PORT: '0',
    REGISTRY_HTTP_AUTH: 'none',
    REGISTRY_LOG_LEVEL: 'info',
    // jemalloc as malloc, as `make run` and the Docker image start it (docs/reliability.md "Soak").
    LD_PRELOAD: 'libjemalloc.so.2',
    ...env,
  }, 'registry');
  const ports = { http: 0, amqp: 0 };
  await child.waitFor((line) => {
    const entry = jsonLine(line);
    if (entry === undefined) return undefined;
    const port = portOf(entry.address);
    if (port !== undefined && String(entry.msg).startsWith('HTTP')) ports.http = port;
    if (port !== undefined && String(entry.msg).startsWith('AMQP')) ports.amqp = port;
    return ports.http !== 0 && ports.amqp !== 0 ? true : undefined;
  }, 20_000);
  const password = readFileSync(join(dataDir, 'amqp-adapter-password'), 'utf8').trim();
  return {
    pid: child.pid,
    output: child.output,
    httpPort: ports.http,
    amqpPort: ports.amqp,
    username: 'protocol-adapter@HONO',
    password,
    async stop() {
      await child.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Starts a bench/*.ts server with tsx; it prints `{"port": N}` once it listens. */
export async function startBenchServer(file: string, env: Record<string, string> = {}): Promise<Child & { readonly port: number }> {
  const child = start(['--import', 'tsx', join(ROOT, 'bench', file)], env, file);
  const port = await child.waitFor((line) => {
    const value = jsonLine(line)?.port;
    return typeof value === 'number' ? value : undefined;
  }, 20_000);
  return { pid: child.pid, output: child.output, port, stop: () => child.stop() };
}

/** Where CPU profiles go (BENCH_PROFILE=<dir>): the directory, created. */
export function profileDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Sets the CPU affinity of a process and all its threads (`taskset -a -p`), e.g. '0' or '0-1'.
 * False when taskset is missing or refuses (then nothing changed).
 */
export function pinProcess(pid: number, cpus: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-pc', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * BENCH_PIN: while measuring under load, the server under test runs alone on core 0 and the load
 * client (this process) and Redis share core 1: registry and floors meet the same layout and the
 * server has a core of its own as in production. One request at a time and loading run unpinned:
 * there, a pinned process pays a wake-up of the other core for every request (bench/README.md).
 * Undefined when pinning is off or impossible (fewer than 2 cores, no taskset).
 */
export function cpuLayout(pin: 'auto' | 'on' | 'off', servers: readonly (number | undefined)[], clients: readonly (number | undefined)[]): ((mode: 'pinned' | 'free') => void) | undefined {
  const n = cpus().length;
  if (pin === 'off' || n < 2) return undefined;
  const all = `0-${n - 1}`;
  if (!pinProcess(process.pid, all)) {
    if (pin === 'on') throw new Error('BENCH_PIN=on, but taskset could not set the CPU affinity');
    return undefined;
  }
  return (mode) => {
    for (const pid of servers) if (pid !== undefined) pinProcess(pid, mode === 'pinned' ? '0' : all);
    for (const pid of clients) if (pid !== undefined) pinProcess(pid, mode === 'pinned' ? '1' : all);
  };
}
