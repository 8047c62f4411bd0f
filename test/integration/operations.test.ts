/**
 * What operators use next to the API: /metrics after real HTTP and AMQP traffic, /openapi.yaml and
 * the Swagger UI at /docs (served from swagger-ui-dist, no CDN), request ids and the request log.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { http, startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { startTestRedis } from '../helpers/redis-server.js';
import { sharedRedis } from '../helpers/root-hooks.js';
import { openClient } from '../helpers/amqp-client.js';
import { ADAPTER_AND_ADMIN, ADAPTER_USER, accountsFileText, tempFile } from './amqp/support.js';
import { sample } from '../helpers/metrics.js';

const BOOTSTRAP = 'operations-test-bootstrap-token-0123456789';
const auth = { Authorization: `Bearer ${BOOTSTRAP}` };

describe('operator endpoints', function () {
  this.timeout(30_000);
  let registry: TestRegistry;
  let accounts: { path: string; remove(): void };
  const scrape = async () => {
    const res = await http(registry.base, 'GET', '/metrics');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    return res.text;
  };

  before(async function () {
    const redis = await sharedRedis();
    await redis.command('FLUSHALL');
    accounts = tempFile('accounts.json', accountsFileText(ADAPTER_AND_ADMIN));
    registry = await startTestRegistry({
      REGISTRY_REDIS_URL: redis.url, REGISTRY_HTTP_AUTH: 'token', REGISTRY_BOOTSTRAP_TOKEN: BOOTSTRAP, REGISTRY_AMQP_ACCOUNTS_FILE: accounts.path,
    });
  });

  after(async function () {
    await registry.stop();
    accounts.remove();
  });

  it('counts HTTP requests by operation and status, with latency histograms', async function () {
    const before = await scrape();
    const labels = { operation: 'getTenant', method: 'GET', status: '200' };
    for (let i = 0; i < 3; i++) expect((await http(registry.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, auth)).status).to.equal(200);
    expect((await http(registry.base, 'GET', '/tenant/nobody', undefined, auth)).status).to.equal(404);
    const after = await scrape();
    expect(sample(after, 'registry_http_request_duration_seconds_count', labels) - sample(before, 'registry_http_request_duration_seconds_count', labels)).to.equal(3);
    expect(sample(after, 'registry_http_request_duration_seconds_count', { operation: 'getTenant', status: '404' })).to.be.at.least(1);
    expect(sample(after, 'registry_http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).to.be.at.least(3);
    expect(sample(after, 'registry_http_request_duration_seconds_count', { operation: 'unmatched', status: '404' })).to.equal(0);
    await http(registry.base, 'GET', '/no/such/thing');
    expect(sample(await scrape(), 'registry_http_request_duration_seconds_count', { operation: 'unmatched', status: '404' })).to.equal(1);
  });

  it('counts AMQP requests by endpoint, operation and status, rejections, connections and links, and login cache hits', async function () {
    const password = ADAPTER_AND_ADMIN[ADAPTER_USER]?.password as string;
    const before = await scrape();
    const client = await openClient({ port: registry.registry.amqpPort, username: ADAPTER_USER, password });
    try {
      for (let i = 0; i < 2; i++) expect((await client.request('tenant', { subject: 'get', body: { 'tenant-id': 'DEFAULT_TENANT' } })).status).to.equal(200);
      expect((await client.request('registration/DEFAULT_TENANT', { subject: 'assert', applicationProperties: { device_id: 'ghost' } })).status).to.equal(404);
      expect((await client.request('registration/DEFAULT_TENANT', { subject: 'assert' })).rejected?.condition).to.equal('hono:bad-request');
      const during = await scrape();
      const delta = (name: string, labels: Record<string, string>) => sample(during, name, labels) - sample(before, name, labels);
      expect(delta('registry_amqp_request_duration_seconds_count', { endpoint: 'tenant', operation: 'get', status: '200' })).to.equal(2);
      expect(delta('registry_amqp_request_duration_seconds_count', { endpoint: 'registration', operation: 'assert', status: '404' })).to.equal(1);
      expect(delta('registry_amqp_rejected_requests_total', { endpoint: 'registration', condition: 'hono:bad-request' })).to.equal(1);
      expect(sample(during, 'registry_amqp_connections')).to.equal(1);
      expect(sample(during, 'registry_amqp_links', { role: 'request' })).to.equal(2);
      expect(sample(during, 'registry_amqp_links', { role: 'reply' })).to.equal(2);
      expect(delta('registry_redis_command_duration_seconds_count', { command: 'hget' })).to.be.at.least(2);
      expect(delta('registry_bcrypt_duration_seconds_count', { operation: 'compare' })).to.equal(1);
      expect(delta('registry_amqp_login_cache_total', { result: 'miss' })).to.equal(1);
    } finally {
      await client.close();
    }
    const again = await openClient({ port: registry.registry.amqpPort, username: ADAPTER_USER, password });
    await again.close();
    const after = await scrape();
    expect(sample(after, 'registry_amqp_login_cache_total', { result: 'hit' }) - sample(before, 'registry_amqp_login_cache_total', { result: 'hit' })).to.equal(1);
    expect(sample(after, 'registry_amqp_connections')).to.equal(0);
    expect(sample(after, 'registry_amqp_links', { role: 'request' })).to.equal(0);
  });

  it('measures bcrypt hashing of pwd-plain secrets', async function () {
    expect((await http(registry.base, 'POST', '/registration/DEFAULT_TENANT', { 'device-id': 'metrics-dev' }, auth)).status).to.equal(201);
    const before = await scrape();
    const res = await http(registry.base, 'POST', '/credentials/DEFAULT_TENANT', { 'device-id': 'metrics-dev', type: 'hashed-password', 'auth-id': 'metrics', secrets: [{ 'pwd-plain': 'metrics-secret' }] }, auth);
    expect(res.status, res.text).to.equal(201);
    const after = await scrape();
    expect(sample(after, 'registry_bcrypt_duration_seconds_count', { operation: 'hash' }) - sample(before, 'registry_bcrypt_duration_seconds_count', { operation: 'hash' })).to.equal(1);
    expect(after).to.include('# TYPE process_cpu_seconds_total counter');
  });

  it('serves /openapi.yaml (the committed api_swagger.yaml) and the Swagger UI with its assets, without a token or a CDN', async function () {
    const doc = await http(registry.base, 'GET', '/openapi.yaml');
    expect(doc.status).to.equal(200);
    expect(doc.headers.get('content-type')).to.match(/^application\/yaml/);
    expect(doc.text).to.equal(readFileSync(new URL('../../api_swagger.yaml', import.meta.url), 'utf8'));
    const page = await http(registry.base, 'GET', '/docs');
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    expect(page.headers.get('content-security-policy')).to.include("default-src 'self'");
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets).to.include.members(['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/swagger-initializer.js']);
    for (const asset of assets) {
      expect(asset, 'no CDN').to.match(/^\/docs\//);
      const res = await fetch(`${registry.base}${asset}`);
      expect(res.status, asset).to.equal(200);
      expect((await res.arrayBuffer()).byteLength, asset).to.be.greaterThan(0);
    }
    const init = await http(registry.base, 'GET', '/docs/swagger-initializer.js');
    expect(init.text).to.include("url: '/openapi.yaml'");
    expect((await http(registry.base, 'GET', '/docs/package.json')).status).to.equal(404);
    expect((await http(registry.base, 'GET', '/docs/..%2Fpackage.json')).status).to.equal(404);
  });

  it('echoes a sane X-Request-Id, replaces anything else, and logs one line per request with it', async function () {
    const echoed = await http(registry.base, 'GET', '/tenant/DEFAULT_TENANT?token=query-secret-value', undefined, { ...auth, 'X-Request-Id': 'trace-42.a_b:c' });
    expect(echoed.headers.get('x-request-id')).to.equal('trace-42.a_b:c');
    const made = await http(registry.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, auth);
    expect(made.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    const insane = await http(registry.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, { ...auth, 'X-Request-Id': `${'x'.repeat(200)}` });
    expect(insane.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    const odd = await http(registry.base, 'GET', '/tenant/DEFAULT_TENANT', undefined, { ...auth, 'X-Request-Id': 'a b"<script>' });
    expect(odd.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);

    const lines = registry.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
    const line = lines.find((l) => l.reqId === 'trace-42.a_b:c');
    expect(line).to.include({ method: 'GET', path: '/tenant/DEFAULT_TENANT', operation: 'getTenant', status: 200, level: 30 });
    expect(line?.ms).to.be.a('number');
    expect(lines.filter((l) => l.reqId === made.headers.get('x-request-id'))).to.have.length(1);
    const all = registry.logs.join('\n');
    expect(all).to.not.include('query-secret-value');
    expect(all).to.not.include(BOOTSTRAP);
  });

  it('logs probes and scrapes at debug level, not info', async function () {
    const res = await http(registry.base, 'GET', '/health', undefined, { 'X-Request-Id': 'probe-1' });
    expect(res.status).to.equal(200);
    const line = registry.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.reqId === 'probe-1');
    expect(line).to.include({ level: 20, operation: 'health', status: 200 });
  });

  it('logs AMQP requests at debug level with their id and outcome', async function () {
    const password = ADAPTER_AND_ADMIN[ADAPTER_USER]?.password as string;
    const client = await openClient({ port: registry.registry.amqpPort, username: ADAPTER_USER, password });
    try {
      await client.request('tenant', { subject: 'get', body: { 'tenant-id': 'DEFAULT_TENANT' }, messageId: 'amqp-log-id-1' });
      await client.request('tenant', { subject: 'get', messageId: 'amqp-log-id-2', replyTo: 'tenant/nobody-listens' });
    } finally {
      await client.close();
    }
    const lines = registry.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'amqp request');
    expect(lines.find((l) => l.id === 'amqp-log-id-1')).to.include({ level: 20, address: 'tenant', subject: 'get', outcome: 200 });
    expect(lines.find((l) => l.id === 'amqp-log-id-2')).to.include({ level: 20, outcome: 'amqp:illegal-state' });
  });
});

describe('REGISTRY_METRICS=off', function () {
  it('answers /metrics with 404 and keeps the other public routes', async function () {
    const redis = await sharedRedis();
    const registry = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url, REGISTRY_METRICS: 'off' });
    try {
      const res = await http(registry.base, 'GET', '/metrics');
      expect(res.status).to.equal(404);
      expect(res.json).to.deep.equal({ error: 'metrics are turned off (REGISTRY_METRICS=off)' });
      expect((await http(registry.base, 'GET', '/ready')).status).to.equal(200);
    } finally {
      await registry.stop();
    }
  });
});

describe('Redis command errors in /metrics', function () {
  this.timeout(30_000);

  it('counts the commands that fail while Redis is down', async function () {
    const redis = await startTestRedis([]);
    const registry = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url });
    try {
      const errors = async () => sample((await http(registry.base, 'GET', '/metrics')).text, 'registry_redis_command_errors_total', { command: 'ping' });
      const before = await errors();
      await redis.stop();
      expect((await http(registry.base, 'GET', '/ready')).status).to.equal(503);
      expect(await errors()).to.be.greaterThan(before);
    } finally {
      await registry.stop();
      await redis.destroy();
    }
  });
});
