/**
 * Shared helpers of the HTTP management API integration suites (not a test file itself).
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { sharedStore } from '../../helpers/root-hooks.js';
import { http, startTestRegistry, toResult, type HttpResult, type TestRegistry } from '../../helpers/registry.js';

const exec = promisify(execFile);

export type Json = Record<string, unknown>;

/** Handle on the registry of a suite; valid inside the suite's tests. */
export interface SuiteRegistry {
  readonly base: string;
  readonly registry: TestRegistry;
}

/**
 * Registers the hooks of a suite: one registry on the run's shared Redis for the whole suite,
 * Redis flushed before each test, registry stopped afterwards. Call inside `describe`.
 */
export function useRegistry(env: Record<string, string> = {}): SuiteRegistry {
  let current: TestRegistry | undefined;
  before(async function () {
    const redis = await sharedStore();
    current = await startTestRegistry({ ...redis.env, ...env });
  });
  beforeEach(async function () {
    const redis = await sharedStore();
    expect(await redis.command('FLUSHALL')).to.equal('+OK');
  });
  after(async function () {
    await current?.stop();
    current = undefined;
  });
  return {
    get base() {
      if (current === undefined) throw new Error('registry not started');
      return current.base;
    },
    get registry() {
      if (current === undefined) throw new Error('registry not started');
      return current;
    },
  };
}

/** Asserts an error response: the status and a JSON body `{"error": "<non-empty text>"}`. */
export function expectError(res: HttpResult, status: number): void {
  expect(res.status, res.text).to.equal(status);
  expect(res.headers.get('content-type') ?? '').to.match(/^application\/json\b/);
  expect(res.json, res.text).to.be.an('object');
  const error = (res.json as Json).error;
  expect(error, res.text).to.be.a('string');
  expect((error as string).trim()).to.not.equal('');
}

/** Asserts a 201 with the expected Location header. */
export function expectCreated(res: HttpResult, location?: string): void {
  expect(res.status, res.text).to.equal(201);
  if (location !== undefined) expect(res.headers.get('location')).to.equal(location);
}

/** Asserts a 204 without body. */
export function expectNoContent(res: HttpResult): void {
  expect(res.status, res.text).to.equal(204);
  expect(res.text).to.equal('');
}

/** Asserts a 200 with a JSON body and returns the body. */
export function expectOk(res: HttpResult): Json {
  expect(res.status, res.text).to.equal(200);
  expect(res.headers.get('content-type') ?? '').to.match(/^application\/json\b/);
  expect(res.json).to.be.an('object');
  return res.json as Json;
}

/**
 * A request with raw bytes as body; unlike `http`, no Content-Type is added (fetch sets none for
 * byte bodies), so the header is sent only when given.
 */
export async function rawRequest(base: string, method: string, path: string, body: Uint8Array | undefined, headers: Record<string, string> = {}): Promise<HttpResult> {
  // a copy backed by a plain ArrayBuffer, which is what BodyInit accepts
  return toResult(await fetch(`${base}${path}`, { method, headers, ...(body === undefined ? {} : { body: new Uint8Array(body) }) }));
}

/** Creates a tenant and checks the 201. */
export async function createTenant(base: string, tenantId: string, extra: Json = {}): Promise<void> {
  expectCreated(await http(base, 'POST', '/tenant', { 'tenant-id': tenantId, ...extra }), `/tenant/${encodeURIComponent(tenantId)}`);
}

/** Registers a device and checks the 201. */
export async function registerDevice(base: string, tenantId: string, deviceId: string, data: Json = {}): Promise<void> {
  const res = await http(base, 'POST', `/registration/${encodeURIComponent(tenantId)}`, { 'device-id': deviceId, ...data });
  expectCreated(res, `/registration/${encodeURIComponent(tenantId)}/${encodeURIComponent(deviceId)}`);
}

/** Base64 DER SubjectPublicKeyInfo of a freshly generated key. */
export function publicKey(kind: 'rsa' | 'ec'): string {
  const pair = kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return pair.publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

/**
 * Base64 DER of a fresh self-signed certificate made by `openssl req -x509` (asynchronously: the
 * registry answers from this same process). `subject` is in OpenSSL form, e.g. `/O=Eclipse/OU=Hono/CN=ca`.
 */
export async function selfSignedCert(subject: string, kind: 'rsa' | 'ec' = 'rsa'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'registry-http-it-'));
  try {
    const keyArgs = kind === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
    const out = join(dir, 'cert.der');
    await exec('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', join(dir, 'key.pem'), '-subj', subject, '-days', '30', '-outform', 'DER', '-out', out]);
    return (await readFile(out)).toString('base64');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
