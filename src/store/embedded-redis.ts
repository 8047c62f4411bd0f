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
  stopOrphan(dir, log);
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
  return { url, stop: () => stopChild(child, exited, log) };
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

/** A redis-server left behind by a registry that was killed (its parent is gone) is stopped first. */
function stopOrphan(dir: string, log: Logger): void {
  const pidFile = join(dir, 'redis.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 1 || !isRedisUsing(pid, dir)) return;
  const parent = parentPid(pid);
  if (parent !== 1 && parent !== undefined && isAlive(parent)) {
    writeFileSync(pidFile, `${pid}\n`);
    throw new RegistryError('INTERNAL', `data directory ${dir} is in use by redis-server pid ${pid} of another running registry`);
  }
  log.warn({ pid }, 'stopping a redis-server left behind by an earlier registry process');
  process.kill(pid, 'SIGTERM');
  const until = Date.now() + 10_000;
  while (isAlive(pid) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
}

function isRedisUsing(pid: number, dir: string): boolean {
  try {
    // redis-server rewrites its process title but chdirs into its --dir.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('redis-server') && realpathSync(`/proc/${pid}/cwd`) === realpathSync(dir);
  } catch {
    return false;
  }
}

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
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
