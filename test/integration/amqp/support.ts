/**
 * Shared helpers of the AMQP integration suites (not a test file itself): a registry on the run's
 * Redis with the created `protocol-adapter@HONO` account, clients closed after each test, and
 * HTTP helpers to set up data.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { expect } from 'chai';
import { openClient, type AmqpClient, type ClientOptions, type Response } from '../../helpers/amqp-client.js';
import { http, startTestRegistry, type TestRegistry } from '../../helpers/registry.js';
import { sharedStore } from '../../helpers/root-hooks.js';
import { PROTOCOL_ADAPTER_ROLE as ROLE } from '../../../src/amqp/accounts.js';

export type Json = Record<string, unknown>;

export const ADAPTER_USER = 'protocol-adapter@HONO';
export const TENANT = 'DEFAULT_TENANT';

/** The password of the account a first start creates. */
export function adapterPassword(registry: TestRegistry): string {
  return readFileSync(join(registry.dataDir, 'amqp-adapter-password'), 'utf8').trim();
}

/** A user of a custom accounts file (schemas/amqp-accounts.json). */
export interface TestAccount {
  readonly password: string;
  readonly authorities: readonly (string | Json)[];
}

/** Hono's protocol-adapter role, as the registry's first accounts file defines it. */
export const PROTOCOL_ADAPTER_ROLE: Json[] = ROLE.map((authority) => ({ ...authority }));

/** Every permission (management operations over AMQP). */
export const ADMIN_AUTHORITIES: Json[] = [
  { resource: '*', activities: ['READ', 'WRITE'] },
  { operation: '*:*', activities: ['EXECUTE'] },
];

export const ADMIN_USER = 'admin@HONO';

/** The protocol-adapter account plus an admin account with every permission. */
export const ADAPTER_AND_ADMIN: Record<string, TestAccount> = {
  [ADAPTER_USER]: { password: 'adapter-secret', authorities: ['protocol-adapter'] },
  [ADMIN_USER]: { password: 'admin-secret', authorities: ADMIN_AUTHORITIES },
};

/** The text of an accounts file with these PLAIN users (bcrypt `$2a$`, cost 4 unless given), and the protocol-adapter role. */
export function accountsFileText(users: Record<string, TestAccount>, cost = 4): string {
  const entries = Object.fromEntries(
    Object.entries(users).map(([name, user]) => [name, { mechanism: 'PLAIN', 'password-hash': bcrypt.hashSync(user.password, bcrypt.genSaltSync(cost, 'a')), authorities: user.authorities }]),
  );
  return JSON.stringify({ roles: { 'protocol-adapter': PROTOCOL_ADAPTER_ROLE }, users: entries }, null, 2);
}

/** Writes a file into a fresh temp dir; returns its path and a remover. */
export function tempFile(name: string, text: string): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'registry-amqp-it-'));
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface AmqpSuite {
  readonly registry: TestRegistry;
  readonly base: string;
  readonly port: number;
  /** Opens a client as protocol-adapter@HONO (or with the given options); closed after the test. */
  client(options?: Partial<ClientOptions>): Promise<AmqpClient>;
  /** Tracks a client opened elsewhere so that it is closed after the test. */
  track(client: AmqpClient): AmqpClient;
}

/**
 * Registers the hooks of a suite: one registry on the shared Redis, Redis flushed and
 * DEFAULT_TENANT created before each test, every client closed after each test, the registry
 * stopped after the suite. Call inside `describe`.
 */
export function useAmqpRegistry(env: Record<string, string> = {}, options: { flush?: boolean; accounts?: Record<string, TestAccount>; bcryptCost?: number } = {}): AmqpSuite {
  let current: TestRegistry | undefined;
  let clients: AmqpClient[] = [];
  let accountsFile: { path: string; remove(): void } | undefined;
  before(async function () {
    const redis = await sharedStore();
    const extra: Record<string, string> = {};
    if (options.accounts !== undefined) {
      accountsFile = tempFile('accounts.json', accountsFileText(options.accounts, options.bcryptCost));
      extra.REGISTRY_AMQP_ACCOUNTS_FILE = accountsFile.path;
    }
    current = await startTestRegistry({ ...redis.env, ...extra, ...env });
  });
  if (options.flush !== false) {
    beforeEach(async function () {
      const redis = await sharedStore();
      expect(await redis.command('FLUSHALL')).to.equal('+OK');
      await createTenant(suite.base, TENANT);
    });
  }
  afterEach(async function () {
    const list = clients;
    clients = [];
    await Promise.all(list.map((c) => c.close()));
  });
  after(async function () {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    await current?.stop();
    current = undefined;
    accountsFile?.remove();
  });
  const registry = () => {
    if (current === undefined) throw new Error('registry not started');
    return current;
  };
  const suite: AmqpSuite = {
    get registry() {
      return registry();
    },
    get base() {
      return registry().base;
    },
    get port() {
      return registry().registry.amqpPort;
    },
    async client(opts = {}) {
      const defaultPassword = () => options.accounts?.[ADAPTER_USER]?.password ?? adapterPassword(registry());
      const withAccount = opts.anonymous === true || opts.username !== undefined ? {} : { username: ADAPTER_USER, password: defaultPassword() };
      const password = opts.username !== undefined && opts.password === undefined ? options.accounts?.[opts.username]?.password : undefined;
      const client = await openClient({ port: registry().registry.amqpPort, ...withAccount, ...(password === undefined ? {} : { password }), ...opts });
      clients.push(client);
      return client;
    },
    track(client) {
      clients.push(client);
      return client;
    },
  };
  return suite;
}

async function expectStatus(res: Promise<{ status: number; text: string }>, status: number): Promise<void> {
  const r = await res;
  expect(r.status, r.text).to.equal(status);
}

export const createTenant = (base: string, tenantId: string, extra: Json = {}) => expectStatus(http(base, 'POST', '/tenant', { 'tenant-id': tenantId, ...extra }), 201);
export const registerDevice = (base: string, tenantId: string, deviceId: string, data: Json = {}) =>
  expectStatus(http(base, 'POST', `/registration/${encodeURIComponent(tenantId)}`, { 'device-id': deviceId, ...data }), 201);
export const addCredentials = (base: string, tenantId: string, record: Json) => expectStatus(http(base, 'POST', `/credentials/${encodeURIComponent(tenantId)}`, record), 201);

/** Base64 DER SubjectPublicKeyInfo of a fresh EC key. */
export function publicKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
}

/** Asserts an accepted request answered with `status`; returns the body. */
export function expectAnswer(res: Response, status: number): unknown {
  expect(res.rejected, `rejected: ${JSON.stringify(res.rejected)}`).to.equal(undefined);
  expect(res.status, JSON.stringify(res.body)).to.equal(status);
  expect(res.statusType, 'status must be an AMQP int').to.be.oneOf(['Int', 'SmallInt']);
  return res.body;
}

/** Asserts a rejected request delivery with the condition. */
export function expectRejected(res: Response, condition = 'hono:bad-request'): void {
  expect(res.status, 'a rejected request gets no answer').to.equal(undefined);
  expect(res.rejected?.condition, JSON.stringify(res)).to.equal(condition);
}

/** The error a promise fails with (fails the test when it resolves). */
export async function failure(promise: Promise<unknown>): Promise<Error & { condition?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { condition?: string };
  }
  throw new Error('expected a failure');
}
