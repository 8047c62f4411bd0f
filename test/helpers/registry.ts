/**
 * Starts the registry in-process against a given Redis, HTTP on a free port, logs captured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startRegistry, type Registry } from '../../src/registry.js';

export interface TestRegistry {
  readonly registry: Registry;
  readonly base: string;
  /** Every log line written so far. */
  readonly logs: string[];
  /** The registry's data directory (a fresh temp dir unless REGISTRY_DATA_DIR was given). */
  readonly dataDir: string;
  stop(): Promise<void>;
}

export async function startTestRegistry(env: Record<string, string>): Promise<TestRegistry> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString().split('\n').filter((l) => l !== ''));
      done();
    },
  });
  const ownDir = env.REGISTRY_DATA_DIR === undefined ? mkdtempSync(join(tmpdir(), 'registry-test-data-')) : undefined;
  const config = loadConfig({
    // Suites that test tokens set REGISTRY_HTTP_AUTH=token themselves.
    REGISTRY_HTTP_PORT: '0', REGISTRY_AMQP_PORT: '0', REGISTRY_LOG_LEVEL: 'debug', REGISTRY_BCRYPT_COST: '4', REGISTRY_HTTP_AUTH: 'none',
    ...(ownDir === undefined ? {} : { REGISTRY_DATA_DIR: ownDir }),
    ...env,
  });
  const registry = await startRegistry(config, createLogger(config.logLevel, sink));
  return {
    registry,
    base: `http://127.0.0.1:${registry.httpPort}`,
    logs,
    dataDir: config.redis.dataDir,
    stop: async () => {
      await registry.stop();
      if (ownDir !== undefined) rmSync(ownDir, { recursive: true, force: true });
    },
  };
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: unknown;
}

/** A small fetch wrapper: JSON body in, status/headers/parsed JSON out. */
export async function http(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] ??= 'application/json';
  }
  return toResult(await fetch(`${base}${path}`, init));
}

/** Status, headers, text and parsed JSON (undefined when the body is not JSON) of a response. */
export async function toResult(res: Response): Promise<HttpResult> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
