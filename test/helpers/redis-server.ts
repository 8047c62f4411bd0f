/**
 * Starts a real redis-server on a free loopback port with a temporary directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Sends a raw command line (inline protocol) and returns the reply text. */
  command(line: string): Promise<string>;
  /** Stops the server (SIGKILL when `hard`), keeping the directory. */
  stop(hard?: boolean): Promise<void>;
  /** Starts the server again on the same port and directory. */
  restart(): Promise<void>;
  /** Stops the process (SIGSTOP): connections stay open, commands wait unanswered until `thaw()`. */
  freeze(): void;
  /** Lets a frozen server run again (SIGCONT); it answers what waited. */
  thaw(): void;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export function rawCommand(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(port, '127.0.0.1');
    let reply = '';
    conn.setTimeout(2000);
    conn.once('connect', () => conn.write(`${line}\r\n`));
    conn.on('data', (data) => {
      reply += data.toString();
      if (reply.endsWith('\r\n')) conn.end();
    });
    conn.once('end', () => resolve(reply.trim()));
    conn.once('error', reject);
    conn.once('timeout', () => {
      conn.destroy();
      reject(new Error('redis did not answer'));
    });
  });
}

async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    try {
      if ((await rawCommand(port, 'PING')) === '+PONG') return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error('redis-server did not start');
}

export async function startTestRedis(extraArgs: readonly string[] = []): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'registry-test-redis-'));
  const port = await freePort();
  let child: ChildProcess;
  let exited: Promise<void>;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...extraArgs], {
      stdio: 'ignore',
    });
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await waitForPing(port, child);
  };
  const stop = async (hard = false) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGCONT'); // a frozen server would not act on SIGTERM
    child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    command: (line) => rawCommand(port, line),
    stop,
    restart: launch,
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
    destroy: async () => {
      await stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Resolves at the next connection to `port` once its server is stopped: a client's attempt to
 * reconnect. A listener on the free port takes the connection and drops it.
 */
export function connectionAttempt(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = createServer((socket) => {
      socket.destroy();
      listener.close(() => resolve());
    });
    listener.once('error', reject);
    listener.listen(port, '127.0.0.1');
  });
}
