/**
 * The embedded default: a redis-server child process with its append-only file in the data
 * directory, reachable only through a private unix socket (or a free loopback port when the
 * socket path would be too long). Stopped cleanly (AOF flushed) when the registry stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve, join } from 'node:path';
import { RegistryError } from '../errors.js';
import type { Logger } from '../log.js';

export interface EmbeddedRedis {
  /** The URL the store connects to (`unix:///…/redis.sock` or `redis://127.0.0.1:port`). */
  readonly url: string;
  /** Asks Redis to shut down (which flushes the AOF) and waits for the process to exit. */
  stop(): Promise<void>;
}

const MAX_SOCKET_PATH = 100;
const START_TIMEOUT_MS = 10_000;

/** Starts redis-server in `dataDir`. INTERNAL when the binary is missing or Redis does not come up. */
export async function startEmbeddedRedis(dataDir: string, binary: string, log: Logger): Promise<EmbeddedRedis> {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  claimDataDir(dir, log);
  const socket = join(dir, 'redis.sock');
  const useSocket = socket.length <= MAX_SOCKET_PATH;
  const port = useSocket ? 0 : await freePort();
  const args = [
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--protected-mode', 'yes',
    '--pidfile', join(dir, 'redis.pid'),
    '--logfile', join(dir, 'redis.log'),
    '--daemonize', 'no',
  ];
  if (useSocket) args.push('--unixsocket', socket, '--unixsocketperm', '700');
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  await waitUntilUp(child, exited, useSocket ? socket : port, binary);
  const url = useSocket ? `unix://${socket}` : `redis://127.0.0.1:${port}`;
  log.info({ dataDir: dir, url }, 'embedded redis started');
  return {
    url,
    stop: async () => {
      await stopChild(child, exited, log);
      rmSync(join(dir, 'registry.pid'), { force: true });
    },
  };
}

async function waitUntilUp(child: ChildProcess, exited: Promise<number | null>, where: string | number, binary: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once('error', (err) =>
      reject(new RegistryError('INTERNAL', `cannot start ${binary}: ${err.message}; install it with: apt-get install redis-server`, { cause: err })),
    ),
  );
  const died = exited.then((code) => {
    throw new RegistryError('INTERNAL', `embedded redis exited with code ${code} during start-up: ${stderr.trim()}`);
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  const poll = (async () => {
    while (Date.now() < deadline) {
      if (await answersPing(where)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    throw new RegistryError('INTERNAL', 'embedded redis did not start within 10 s');
  })();
  await Promise.race([poll, spawnFailed, died]);
}

async function answersPing(where: string | number): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((done) => {
    const conn = typeof where === 'string' ? createConnection(where) : createConnection(where, '127.0.0.1');
    conn.setTimeout(500);
    conn.once('connect', () => conn.write('PING\r\n'));
    conn.once('data', (data) => {
      conn.destroy();
      done(data.toString().startsWith('+PONG'));
    });
    conn.once('error', () => done(false));
    conn.once('timeout', () => {
      conn.destroy();
      done(false);
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, log: Logger): Promise<void> {
  if (child.exitCode !== null) return;
  // SIGTERM makes redis-server fsync the append-only file and exit cleanly.
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(timer);
  log.info({ code }, 'embedded redis stopped');
}

/**
 * Claims the data directory for this process (`registry.pid`). A redis-server left behind by a
 * registry that was killed (its registry pid is gone) is stopped first; a directory whose
 * registry still runs is refused.
 */
function claimDataDir(dir: string, log: Logger): void {
  const registryPidFile = join(dir, 'registry.pid');
  const owner = readPid(registryPidFile);
  if (owner !== undefined && owner !== process.pid && isAlive(owner) && commandLine(owner).includes('node')) {
    throw new RegistryError('INTERNAL', `data directory ${dir} is in use by the registry with pid ${owner}`);
  }
  writeFileSync(registryPidFile, `${process.pid}\n`, { mode: 0o600 });
  const orphan = readPid(join(dir, 'redis.pid'));
  if (orphan === undefined || !isRedisUsing(orphan, dir)) return;
  log.warn({ pid: orphan }, 'stopping a redis-server left behind by an earlier registry process');
  process.kill(orphan, 'SIGTERM');
  const until = Date.now() + 10_000;
  while (isAlive(orphan) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function isRedisUsing(pid: number, dir: string): boolean {
  try {
    // redis-server rewrites its process title but chdirs into its --dir.
    return commandLine(pid).includes('redis-server') && realpathSync(`/proc/${pid}/cwd`) === realpathSync(dir);
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}
