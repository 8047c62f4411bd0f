/**
 * `/credentials/{tenantId}` resources of the HTTP management API: Hono's CredentialsHttpIT
 * (docs/amqp-api.md §9.3) and the input processing and identity rules of §5.4, §5.5 and §7.4,
 * against a real registry and a real Redis.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import bcrypt from 'bcrypt';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { sharedStore } from '../../helpers/root-hooks.js';
import { http, type HttpResult } from '../../helpers/registry.js';
import { containsShown } from '../../helpers/seed-examples.js';
import {
  createTenant, expectCreated, expectError, expectNoContent, expectOk, rawRequest, useRegistry, type Json,
} from './support.js';

const TENANT = 'tenant-c';

/** A sha-256 hashed-password secret (Base64 digest and salt). */
function sha256Secret(password: string): Json {
  const salt = randomBytes(8);
  const hash = createHash('sha256').update(salt).update(password).digest();
  return { 'hash-function': 'sha-256', 'pwd-hash': hash.toString('base64'), salt: salt.toString('base64') };
}

function hashedPassword(deviceId: string, authId: string, secret: Json = sha256Secret('secret'), extra: Json = {}): Json {
  return { 'device-id': deviceId, type: 'hashed-password', 'auth-id': authId, ...extra, secrets: [secret] };
}

describe('HTTP /credentials', function () {
  this.timeout(20_000);
  const suite = useRegistry();

  beforeEach(async function () {
    await createTenant(suite.base, TENANT);
  });

  const enc = encodeURIComponent;
  const post = (body: unknown, tenantId = TENANT) => http(suite.base, 'POST', `/credentials/${enc(tenantId)}`, body);
  const byAuthId = (authId: string, type: string, tenantId = TENANT) => `/credentials/${enc(tenantId)}/${enc(authId)}/${enc(type)}`;
  const byDevice = (deviceId: string, tenantId = TENANT) => `/credentials/${enc(tenantId)}/${enc(deviceId)}`;
  const get = (authId: string, type: string, tenantId = TENANT) => http(suite.base, 'GET', byAuthId(authId, type, tenantId));
  const put = (authId: string, type: string, body: unknown, tenantId = TENANT) => http(suite.base, 'PUT', byAuthId(authId, type, tenantId), body);
  const add = async (body: Json) => expectCreated(await post(body), byAuthId(body['auth-id'] as string, body.type as string));
  const secretsOf = (record: Json) => record.secrets as Json[];

  describe('CredentialsHttpIT behaviours', function () {
    it('answers 201 with the Location of new hashed-password credentials', async function () {
      expectCreated(await post(hashedPassword('4711', 'sensor1')), `/credentials/${TENANT}/sensor1/hashed-password`);
    });

    it('answers 201 to credentials with pwd-plain and stores a $2a$ bcrypt hash instead', async function () {
      await add(hashedPassword('4711', 'sensor1', { 'pwd-plain': 'hono-secret' }));
      const [secret] = secretsOf(expectOk(await get('sensor1', 'hashed-password')));
      expect(secret).to.not.have.property('pwd-plain');
      expect(secret?.['hash-function']).to.equal('bcrypt');
      expect(secret?.['pwd-hash']).to.match(/^\$2a\$04\$[./A-Za-z0-9]{53}$/);
      expect(await bcrypt.compare('hono-secret', secret?.['pwd-hash'] as string)).to.equal(true);
      expect(await bcrypt.compare('other-secret', secret?.['pwd-hash'] as string)).to.equal(false);
    });

    it('answers 409 when credentials of the same type and auth-id exist', async function () {
      await add(hashedPassword('4711', 'sensor1'));
      expectError(await post(hashedPassword('4712', 'sensor1')), 409);
      expect(expectOk(await get('sensor1', 'hashed-password'))['device-id']).to.equal('4711');
    });

    it('answers 400 when the Content-Type is not application/json', async function () {
      expectError(await http(suite.base, 'POST', `/credentials/${TENANT}`, JSON.stringify(hashedPassword('4711', 'sensor1')), { 'Content-Type': 'text/plain' }), 400);
      expectError(await get('sensor1', 'hashed-password'), 404);
    });

    it('answers 400 to a bcrypt hash with cost 11 (the maximum is 10)', async function () {
      const hash = await bcrypt.hash('secret', await bcrypt.genSalt(11, 'a'));
      expectError(await post(hashedPassword('4711', 'sensor1', { 'hash-function': 'bcrypt', 'pwd-hash': hash })), 400);
      expectError(await get('sensor1', 'hashed-password'), 404);
    });

    it('accepts a bcrypt hash with cost 10', async function () {
      const hash = await bcrypt.hash('secret', await bcrypt.genSalt(10, 'a'));
      await add(hashedPassword('4711', 'sensor1', { 'hash-function': 'bcrypt', 'pwd-hash': hash }));
      expect(secretsOf(expectOk(await get('sensor1', 'hashed-password')))[0]?.['pwd-hash']).to.equal(hash);
    });

    it('answers 400 to an empty body', async function () {
      expectError(await http(suite.base, 'POST', `/credentials/${TENANT}`, ''), 400);
    });

    for (const member of ['device-id', 'type', 'auth-id', 'secrets']) {
      it(`answers 400 to credentials without ${member}`, async function () {
        const body = hashedPassword('4711', 'sensor1');
        delete body[member];
        expectError(await post(body), 400);
        expectError(await get('sensor1', 'hashed-password'), 404);
      });
    }

    it('stores and returns an extra top-level property (client-id)', async function () {
      await add(hashedPassword('gw', 'gw', sha256Secret('gw-secret'), { 'client-id': 'gateway-one' }));
      expect(expectOk(await get('gw', 'hashed-password'))['client-id']).to.equal('gateway-one');
    });

    it('answers 204 to a PUT that changes device-id; GET by the old device is 404, by the new one lists it', async function () {
      await add(hashedPassword('4711', 'sensor1'));
      expectNoContent(await put('sensor1', 'hashed-password', hashedPassword('4712', 'sensor1')));
      expect(expectOk(await get('sensor1', 'hashed-password'))['device-id']).to.equal('4712');
      expectError(await http(suite.base, 'GET', byDevice('4711')), 404);
      const list = expectOk(await http(suite.base, 'GET', byDevice('4712')));
      expect(list.total).to.equal(1);
      expect((list.credentials as Json[])[0]).to.deep.include({ 'device-id': '4712', 'auth-id': 'sensor1' });
    });

    it('answers 204 to a PUT with pwd-plain and the stored hash differs from the original', async function () {
      await add(hashedPassword('4711', 'sensor1', { 'pwd-plain': 'first-secret' }));
      const before = secretsOf(expectOk(await get('sensor1', 'hashed-password')))[0]?.['pwd-hash'] as string;
      expectNoContent(await put('sensor1', 'hashed-password', hashedPassword('4711', 'sensor1', { 'pwd-plain': 'second-secret' })));
      const [secret] = secretsOf(expectOk(await get('sensor1', 'hashed-password')));
      expect(secret).to.not.have.property('pwd-plain');
      expect(secret?.['pwd-hash']).to.be.a('string').and.not.equal(before);
      expect(secret?.['hash-function']).to.equal('bcrypt');
      expect(await bcrypt.compare('second-secret', secret?.['pwd-hash'] as string)).to.equal(true);
    });

    it('answers 404 to a PUT of unknown credentials', async function () {
      expectError(await put('no-such-auth-id', 'hashed-password', hashedPassword('4711', 'no-such-auth-id')), 404);
      expectError(await get('no-such-auth-id', 'hashed-password'), 404);
    });

    it('answers 400 to a PUT whose body type differs from the path', async function () {
      await add(hashedPassword('4711', 'sensor1'));
      expectError(await put('sensor1', 'hashed-password', { 'device-id': '4711', type: 'psk', 'auth-id': 'sensor1', secrets: [{ key: 'c2VjcmV0' }] }), 400);
      expectError(await get('sensor1', 'psk'), 404);
    });

    it('answers 400 to a PUT whose body auth-id differs from the path', async function () {
      await add(hashedPassword('4711', 'sensor1'));
      await add(hashedPassword('4711', 'sensor2'));
      expectError(await put('sensor1', 'hashed-password', hashedPassword('4712', 'sensor2')), 400);
      expect(expectOk(await get('sensor1', 'hashed-password'))['device-id']).to.equal('4711');
      expect(expectOk(await get('sensor2', 'hashed-password'))['device-id']).to.equal('4711');
    });

    it('answers 204 to a DELETE by device and removes all its credentials', async function () {
      await add(hashedPassword('4711', 'sensor1'));
      await add({ 'device-id': '4711', type: 'psk', 'auth-id': 'sensor1', secrets: [{ key: 'c2VjcmV0' }] });
      await add(hashedPassword('4712', 'other'));
      expectNoContent(await http(suite.base, 'DELETE', byDevice('4711')));
      expectError(await http(suite.base, 'GET', byDevice('4711')), 404);
      expectError(await get('sensor1', 'hashed-password'), 404);
      expectError(await get('sensor1', 'psk'), 404);
      expectOk(await get('other', 'hashed-password'));
    });

    it('answers 204 to a DELETE by auth-id and type', async function () {
      await add(hashedPassword('4711', 'sensor1'));
      await add({ 'device-id': '4711', type: 'psk', 'auth-id': 'sensor1', secrets: [{ key: 'c2VjcmV0' }] });
      expectNoContent(await http(suite.base, 'DELETE', byAuthId('sensor1', 'hashed-password')));
      expectError(await get('sensor1', 'hashed-password'), 404);
      expectOk(await get('sensor1', 'psk'));
      const list = expectOk(await http(suite.base, 'GET', byDevice('4711')));
      expect(list.total).to.equal(1);
    });

    it('answers 404 to a DELETE with the wrong type', async function () {
      await add(hashedPassword('4711', 'sensor1'));
      expectError(await http(suite.base, 'DELETE', byAuthId('sensor1', 'psk')), 404);
      expectOk(await get('sensor1', 'hashed-password'));
    });

    it('answers 404 to a DELETE of all credentials of an unknown device', async function () {
      await add(hashedPassword('4711', 'sensor1'));
      expectError(await http(suite.base, 'DELETE', byDevice('no-such-device')), 404);
      expectOk(await get('sensor1', 'hashed-password'));
    });

    it('returns a superset of what was added, with enabled defaulted to true', async function () {
      const added = {
        'device-id': '4711', type: 'hashed-password', 'auth-id': 'sensor1', 'client-id': 'c-1', custom: { nested: [1, 'two'] },
        secrets: [
          { ...sha256Secret('secret'), 'not-before': '2017-05-01T14:00:00+01:00', 'not-after': '2037-06-01T14:00:00+01:00', comment: 'first' },
          { ...sha256Secret('other'), enabled: false },
        ],
      };
      await add(added);
      const record = expectOk(await get('sensor1', 'hashed-password'));
      expect(containsShown(record, added), JSON.stringify(record)).to.equal(true);
      expect(record.enabled).to.equal(true);
    });

    it('keeps an explicit enabled false', async function () {
      await add(hashedPassword('4711', 'sensor1', sha256Secret('secret'), { enabled: false }));
      expect(expectOk(await get('sensor1', 'hashed-password')).enabled).to.equal(false);
    });

    it('returns two types under one auth-id separately', async function () {
      await add(hashedPassword('4711', 'shared'));
      await add({ 'device-id': '4712', type: 'psk', 'auth-id': 'shared', secrets: [{ key: 'c2VjcmV0' }] });
      expect(expectOk(await get('shared', 'hashed-password'))).to.deep.include({ type: 'hashed-password', 'device-id': '4711' });
      expect(expectOk(await get('shared', 'psk'))).to.deep.include({ type: 'psk', 'device-id': '4712' });
    });

    it('lists the credentials of a device with total, for several auth-ids and custom types, in insertion order', async function () {
      const added: Json[] = [
        hashedPassword('4711', 'sensor1'),
        hashedPassword('4711', 'sensor1-alt'),
        ...[0, 1, 2, 3, 4].map((n) => ({ 'device-id': '4711', type: `type${n}`, 'auth-id': `auth-${4 - n}`, secrets: [{ field: n }] })),
        { 'device-id': '4711', type: 'psk', 'auth-id': 'sensor1', secrets: [{ key: 'c2VjcmV0' }] },
      ];
      await add(hashedPassword('other-device', 'not-listed'));
      for (const body of added) await add(body);
      const list = expectOk(await http(suite.base, 'GET', byDevice('4711')));
      expect(list.total).to.equal(added.length);
      const credentials = list.credentials as Json[];
      expect(credentials.map((c) => [c.type, c['auth-id']])).to.deep.equal(added.map((c) => [c.type, c['auth-id']]));
      credentials.forEach((c, i) => expect(containsShown(c, added[i]), JSON.stringify(c)).to.equal(true));
    });

    it('keeps the listing order when a record is replaced without changing its device', async function () {
      await add(hashedPassword('4711', 'a'));
      await add(hashedPassword('4711', 'b'));
      await add(hashedPassword('4711', 'c'));
      expectNoContent(await put('a', 'hashed-password', hashedPassword('4711', 'a', sha256Secret('new'))));
      const list = expectOk(await http(suite.base, 'GET', byDevice('4711')));
      expect((list.credentials as Json[]).map((c) => c['auth-id'])).to.deep.equal(['a', 'b', 'c']);
    });

    it('answers 404 to a GET with the wrong type or the wrong auth-id', async function () {
      await add(hashedPassword('4711', 'sensor1'));
      expectError(await get('sensor1', 'psk'), 404);
      expectError(await get('sensor2', 'hashed-password'), 404);
    });

    it('answers 404 to a GET by a device without credentials', async function () {
      expectError(await http(suite.base, 'GET', byDevice('4711')), 404);
    });
  });

  describe('secrets validation', function () {
    it('answers 400 to an empty secrets array', async function () {
      expectError(await post({ 'device-id': '4711', type: 'hashed-password', 'auth-id': 'sensor1', secrets: [] }), 400);
    });

    it('answers 400 to a hashed-password secret without pwd-hash', async function () {
      expectError(await post(hashedPassword('4711', 'sensor1', { 'hash-function': 'sha-256', salt: 'c2FsdA==' })), 400);
    });

    it('answers 400 to a hashed-password secret without hash-function', async function () {
      const { 'hash-function': _fn, ...secret } = sha256Secret('secret');
      expectError(await post(hashedPassword('4711', 'sensor1', secret)), 400);
    });

    it('answers 400 to an unknown hash-function (md5)', async function () {
      const hash = createHash('md5').update('secret').digest('base64');
      expectError(await post(hashedPassword('4711', 'sensor1', { 'hash-function': 'md5', 'pwd-hash': hash })), 400);
    });

    it('answers 400 when not-before equals or follows not-after', async function () {
      const at = '2030-01-01T00:00:00Z';
      expectError(await post(hashedPassword('4711', 'sensor1', { ...sha256Secret('s'), 'not-before': at, 'not-after': at })), 400);
      expectError(await post(hashedPassword('4711', 'sensor1', { ...sha256Secret('s'), 'not-before': '2031-01-01T00:00:00Z', 'not-after': at })), 400);
      // the same instant written with different offsets
      expectError(await post(hashedPassword('4711', 'sensor1', { ...sha256Secret('s'), 'not-before': '2030-01-01T01:00:00+01:00', 'not-after': at })), 400);
      expectError(await get('sensor1', 'hashed-password'), 404);
    });

    it('answers 400 to a timestamp without offset', async function () {
      expectError(await post(hashedPassword('4711', 'sensor1', { ...sha256Secret('s'), 'not-before': '2030-01-01T00:00:00' })), 400);
    });

    it('answers 400 to a timestamp with an offset without colon (+0100)', async function () {
      expectError(await post(hashedPassword('4711', 'sensor1', { ...sha256Secret('s'), 'not-after': '2030-01-01T00:00:00+0100' })), 400);
    });

    it('accepts timestamps with Z and with a colon offset', async function () {
      await add(hashedPassword('4711', 'sensor1', { ...sha256Secret('s'), 'not-before': '2020-01-01T00:00:00Z', 'not-after': '2030-01-01T00:00:00+01:00' }));
    });

    it('stores a $2b$ bcrypt hash as $2a$', async function () {
      const hash = await bcrypt.hash('b-secret', await bcrypt.genSalt(4, 'b'));
      expect(hash.startsWith('$2b$04$')).to.equal(true);
      await add(hashedPassword('4711', 'sensor1', { 'hash-function': 'bcrypt', 'pwd-hash': hash }));
      const stored = secretsOf(expectOk(await get('sensor1', 'hashed-password')))[0]?.['pwd-hash'] as string;
      expect(stored).to.equal(`$2a$${hash.slice(4)}`);
      expect(await bcrypt.compare('b-secret', stored)).to.equal(true);
    });
  });

  describe('plain passwords are never kept', function () {
    /** One client per master (one on a standalone server). */
    let clients: Redis[] = [];

    before(async function () {
      clients = (await (await sharedStore()).masterUrls()).map((url) => new Redis(url));
    });

    after(async function () {
      await Promise.all(clients.map((c) => c.quit()));
    });

    /** Every key of the Redis (of every master of a cluster): its DUMP and its readable content. */
    async function redisContent(): Promise<{ dumps: Buffer[]; text: string }> {
      const dumps: Buffer[] = [];
      const texts: string[] = [];
      for (const client of clients) await scanInto(client, dumps, texts);
      return { dumps, text: texts.join('\n') };
    }

    async function scanInto(client: Redis, dumps: Buffer[], texts: string[]): Promise<void> {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'COUNT', 100);
        for (const key of keys) {
          const dump = await client.dumpBuffer(key);
          if (dump !== null) dumps.push(dump);
          const type = await client.type(key);
          if (type === 'hash') texts.push(key, JSON.stringify(await client.hgetall(key)));
          else if (type === 'string') texts.push(key, (await client.get(key)) ?? '');
          else texts.push(key, `<${type}>`);
        }
        cursor = next;
      } while (cursor !== '0');
    }

    it('keeps a pwd-plain out of every GET response, the logs and Redis', async function () {
      const plain = `plain-${randomUUID()}`;
      const second = `plain-${randomUUID()}`;
      const responses: HttpResult[] = [];
      responses.push(await post(hashedPassword('4711', 'sensor1', { 'pwd-plain': plain })));
      responses.push(await post(hashedPassword('4711', 'sensor2', { 'pwd-plain': second, 'pwd-hash': 'x' })));
      expectCreated(responses[0] as HttpResult);
      expectError(responses[1] as HttpResult, 400);
      responses.push(await put('sensor1', 'hashed-password', hashedPassword('4711', 'sensor1', { 'pwd-plain': second })));
      expectNoContent(responses[2] as HttpResult);
      responses.push(await get('sensor1', 'hashed-password'));
      responses.push(await http(suite.base, 'GET', byDevice('4711')));
      responses.push(await http(suite.base, 'GET', byAuthId('sensor1', 'hashed-password')));
      const hash = secretsOf(expectOk(responses[3] as HttpResult))[0]?.['pwd-hash'] as string;
      expect(await bcrypt.compare(second, hash)).to.equal(true);

      for (const res of responses) {
        expect(res.text).to.not.include(plain);
        expect(res.text).to.not.include(second);
      }
      const logs = suite.registry.logs.join('\n');
      expect(logs).to.not.include(plain);
      expect(logs).to.not.include(second);

      const { dumps, text } = await redisContent();
      expect(text, 'the scan must see the stored record').to.include(hash);
      expect(text).to.not.include(plain);
      expect(text).to.not.include(second);
      expect(text).to.not.include('pwd-plain');
      for (const dump of dumps) {
        expect(dump.includes(plain)).to.equal(false);
        expect(dump.includes(second)).to.equal(false);
      }
    });
  });

  describe('tenants and devices', function () {
    it('answers 404 to credentials under an unknown tenant (POST, GET, PUT, DELETE)', async function () {
      expectError(await post(hashedPassword('4711', 'sensor1'), 'no-such-tenant'), 404);
      expectError(await get('sensor1', 'hashed-password', 'no-such-tenant'), 404);
      expectError(await http(suite.base, 'GET', byDevice('4711', 'no-such-tenant')), 404);
      expectError(await put('sensor1', 'hashed-password', hashedPassword('4711', 'sensor1'), 'no-such-tenant'), 404);
      expectError(await http(suite.base, 'DELETE', byAuthId('sensor1', 'hashed-password', 'no-such-tenant')), 404);
      expectError(await http(suite.base, 'DELETE', byDevice('4711', 'no-such-tenant')), 404);
    });

    it('accepts credentials for a device that is not registered', async function () {
      expectError(await http(suite.base, 'GET', `/registration/${TENANT}/unregistered`), 404);
      expectCreated(await post(hashedPassword('unregistered', 'sensor1')));
      expect(expectOk(await get('sensor1', 'hashed-password'))['device-id']).to.equal('unregistered');
    });

    it('forgets the credentials of a deleted tenant, also when the tenant is created again', async function () {
      await add(hashedPassword('4711', 'sensor1'));
      expectNoContent(await http(suite.base, 'DELETE', `/tenant/${TENANT}`));
      await createTenant(suite.base, TENANT);
      expectError(await get('sensor1', 'hashed-password'), 404);
      expectError(await http(suite.base, 'GET', byDevice('4711')), 404);
      await add(hashedPassword('4711', 'sensor1'));
    });

    it('answers 400 to credentials without Content-Type', async function () {
      expectError(await rawRequest(suite.base, 'POST', `/credentials/${TENANT}`, new TextEncoder().encode(JSON.stringify(hashedPassword('4711', 'sensor1')))), 400);
    });
  });

  describe('x509-cert auth-ids', function () {
    const SPACED = 'CN=device-1, O=ACME Corporation';
    const RFC2253 = 'CN=device-1,O=ACME Corporation';
    const x509 = (authId: string, deviceId = '4711'): Json => ({ 'device-id': deviceId, type: 'x509-cert', 'auth-id': authId, secrets: [{}] });

    it('stores the subject DN in RFC 2253 form and answers with that Location', async function () {
      const res = await post(x509(SPACED));
      expectCreated(res, byAuthId(RFC2253, 'x509-cert'));
      expect(expectOk(await http(suite.base, 'GET', res.headers.get('location') as string))['auth-id']).to.equal(RFC2253);
    });

    it('finds the record by either spelling of the subject DN', async function () {
      await post(x509(SPACED));
      expect(expectOk(await get(RFC2253, 'x509-cert'))['auth-id']).to.equal(RFC2253);
      expect(expectOk(await get(SPACED, 'x509-cert'))['auth-id']).to.equal(RFC2253);
    });

    it('answers 409 to the same subject DN written differently', async function () {
      expectCreated(await post(x509(RFC2253)));
      expectError(await post(x509(SPACED, '4712')), 409);
    });

    it('updates and deletes by either spelling of the subject DN', async function () {
      expectCreated(await post(x509(RFC2253)));
      expectNoContent(await put(SPACED, 'x509-cert', x509(SPACED, '4712')));
      expect(expectOk(await get(RFC2253, 'x509-cert'))['device-id']).to.equal('4712');
      expectNoContent(await http(suite.base, 'DELETE', byAuthId(SPACED, 'x509-cert')));
      expectError(await get(RFC2253, 'x509-cert'), 404);
    });

    it('answers 400 to an x509-cert auth-id that is not a DN', async function () {
      expectError(await post(x509('not a DN')), 400);
    });
  });
});
