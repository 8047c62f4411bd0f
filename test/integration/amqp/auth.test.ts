/**
 * AMQP authentication and authorisation (docs/amqp-api.md §2.1, §2.2, §10, #1, #2, #13, #25):
 * SASL PLAIN against the created account and against a custom accounts file, ANONYMOUS only
 * when enabled, link-level READ/WRITE checks on attach, EXECUTE checks per request.
 */
import { expect } from 'chai';
import { openClient } from '../../helpers/amqp-client.js';
import { http, startTestRegistry } from '../../helpers/registry.js';
import { sharedRedis } from '../../helpers/root-hooks.js';
import {
  ADAPTER_USER, accountsFileText, adapterPassword, addCredentials, expectAnswer, failure, registerDevice, TENANT, tempFile, useAmqpRegistry,
} from './support.js';

const CRED = `credentials/${TENANT}`;
const REG = `registration/${TENANT}`;

describe('AMQP authentication and authorisation', function () {
  this.timeout(20_000);

  describe('with the account created on first start', function () {
    const suite = useAmqpRegistry();

    it('accepts SASL PLAIN with the password from <data dir>/amqp-adapter-password', async function () {
      await registerDevice(suite.base, TENANT, '4711');
      const client = await suite.client();
      expectAnswer(await client.request(REG, { subject: 'assert', applicationProperties: { device_id: '4711' } }), 200);
    });

    it('refuses a wrong password and an unknown user without crashing; the next client works', async function () {
      const wrong = await failure(openClient({ port: suite.port, username: ADAPTER_USER, password: 'wrong' }));
      // SASL outcome code 1 (auth)
      expect(wrong.message).to.match(/Failed to authenticate: 1\b/);
      expect(wrong.condition).to.equal('amqp:unauthorized-access');
      const unknown = await failure(openClient({ port: suite.port, username: 'nobody@HONO', password: 'x' }));
      expect(unknown.message).to.match(/connection failed/);
      const client = await suite.client();
      expectAnswer(await client.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT } }), 200);
    });

    it('refuses SASL ANONYMOUS', async function () {
      const err = await failure(openClient({ port: suite.port, anonymous: true }));
      expect(err.message).to.match(/No suitable mechanism/);
      expectAnswer(await (await suite.client()).request('tenant', { subject: 'get', body: { 'tenant-id': TENANT } }), 200);
    });

    it('refuses attaches to unknown endpoints, reply addresses with too few segments and reply addresses in use', async function () {
      const client = await suite.client();
      expect((await failure(client.link('foo/T'))).condition).to.equal('amqp:not-found');
      expect((await failure(client.link(REG, { replyAddress: REG }))).condition).to.equal('amqp:invalid-field');
      const first = await client.link(REG, { replyAddress: `${REG}/taken` });
      expect((await failure(client.link(REG, { replyAddress: `${REG}/taken` }))).condition).to.equal('amqp:illegal-state');
      const other = await suite.client();
      expect((await failure(other.link(REG, { replyAddress: `${REG}/taken` }))).condition).to.equal('amqp:illegal-state');
      // the first pair is unaffected
      expectAnswer(await first.request({ subject: 'assert', applicationProperties: { device_id: 'x' } }), 404);
    });
  });

  describe('with SASL ANONYMOUS enabled (REGISTRY_AMQP_ANONYMOUS=true)', function () {
    const suite = useAmqpRegistry({ REGISTRY_AMQP_ANONYMOUS: 'true' });

    it('accepts ANONYMOUS with full access, including management operations', async function () {
      const client = await suite.client({ anonymous: true });
      expectAnswer(await client.request(REG, { subject: 'register', applicationProperties: { device_id: 'anon-dev' } }), 201);
      expectAnswer(await client.request(REG, { subject: 'assert', applicationProperties: { device_id: 'anon-dev' } }), 200);
    });
  });

  describe('with a custom accounts file (REGISTRY_AMQP_ACCOUNTS_FILE)', function () {
    const suite = useAmqpRegistry(
      {},
      {
        accounts: {
          [ADAPTER_USER]: { password: 'adapter-secret', authorities: ['protocol-adapter'] },
          'registration-only': {
            password: 'reg-secret',
            authorities: [
              { resource: 'registration/*', activities: ['READ', 'WRITE'] },
              { resource: 'credentials/*', activities: ['READ'] },
              { operation: 'registration/*:assert', activities: ['EXECUTE'] },
            ],
          },
          'no-execute': {
            password: 'noexec-secret',
            authorities: [
              { resource: '*', activities: ['READ', 'WRITE'] },
              { operation: `registration/${TENANT}:get`, activities: ['EXECUTE'] },
            ],
          },
          'one-tenant': {
            password: 'one-secret',
            authorities: [
              { resource: 'tenant', activities: ['READ', 'WRITE'] },
              { operation: `tenant/${TENANT}:get`, activities: ['EXECUTE'] },
            ],
          },
        },
      },
    );

    it('accepts the users of the file and refuses a wrong password', async function () {
      await registerDevice(suite.base, TENANT, '4711');
      const client = await suite.client({ username: 'registration-only' });
      expectAnswer(await client.request(REG, { subject: 'assert', applicationProperties: { device_id: '4711' } }), 200);
      expect((await failure(openClient({ port: suite.port, username: 'registration-only', password: 'adapter-secret' }))).message).to.match(/connection failed/);
    });

    it('refuses the attach of a sender to credentials/* without WRITE with amqp:unauthorized-access', async function () {
      const client = await suite.client({ username: 'registration-only' });
      const err = await failure(client.request(CRED, { subject: 'get', body: { type: 'psk', 'auth-id': 'a' } }));
      expect(err.condition, err.message).to.equal('amqp:unauthorized-access');
      // the connection survives; permitted links still work
      expectAnswer(await client.request(REG, { subject: 'assert', applicationProperties: { device_id: 'none' } }), 404);
    });

    it('refuses the attach of a reply link without READ with amqp:unauthorized-access', async function () {
      const client = await suite.client({ username: 'registration-only' });
      expect((await failure(client.link('tenant'))).condition).to.equal('amqp:unauthorized-access');
    });

    it('answers 403 to an operation without EXECUTE (the request is accepted, not rejected)', async function () {
      await registerDevice(suite.base, TENANT, '4711');
      await addCredentials(suite.base, TENANT, { 'device-id': '4711', type: 'psk', 'auth-id': 'p', secrets: [{ key: 'c2VjcmV0S2V5' }] });
      const client = await suite.client({ username: 'no-execute' });
      const assert = await client.request(REG, { subject: 'assert', applicationProperties: { device_id: '4711' } });
      expectAnswer(assert, 403);
      expect(assert.body).to.equal(undefined);
      expectAnswer(await client.request(CRED, { subject: 'get', body: { type: 'psk', 'auth-id': 'p' } }), 403);
      expectAnswer(await client.request(REG, { subject: 'get', applicationProperties: { device_id: '4711' } }), 200);
    });

    it('authorises tenant get on the result: 403 for another tenant, 404 for absent tenants', async function () {
      expect((await http(suite.base, 'POST', '/tenant', { 'tenant-id': 'secret-tenant' })).status).to.equal(201);
      const client = await suite.client({ username: 'one-tenant' });
      expectAnswer(await client.request('tenant', { subject: 'get', body: { 'tenant-id': TENANT } }), 200);
      expectAnswer(await client.request('tenant', { subject: 'get', body: { 'tenant-id': 'secret-tenant' } }), 403);
      expectAnswer(await client.request('tenant', { subject: 'get', body: { 'tenant-id': 'absent' } }), 404);
    });

    it('does not create the default account next to a configured file', async function () {
      expect(() => adapterPassword(suite.registry)).to.throw();
    });
  });

  describe('an invalid accounts file', function () {
    const files: { remove(): void }[] = [];
    after(function () {
      for (const f of files) f.remove();
    });

    async function startWith(text: string | undefined): Promise<Error> {
      const redis = await sharedRedis();
      let path = '/nonexistent/accounts.json';
      if (text !== undefined) {
        const file = tempFile('accounts.json', text);
        files.push(file);
        path = file.path;
      }
      try {
        const registry = await startTestRegistry({ REGISTRY_REDIS_URL: redis.url, REGISTRY_AMQP_ACCOUNTS_FILE: path });
        await registry.stop();
      } catch (err) {
        return err as Error;
      }
      throw new Error('the registry started with an invalid accounts file');
    }

    it('makes the start fail with a message naming the file and the problem', async function () {
      const notJson = await startWith('{ not json');
      expect(notJson.message).to.match(/accounts file .*accounts\.json is invalid/);
      const badHash = await startWith(JSON.stringify({ users: { u: { mechanism: 'PLAIN', 'password-hash': 'plain-text', authorities: [] } } }));
      expect(badHash.message).to.match(/accounts file .* is invalid/).and.match(/password-hash/);
      const unknownRole = await startWith(accountsFileText({ u: { password: 'p', authorities: ['no-such-role'] } }));
      expect(unknownRole.message).to.match(/unknown role "no-such-role"/);
      const noHash = await startWith(JSON.stringify({ users: { u: { mechanism: 'PLAIN', authorities: [] } } }));
      expect(noHash.message).to.match(/needs a "password-hash"/);
      const missing = await startWith(undefined);
      expect(missing.message).to.match(/does not exist/);
    });
  });
});
