/**
 * Shared helpers of the management-security suites (test/integration/security): a registry with
 * bearer-token authentication on the run's Redis, token minting through `POST /tokens`, and one
 * fixture per route of the route table (what to provision and what a successful call answers).
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Route } from '../../src/http/route.js';
import { ROUTES } from '../../src/http/routes.js';
import { http, startTestRegistry, type HttpResult, type TestRegistry } from './registry.js';
import { sharedRedis } from './root-hooks.js';

/** The bootstrap token of the security suites (every scope, every tenant). */
export const BOOTSTRAP = 'security-suite-bootstrap-token-0123456789abcdef';
/** A fixed pepper, so that several registries (and restarts) on one Redis accept the same tokens. */
export const PEPPER = 'security-suite-pepper-0123456789abcdef0123456789';

export type Json = Record<string, unknown>;

/** `Authorization: Bearer <token>`. */
export function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/** A registry on the run's Redis with REGISTRY_HTTP_AUTH=token, the bootstrap token and the fixed pepper. */
export async function startTokenRegistry(env: Record<string, string> = {}): Promise<TestRegistry> {
  const redis = await sharedRedis();
  return startTestRegistry({
    REGISTRY_REDIS_URL: redis.url,
    REGISTRY_HTTP_AUTH: 'token',
    REGISTRY_BOOTSTRAP_TOKEN: BOOTSTRAP,
    REGISTRY_TOKEN_PEPPER: PEPPER,
    ...env,
  });
}

/**
 * Registers the hooks of a suite on a token registry: Redis flushed and the registry started
 * before the suite, stopped and Redis flushed after it. Call inside `describe`; the getter is valid in its tests.
 */
export function useTokenRegistry(env: Record<string, string> = {}): () => TestRegistry {
  let registry: TestRegistry | undefined;
  before(async function () {
    await flushRedis();
    registry = await startTokenRegistry(env);
  });
  after(async function () {
    await registry?.stop();
    registry = undefined;
    await flushRedis();
  });
  return () => {
    if (registry === undefined) throw new Error('registry not started');
    return registry;
  };
}

/** Empties the run's Redis. */
export async function flushRedis(): Promise<void> {
  const redis = await sharedRedis();
  expect(await redis.command('FLUSHALL')).to.equal('+OK');
}

export interface Minted {
  readonly token: string;
  readonly id: string;
  readonly body: Json;
  readonly res: HttpResult;
}

/** Mints a token with `granter` through `POST /tokens`; expects 201. */
export async function mint(base: string, granter: string, request: Json): Promise<Minted> {
  const res = await http(base, 'POST', '/tokens', { 'expires-in': '1h', ...request }, bearer(granter));
  expect(res.status, res.text).to.equal(201);
  const body = res.json as Json;
  return { token: body.token as string, id: body.id as string, body, res };
}

/** Asserts `{"error": "<text>"}` with a JSON content type and the status. */
export function expectJsonError(res: HttpResult, status: number): string {
  expect(res.status, res.text).to.equal(status);
  expect(res.headers.get('content-type') ?? '').to.match(/^application\/json\b/);
  const error = (res.json as Json | undefined)?.error;
  expect(error, res.text).to.be.a('string');
  expect((error as string).trim()).to.not.equal('');
  return error as string;
}

// ---------------------------------------------------------------------------------------------
// Route fixtures

export const DEVICE = 'dev-1';
export const AUTH_ID = 'auth-1';
export const CRED_TYPE = 'hashed-password';

/** Provisioning calls, made with the bootstrap token. */
export class Provisioner {
  constructor(
    readonly base: string,
    readonly admin: string = BOOTSTRAP,
  ) {}

  async call(method: string, path: string, body: unknown, expected: number): Promise<HttpResult> {
    const res = await http(this.base, method, path, body, bearer(this.admin));
    expect(res.status, `${method} ${path}: ${res.text}`).to.equal(expected);
    return res;
  }

  tenant(tenant: string): Promise<HttpResult> {
    return this.call('POST', '/tenant', { 'tenant-id': tenant }, 201);
  }

  async device(tenant: string, device = DEVICE): Promise<void> {
    await this.tenant(tenant);
    await this.call('POST', `/registration/${encodeURIComponent(tenant)}`, { 'device-id': device }, 201);
  }

  async credentials(tenant: string): Promise<void> {
    await this.device(tenant);
    await this.call('POST', `/credentials/${encodeURIComponent(tenant)}`, credentialsBody(AUTH_ID, 'pwd-plain-fixture-secret'), 201);
  }

  async denied(tenant: string): Promise<void> {
    await this.device(tenant);
    await this.call('DELETE', `/registration/${encodeURIComponent(tenant)}/${DEVICE}`, undefined, 204);
  }
}

export function credentialsBody(authId: string, password: string, device = DEVICE): Json {
  return { 'device-id': device, type: CRED_TYPE, 'auth-id': authId, secrets: [{ 'pwd-plain': password }] };
}

export interface RouteFixture {
  /** Makes the route's happy path possible in `tenant`. */
  readonly prepare?: (p: Provisioner, tenant: string) => Promise<void>;
  /** A valid request body for `tenant`. */
  readonly body?: (tenant: string) => unknown;
  /** Path parameters other than the defaults (tokenId: the caller's own token). */
  readonly selfToken?: boolean;
  /** The route acts on a tenant not named before (a generated id): its happy path needs a token for every tenant (`*`). */
  readonly allTenants?: boolean;
}

const withTenant = (p: Provisioner, t: string): Promise<void> => p.tenant(t).then(() => undefined);

/** One fixture per operationId of the route table. */
export const FIXTURES: Readonly<Record<string, RouteFixture>> = {
  createTenant: { body: (t) => ({ 'tenant-id': t }) },
  getTenant: { prepare: (p, t) => p.tenant(t).then(() => undefined) },
  updateTenant: { prepare: (p, t) => p.tenant(t).then(() => undefined), body: () => ({ enabled: false }) },
  deleteTenant: { prepare: (p, t) => p.tenant(t).then(() => undefined) },
  registerDevice: { prepare: (p, t) => p.tenant(t).then(() => undefined), body: () => ({ 'device-id': DEVICE }) },
  getRegistration: { prepare: (p, t) => p.device(t) },
  updateRegistration: { prepare: (p, t) => p.device(t), body: () => ({ enabled: false }) },
  deleteRegistration: { prepare: (p, t) => p.device(t) },
  addCredentials: { prepare: (p, t) => p.device(t), body: () => credentialsBody(AUTH_ID, 'pwd-plain-fixture-secret') },
  getDeviceCredentials: { prepare: (p, t) => p.credentials(t) },
  deleteDeviceCredentials: { prepare: (p, t) => p.credentials(t) },
  getCredentials: { prepare: (p, t) => p.credentials(t) },
  updateCredentials: { prepare: (p, t) => p.credentials(t), body: () => credentialsBody(AUTH_ID, 'pwd-plain-fixture-changed') },
  deleteCredentials: { prepare: (p, t) => p.credentials(t) },
  listDeniedDevices: { prepare: (p, t) => p.denied(t) },
  releaseDeniedDevice: { prepare: (p, t) => p.denied(t) },
  searchCredentials: { prepare: (p, t) => p.credentials(t) },
  getAllCredentials: { prepare: (p, t) => p.device(t) },
  setAllCredentials: { prepare: (p, t) => p.device(t), body: () => [{ type: CRED_TYPE, 'auth-id': AUTH_ID, secrets: [{ 'pwd-plain': 'pwd-plain-fixture-secret' }] }] },
  createToken: { body: (t) => ({ scopes: ['tokens:create'], tenants: [t], 'expires-in': '10m' }) },
  listTokens: {},
  revokeToken: { selfToken: true },
  readAudit: {},
  health: {},
  ready: {},
  metrics: {},
  openApiDocument: {},
  apiDocsPage: {},
  apiDocsAsset: {},
  overview: {},
  consolePage: {},
  consoleAsset: {},
  // /v1 tenants
  v1CreateTenant: { allTenants: true },
  v1SearchTenants: { prepare: withTenant },
  v1CreateTenantWithId: {},
  v1GetTenant: { prepare: withTenant },
  v1UpdateTenant: { prepare: withTenant, body: () => ({ enabled: false }) },
  v1PatchTenant: { prepare: withTenant, body: () => ({ enabled: false }) },
  v1DeleteTenant: { prepare: withTenant },
  signIn: { body: () => ({ token: BOOTSTRAP }) },
  getSession: {},
  signOut: {},
  createDeviceRegistration: { prepare: (p, t) => p.tenant(t).then(() => undefined), body: () => ({ ext: { brand: 'acme' } }) },
  searchDevicesForTenant: { prepare: (p, t) => p.device(t) },
  deleteDevicesOfTenant: { prepare: (p, t) => p.device(t) },
  createDeviceRegistrationWithId: { prepare: (p, t) => p.tenant(t).then(() => undefined), body: () => ({ enabled: true }) },
  getDevice: { prepare: (p, t) => p.device(t) },
  updateDevice: { prepare: (p, t) => p.device(t), body: () => ({ enabled: false }) },
  patchDevice: { prepare: (p, t) => p.device(t), body: () => ({ enabled: false }) },
  deleteDevice: { prepare: (p, t) => p.device(t) },
  bulkCreateDevices: { prepare: (p, t) => p.tenant(t).then(() => undefined), body: () => ({ items: [{ id: DEVICE }] }) },
  bulkUpdateDevices: { prepare: (p, t) => p.device(t), body: () => ({ items: [{ id: DEVICE, device: { enabled: false } }] }) },
  bulkDeleteDevices: { prepare: (p, t) => p.device(t), body: () => ({ items: [{ id: DEVICE }] }) },
};

/** The concrete path of a route for `tenant` (and the caller's token id for `{tokenId}`). */
export function concretePath(route: Route, tenant: string, tokenId = 'tok_0000000000000000'): string {
  const values: Record<string, string> = { tenantId: tenant, deviceId: DEVICE, authId: AUTH_ID, type: CRED_TYPE, tokenId, asset: 'swagger-ui.css', file: 'app.js' };
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no fixture value for the path parameter ${name} of ${route.path}`);
    return encodeURIComponent(value);
  });
}

/** The body a request to the route carries (undefined for GET/DELETE). */
export function bodyOf(route: Route, tenant: string): unknown {
  const fixture = FIXTURES[route.operationId];
  if (route.body === undefined) return undefined;
  return fixture?.body?.(tenant) ?? {};
}

/** Calls a route for `tenant` with the given headers (a PATCH body is a merge patch). */
export function callRoute(base: string, route: Route, tenant: string, headers: Record<string, string>, options: { query?: string; tokenId?: string } = {}): Promise<HttpResult> {
  const path = concretePath(route, tenant, options.tokenId) + (options.query ?? '');
  const type: Record<string, string> = route.method === 'PATCH' ? { 'Content-Type': 'application/merge-patch+json' } : {};
  return http(base, route.method, path, bodyOf(route, tenant), { ...type, ...headers });
}

/** The tenants a token for the happy path of a route holds: the tenant, or every one (RouteFixture.allTenants). */
export function happyTenants(route: Route, tenant: string): string[] {
  return FIXTURES[route.operationId]?.allTenants === true ? ['*'] : [tenant];
}

export { ROUTES };
export type { Route };

let counter = 0;
/** A tenant id not used before in this run. */
export function freshTenant(prefix = 'sec'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}`;
}

// ---------------------------------------------------------------------------------------------
// Raw Redis and raw HTTP

/** A raw ioredis client on the run's Redis; quit it after use. */
export async function rawRedis(): Promise<Redis> {
  const redis = await sharedRedis();
  return new Redis(redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
}

/** Every key with everything it holds, read type by type (and as DUMP bytes), as one text per key. */
export async function dumpAll(client: Redis): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, found] = await client.scan(cursor, 'COUNT', 500);
    cursor = next;
    for (const key of found) {
      const type = await client.type(key);
      let text: string;
      if (type === 'string') text = (await client.get(key)) ?? '';
      else if (type === 'hash') text = JSON.stringify(await client.hgetall(key));
      else if (type === 'list') text = JSON.stringify(await client.lrange(key, 0, -1));
      else if (type === 'set') text = JSON.stringify(await client.smembers(key));
      else if (type === 'zset') text = JSON.stringify(await client.zrange(key, '0', '-1', 'WITHSCORES'));
      else if (type === 'stream') text = JSON.stringify(await client.xrange(key, '-', '+'));
      else text = '';
      const dumped = await client.dumpBuffer(key);
      out.set(key, `${text}\n${dumped?.toString('latin1') ?? ''}`);
    }
  } while (cursor !== '0');
  return out;
}

/** A request from a chosen local address (127.0.0.x), on a fresh connection. */
export function requestFrom(localAddress: string, port: number, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, localAddress, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
