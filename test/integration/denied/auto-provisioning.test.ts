/**
 * Auto-provisioning (Hono 1.1, docs/amqp-api.md §5.6, docs/security.md) over AMQP, with
 * real certificates made by `openssl` (asynchronously: the registry runs in this process), and its
 * interplay with the denied list: a denied device is never re-created, a purged one may be.
 */
import { expect } from 'chai';
import type { AmqpClient, Response } from '../../helpers/amqp-client.js';
import { createTestCa, type TestCa } from '../../helpers/certificates.js';
import { http } from '../../helpers/registry.js';
import { createTenant, expectAnswer, useAmqpRegistry, type Json } from '../amqp/support.js';

const T = 'acme';
const CRED = `credentials/${T}`;

const trustedCa = (ca: TestCa, subjectDn: string, extra: Json = {}): Json => ({ 'subject-dn': subjectDn, 'public-key': ca.publicKey, algorithm: 'EC', ...extra });

function get(client: AmqpClient, authId: string, certificate?: unknown, tenant = T): Promise<Response> {
  const body: Json = { type: 'x509-cert', 'auth-id': authId, ...(certificate === undefined ? {} : { 'client-certificate': certificate }) };
  return client.request(`credentials/${tenant}`, { subject: 'get', body });
}

describe('AMQP auto-provisioning and the denied list', function () {
  this.timeout(30_000);
  const suite = useAmqpRegistry();
  const CA_DN = 'CN=ACME Devices CA,O=ACME';
  let ca: TestCa;
  let otherCa: TestCa;
  let rogueCa: TestCa;

  before(async function () {
    [ca, otherCa, rogueCa] = await Promise.all([createTestCa('/O=ACME/CN=ACME Devices CA'), createTestCa('/O=Other/CN=Other CA'), createTestCa('/O=ACME/CN=ACME Devices CA')]);
  });
  after(async function () {
    await Promise.all([ca, otherCa, rogueCa].map((c) => c?.dispose()));
  });

  const enabledTenant = (extra: Json = {}) => createTenant(suite.base, T, { 'trusted-ca': [trustedCa(ca, CA_DN, { 'auto-provisioning-enabled': true, ...extra })] });
  const registration = (d: string) => http(suite.base, 'GET', `/registration/${T}/${encodeURIComponent(d)}`);
  const credentialsOf = (d: string) => http(suite.base, 'GET', `/credentials/${T}/${encodeURIComponent(d)}`);
  const byAuthId = (authId: string) => http(suite.base, 'GET', `/credentials/${T}/${encodeURIComponent(authId)}/x509-cert`);

  it('creates the device and its credentials (201 with the new record), after which the device exists and a second get answers 200', async function () {
    await enabledTenant();
    const device = await ca.issue('/O=ACME/CN=device-1');
    const subject = 'CN=device-1,O=ACME';
    const client = await suite.client();

    const res = await get(client, subject, device.der);
    const body = expectAnswer(res, 201) as Json;
    expect(body).to.include({ type: 'x509-cert', 'auth-id': subject });
    const deviceId = body['device-id'];
    expect(deviceId).to.be.a('string').and.not.equal('');
    expect(res.properties).to.include({ device_id: deviceId });
    const secrets = body.secrets as Json[];
    expect(secrets).to.have.length(1);
    expect(Date.parse(secrets[0]?.['not-before'] as string)).to.equal(Date.parse(device.cert.validFrom));
    expect(Date.parse(secrets[0]?.['not-after'] as string)).to.equal(Date.parse(device.cert.validTo));

    const reg = await registration(deviceId as string);
    expect(reg.status, reg.text).to.equal(200);
    const list = await credentialsOf(deviceId as string);
    expect(list.status, list.text).to.equal(200);
    expect((list.json as Json).total).to.equal(1);
    expect(((list.json as Json).credentials as Json[])[0]).to.include({ 'device-id': deviceId, 'auth-id': subject });

    const again = expectAnswer(await get(client, subject, device.der), 200) as Json;
    expect(again['device-id']).to.equal(deviceId);
    expect((expectAnswer(await get(client, subject), 200) as Json)['device-id']).to.equal(deviceId);
    // An auth-id in another (equivalent) DN spelling finds the same record.
    expect((expectAnswer(await get(client, 'CN=device-1, O=ACME', device.der), 200) as Json)['device-id']).to.equal(deviceId);
  });

  it('answers 404 for a certificate of another CA, or of a CA with the same subject DN but another key, and creates nothing', async function () {
    await enabledTenant();
    const client = await suite.client();
    const stranger = await otherCa.issue('/O=ACME/CN=stranger');
    expectAnswer(await get(client, 'CN=stranger,O=ACME', stranger.der), 404);
    const forged = await rogueCa.issue('/O=ACME/CN=forged');
    expectAnswer(await get(client, 'CN=forged,O=ACME', forged.der), 404);
    expect((await byAuthId('CN=stranger,O=ACME')).status).to.equal(404);
    expect((await byAuthId('CN=forged,O=ACME')).status).to.equal(404);
  });

  it('answers 404 when the issuing CA does not have auto-provisioning-enabled (absent or false)', async function () {
    const client = await suite.client();
    const device = await ca.issue('/O=ACME/CN=device-2');
    for (const flag of [{}, { 'auto-provisioning-enabled': false }]) {
      await createTenant(suite.base, T, { 'trusted-ca': [trustedCa(ca, CA_DN, flag)] });
      expectAnswer(await get(client, 'CN=device-2,O=ACME', device.der), 404);
      expect((await byAuthId('CN=device-2,O=ACME')).status).to.equal(404);
      expect((await http(suite.base, 'DELETE', `/tenant/${T}`)).status).to.equal(204);
    }
  });

  it('answers 404 for an unknown tenant, and for other types than x509-cert', async function () {
    await enabledTenant();
    const client = await suite.client();
    const device = await ca.issue('/O=ACME/CN=device-3');
    expectAnswer(await get(client, 'CN=device-3,O=ACME', device.der, 'no-such-tenant'), 404);
    expectAnswer(await client.request(CRED, { subject: 'get', body: { type: 'hashed-password', 'auth-id': 'CN=device-3,O=ACME', 'client-certificate': device.der } }), 404);
    expect((await byAuthId('CN=device-3,O=ACME')).status).to.equal(404);
  });

  it('answers 400 when the subject of the certificate differs from the auth-id, or the certificate is garbage', async function () {
    await enabledTenant();
    const client = await suite.client();
    const device = await ca.issue('/O=ACME/CN=device-4');
    expectAnswer(await get(client, 'CN=device-5,O=ACME', device.der), 400);
    expectAnswer(await get(client, 'CN=device-4,O=ACME', Buffer.from('not a certificate').toString('base64')), 400);
    expectAnswer(await get(client, 'CN=device-4,O=ACME', '%%% not base64 %%%'), 400);
    expectAnswer(await get(client, 'CN=device-4,O=ACME', 42), 400);
    expect((await byAuthId('CN=device-4,O=ACME')).status).to.equal(404);
    expect((await byAuthId('CN=device-5,O=ACME')).status).to.equal(404);
  });

  it('never re-creates a denied device; after ?purge=true it can be provisioned again (201)', async function () {
    await enabledTenant();
    const client = await suite.client();
    const device = await ca.issue('/O=ACME/CN=device-6');
    const subject = 'CN=device-6,O=ACME';
    const first = (expectAnswer(await get(client, subject, device.der), 201) as Json)['device-id'] as string;

    const del = await http(suite.base, 'DELETE', `/registration/${T}/${encodeURIComponent(first)}`);
    expect(del.status, del.text).to.equal(204);
    for (let i = 0; i < 3; i += 1) expectAnswer(await get(client, subject, device.der), 404);
    expect((await registration(first)).status).to.equal(404);
    expect((await byAuthId(subject)).status).to.equal(404);
    expect((await http(suite.base, 'GET', `/denied-devices/${T}`)).json).to.deep.equal([first]);

    const purge = await http(suite.base, 'DELETE', `/denied-devices/${T}/${encodeURIComponent(first)}?purge=true`);
    expect(purge.status, purge.text).to.equal(204);
    const second = (expectAnswer(await get(client, subject, device.der), 201) as Json)['device-id'] as string;
    expect((await registration(second)).status).to.equal(200);
    expect((await http(suite.base, 'GET', `/denied-devices/${T}`)).json).to.deep.equal([]);
  });

  it('auto-provisioning-device-id-template {{subject-cn}} uses the CN as device id', async function () {
    await enabledTenant({ 'auto-provisioning-device-id-template': '{{subject-cn}}' });
    const client = await suite.client();
    const device = await ca.issue('/O=ACME/OU=Sensors/CN=sensor-7');
    const body = expectAnswer(await get(client, 'CN=sensor-7,OU=Sensors,O=ACME', device.der), 201) as Json;
    expect(body['device-id']).to.equal('sensor-7');
    expect((await registration('sensor-7')).status).to.equal(200);
  });

  it('the device-id template also takes {{subject-ou}} and {{subject-o}} (Hono 1.11); a subject without them is not provisioned', async function () {
    await enabledTenant({ 'auto-provisioning-device-id-template': '{{subject-o}}-{{subject-ou}}-{{subject-cn}}' });
    const client = await suite.client();
    const device = await ca.issue('/O=ACME/OU=Sensors/CN=sensor-10');
    expect((expectAnswer(await get(client, 'CN=sensor-10,OU=Sensors,O=ACME', device.der), 201) as Json)['device-id']).to.equal('ACME-Sensors-sensor-10');
    const noUnit = await ca.issue('/O=ACME/CN=sensor-11');
    expectAnswer(await get(client, 'CN=sensor-11,O=ACME', noUnit.der), 404);
  });

  it('a denied device that comes back with a new key (new subject, same CN as device id) is not re-created', async function () {
    await enabledTenant({ 'auto-provisioning-device-id-template': '{{subject-cn}}' });
    const client = await suite.client();
    const oldKey = await ca.issue('/O=ACME/OU=v1/CN=sensor-8');
    expectAnswer(await get(client, 'CN=sensor-8,OU=v1,O=ACME', oldKey.der), 201);
    expect((await http(suite.base, 'DELETE', `/registration/${T}/sensor-8`)).status).to.equal(204);

    const newKey = await ca.issue('/O=ACME/OU=v2/CN=sensor-8');
    expectAnswer(await get(client, 'CN=sensor-8,OU=v2,O=ACME', newKey.der), 404);
    expectAnswer(await get(client, 'CN=sensor-8,OU=v1,O=ACME', oldKey.der), 404);
    expect((await registration('sensor-8')).status).to.equal(404);
    expect((await byAuthId('CN=sensor-8,OU=v2,O=ACME')).status).to.equal(404);
    // The way out: purge, then the new key enrols afresh.
    expect((await http(suite.base, 'DELETE', `/denied-devices/${T}/sensor-8?purge=true`)).status).to.equal(204);
    expect((expectAnswer(await get(client, 'CN=sensor-8,OU=v2,O=ACME', newKey.der), 201) as Json)['device-id']).to.equal('sensor-8');
  });

  it('parallel first gets of one certificate: one 201, the others 200 with the same device', async function () {
    await enabledTenant();
    const client = await suite.client();
    const device = await ca.issue('/O=ACME/CN=device-9');
    const answers = await Promise.all(Array.from({ length: 10 }, () => get(client, 'CN=device-9,O=ACME', device.der)));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201), JSON.stringify(statuses)).to.have.length(1);
    expect(statuses.filter((s) => s === 200), JSON.stringify(statuses)).to.have.length(9);
    const ids = new Set(answers.map((a) => (a.body as Json)['device-id']));
    expect(ids.size).to.equal(1);
  });

  it('{{subject-cn}} uses the unescaped CN (a CN with a comma)', async function () {
    await enabledTenant({ 'auto-provisioning-device-id-template': '{{subject-cn}}' });
    const client = await suite.client();
    const device = await ca.issue('/O=ACME/CN=dev, one');
    const body = expectAnswer(await get(client, 'CN=dev\\, one,O=ACME', device.der), 201) as Json;
    expect(body['device-id']).to.equal('dev, one');
  });
});
