/**
 * No secret, password or hash enters any log or the audit trail (docs/security.md "Audit
 * trail"): a registry with token authentication and debug logging goes through token creation,
 * secrets in query strings and a token value in a path, failed logins with wrong tokens,
 * credentials with pwd-plain, bcrypt and SHA hashes, and AMQP PLAIN logins; then every value
 * used is searched for in the logs and the audit trail.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcrypt';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { openClient, type AmqpClient } from '../../helpers/amqp-client.js';
import { http, type TestRegistry } from '../../helpers/registry.js';
import { BOOTSTRAP, PEPPER, bearer, dumpAll, flushRedis, mint, rawRedis, startTokenRegistry, type Json } from '../../helpers/security.js';

const TENANT = 'DEFAULT_TENANT';
const ADAPTER_USER = 'protocol-adapter@HONO';

function shaSecret(fn: 'sha-256' | 'sha-512', password: string): { secret: Json; hash: string; salt: string } {
  const salt = randomBytes(12);
  const hash = createHash(fn.replace('-', '')).update(salt).update(password).digest().toString('base64');
  return { secret: { 'hash-function': fn, 'pwd-hash': hash, salt: salt.toString('base64') }, hash, salt: salt.toString('base64') };
}

describe('secrets stay out of the logs and the audit trail', function () {
  this.timeout(20_000);
  let registry: TestRegistry;
  let redis: Redis;
  /** label → secret value that must appear nowhere. */
  const secrets = new Map<string, string>();
  const keep = (label: string, value: string) => {
    expect(value.length, label).to.be.at.least(8);
    secrets.set(label, value);
  };

  before(async function () {
    await flushRedis();
    redis = await rawRedis();
    registry = await startTokenRegistry({ REGISTRY_AUTH_FAILURE_LIMIT: '1000', REGISTRY_LOG_LEVEL: 'trace' });
    keep('bootstrap token', BOOTSTRAP);
    keep('pepper', PEPPER);
    const { base } = registry;
    const admin = bearer(BOOTSTRAP);

    // tokens: created, used, revoked
    const a = await mint(base, BOOTSTRAP, { scopes: ['*'], tenants: ['*'], description: 'admin copy' });
    const b = await mint(base, a.token, { scopes: ['devices:read', 'credentials:read'], tenants: [TENANT], description: 'reader' });
    keep('token a', a.token);
    keep('token b', b.token);
    expect((await http(base, 'GET', `/credentials/${TENANT}/none`, undefined, bearer(b.token))).status).to.equal(404);
    expect((await http(base, 'DELETE', `/tokens/${b.id}`, undefined, bearer(a.token))).status).to.equal(204);

    // secrets in query strings, under any name, and a token value where its id belongs
    const inQuery = ['access_token', 'token', 'password', 'bare'].map((name) => {
      const value = `${name}-${randomBytes(12).toString('hex')}`;
      keep(`?${name}=`, value);
      return name === 'bare' ? value : `${name}=${value}`;
    });
    const query = `?${inQuery.join('&')}`;
    const queried: [string, string, unknown, number][] = [
      ['POST', `/tenant${query}`, { 'tenant-id': 'query-secrets' }, 201],
      ['PUT', `/tenant/query-secrets${query}`, { enabled: true }, 204],
      ['DELETE', `/denied-devices/${TENANT}/none${query}&purge=true`, undefined, 404],
      ['DELETE', `/tokens/${a.token}${query}`, undefined, 404],
      ['GET', `/tokens${query}`, undefined, 200],
      ['GET', `/tenant/${a.token}${query}`, undefined, 404],
    ];
    for (const [method, path, body, status] of queried) expect((await http(base, method, path, body, admin)).status, `${method} ${path}`).to.equal(status);

    // failed logins: wrong, revoked and malformed tokens
    const wrong = `dr_${randomBytes(32).toString('base64url')}`;
    keep('wrong token', wrong);
    const basicPassword = `basic-${randomBytes(9).toString('hex')}`;
    keep('basic password', basicPassword);
    const garbage = `garbage-${randomBytes(24).toString('hex')}`;
    keep('garbage token', garbage);
    for (const header of [`Bearer ${wrong}`, `Bearer ${b.token}`, `Basic ${Buffer.from(`admin:${basicPassword}`).toString('base64')}`, `Bearer ${garbage} extra`, garbage, `Bearer ${garbage}!`]) {
      const res = await http(base, 'GET', '/tokens', undefined, { Authorization: header });
      expect(res.status, header).to.equal(401);
    }

    // credentials: pwd-plain, bcrypt, sha-256, sha-512; an update; a refused one
    const plain1 = `plain-${randomBytes(9).toString('hex')}`;
    const plain2 = `plain-${randomBytes(9).toString('hex')}`;
    const plain3 = `plain-${randomBytes(9).toString('hex')}`;
    const bcryptPassword = `bcrypt-${randomBytes(9).toString('hex')}`;
    const bcryptHash = bcrypt.hashSync(bcryptPassword, bcrypt.genSaltSync(4, 'a'));
    const sha256 = shaSecret('sha-256', `sha256-${randomBytes(6).toString('hex')}`);
    const sha512 = shaSecret('sha-512', `sha512-${randomBytes(6).toString('hex')}`);
    const tooCostly = bcrypt.hashSync(bcryptPassword, bcrypt.genSaltSync(12, 'a'));
    for (const [label, value] of Object.entries({ plain1, plain2, plain3, bcryptPassword, bcryptHash, tooCostly, 'sha-256 hash': sha256.hash, 'sha-256 salt': sha256.salt, 'sha-512 hash': sha512.hash, 'sha-512 salt': sha512.salt })) keep(label, value);
    expect((await http(base, 'POST', `/registration/${TENANT}`, { 'device-id': 'secret-dev' }, admin)).status).to.equal(201);
    const post = (authId: string, secret: Json) =>
      http(base, 'POST', `/credentials/${TENANT}`, { 'device-id': 'secret-dev', type: 'hashed-password', 'auth-id': authId, secrets: [secret] }, admin);
    expect((await post('plain-user', { 'pwd-plain': plain1 })).status).to.equal(201);
    expect((await post('bcrypt-user', { 'hash-function': 'bcrypt', 'pwd-hash': bcryptHash })).status).to.equal(201);
    expect((await post('sha256-user', sha256.secret)).status).to.equal(201);
    expect((await post('sha512-user', sha512.secret)).status).to.equal(201);
    expect((await post('costly-user', { 'hash-function': 'bcrypt', 'pwd-hash': tooCostly })).status).to.equal(400);
    expect((await post('plain-user', { 'pwd-plain': plain3 })).status).to.equal(409);
    const update = await http(base, 'PUT', `/credentials/${TENANT}/plain-user/hashed-password`, { 'device-id': 'secret-dev', type: 'hashed-password', 'auth-id': 'plain-user', secrets: [{ 'pwd-plain': plain2 }] }, admin);
    expect(update.status, update.text).to.equal(204);
    // the hashes the registry made of the pwd-plain secrets
    const stored = await http(base, 'GET', `/credentials/${TENANT}/secret-dev`, undefined, admin);
    expect(stored.status).to.equal(200);
    for (const cred of (stored.json as { credentials: { 'auth-id': string; secrets: Json[] }[] }).credentials) {
      for (const secret of cred.secrets) if (typeof secret['pwd-hash'] === 'string') keep(`stored hash of ${cred['auth-id']}`, secret['pwd-hash']);
    }

    // AMQP: PLAIN logins, right and wrong, and credentials lookups that answer hashes
    const adapterPassword = readFileSync(join(registry.dataDir, 'amqp-adapter-password'), 'utf8').trim();
    keep('AMQP adapter password', adapterPassword);
    const accounts = JSON.parse(readFileSync(join(registry.dataDir, 'amqp-accounts.json'), 'utf8')) as { users: Record<string, { 'password-hash': string }> };
    keep('AMQP account hash', accounts.users[ADAPTER_USER]?.['password-hash'] ?? '');
    const wrongAmqp = `amqp-wrong-${randomBytes(9).toString('hex')}`;
    keep('wrong AMQP password', wrongAmqp);
    for (const [username, password] of [[ADAPTER_USER, wrongAmqp], ['nobody@HONO', adapterPassword], [ADAPTER_USER, `${adapterPassword}x`]] as const) {
      let refused = false;
      try {
        await (await openClient({ port: registry.registry.amqpPort, username, password })).close();
      } catch {
        refused = true;
      }
      expect(refused, username).to.equal(true);
    }
    let client: AmqpClient | undefined;
    try {
      client = await openClient({ port: registry.registry.amqpPort, username: ADAPTER_USER, password: adapterPassword });
      for (const authId of ['plain-user', 'bcrypt-user', 'sha256-user', 'sha512-user']) {
        const res = await client.request(`credentials/${TENANT}`, { subject: 'get', body: { type: 'hashed-password', 'auth-id': authId } });
        expect(res.status, authId).to.equal(200);
      }
      // store failures: 500s are logged with their cause; make two keys hold the wrong type
      const plain4 = `plain-${randomBytes(9).toString('hex')}`;
      keep('plain4', plain4);
      const credKey = `credentials:{${TENANT}}`;
      const idsKey = 'token-ids:{~auth}';
      const saved = await Promise.all([redis.dumpBuffer(credKey), redis.dumpBuffer(idsKey)]);
      await redis.set(credKey, 'wrong type');
      await redis.set(idsKey, 'wrong type');
      try {
        expect((await post('failing-user', { 'pwd-plain': plain4 })).status).to.equal(500);
        const failing = await http(base, 'POST', '/tokens', { scopes: ['devices:read'], tenants: ['*'], 'expires-in': 60 }, bearer(a.token));
        expect(failing.status, failing.text).to.equal(500);
        const res = await client.request(`credentials/${TENANT}`, { subject: 'get', body: { type: 'hashed-password', 'auth-id': 'bcrypt-user' } });
        expect(res.status).to.be.oneOf([500, 503]);
      } finally {
        await redis.restore(credKey, 0, saved[0] as Buffer, 'REPLACE');
        await redis.restore(idsKey, 0, saved[1] as Buffer, 'REPLACE');
      }
      expect(registry.logs.filter((l) => l.includes('"level":50')).length, 'the failures were logged').to.be.at.least(2);
    } finally {
      await client?.close();
    }
    // the keyed hashes under which the tokens are stored
    for (const [id, hash] of Object.entries(await redis.hgetall('token-ids:{~auth}'))) keep(`stored token hash ${id}`, hash);
  });

  after(async function () {
    await registry?.stop();
    await flushRedis();
    redis?.disconnect();
  });

  function expectFree(where: string, text: string): void {
    for (const [label, value] of secrets) expect(text.includes(value), `${where} contains the ${label}`).to.equal(false);
  }

  it('collected the secrets of every kind', function () {
    expect(secrets.size).to.be.greaterThan(20);
    expect(registry.logs.length).to.be.greaterThan(5);
  });

  it('writes none of them to any log line', function () {
    for (const line of registry.logs) expectFree('a log line', line);
  });

  it('writes none of them to the audit trail, through the API or in Redis', async function () {
    const res = await http(registry.base, 'GET', '/audit?limit=1000', undefined, bearer(BOOTSTRAP));
    expect(res.status).to.equal(200);
    const entries = res.json as Json[];
    expect(entries.length).to.be.greaterThan(8);
    expectFree('GET /audit', res.text);
    const dump = await dumpAll(redis);
    const stream = [...dump.entries()].filter(([key]) => key.startsWith('audit:'));
    expect(stream).to.have.length(1);
    for (const [, text] of stream) expectFree('the audit stream', text);
  });

  it('never answers an authentication failure with what was sent', async function () {
    const wrong = secrets.get('wrong token') as string;
    const res = await http(registry.base, 'GET', '/tokens', undefined, bearer(wrong));
    expect(res.status).to.equal(401);
    expect(res.text).to.not.include(wrong);
    expect(res.headers.get('www-authenticate') ?? '').to.not.include(wrong);
  });
});
