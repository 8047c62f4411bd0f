/**
 * Gateways on the AMQP `assert` (docs/management-v1.md "Gateways"):
 * authorised through `via` or a group (`viaGroups` / `memberOf`), every gateway that may act for
 * the device listed in `via` with the groups resolved, and gateways with the authority
 * `auto-provisioning-enabled` creating their edge devices on the first assert.
 */
import { expect } from 'chai';
import type { AmqpClient } from '../../helpers/amqp-client.js';
import { http } from '../../helpers/registry.js';
import { TENANT, createTenant, expectAnswer, useAmqpRegistry, type Json } from '../amqp/support.js';

const assertOn = (client: AmqpClient, deviceId: string, gatewayId?: string, tenant = TENANT) =>
  client.request(`registration/${tenant}`, { subject: 'assert', applicationProperties: { device_id: deviceId, ...(gatewayId === undefined ? {} : { gateway_id: gatewayId }) } });

describe('/v1 gateways on the AMQP assert', function () {
  this.timeout(20_000);
  const suite = useAmqpRegistry();
  const create = async (id: string, body: Json = {}, tenant = TENANT) => expect((await http(suite.base, 'POST', `/v1/devices/${tenant}/${id}`, body)).status).to.equal(201);
  const device = async (id: string, tenant = TENANT) => (await http(suite.base, 'GET', `/v1/devices/${tenant}/${id}`)).json as Json;

  describe('gateway groups', function () {
    it('lists in via the device\'s gateways and every member of its groups, and authorises each', async function () {
      await create('gw-1', { memberOf: ['north'] });
      await create('gw-2', { memberOf: ['north', 'south'] });
      await create('gw-3', { memberOf: ['south'] });
      await create('gw-4');
      await create('edge', { via: ['gw-4'], viaGroups: ['north'] });
      const client = await suite.client();
      const direct = expectAnswer(await assertOn(client, 'edge'), 200) as Json;
      expect(direct.via).to.deep.equal(['gw-4', 'gw-1', 'gw-2']);
      for (const gateway of ['gw-1', 'gw-2', 'gw-4']) expect((expectAnswer(await assertOn(client, 'edge', gateway), 200) as Json).via).to.have.members(['gw-4', 'gw-1', 'gw-2']);
      expectAnswer(await assertOn(client, 'edge', 'gw-3'), 403);
    });

    it('sees group changes at once: a new member may act, a gateway that left the group may not', async function () {
      await create('gw-1', { memberOf: ['g'] });
      await create('edge', { viaGroups: ['g'] });
      const client = await suite.client();
      expectAnswer(await assertOn(client, 'edge', 'gw-2'), 403);
      await create('gw-2', { memberOf: ['g'] });
      expect((expectAnswer(await assertOn(client, 'edge', 'gw-2'), 200) as Json).via).to.deep.equal(['gw-1', 'gw-2']);
      expect((await http(suite.base, 'PATCH', `/v1/devices/${TENANT}/gw-1`, { memberOf: null }, { 'Content-Type': 'application/merge-patch+json' })).status).to.equal(204);
      expectAnswer(await assertOn(client, 'edge', 'gw-1'), 403);
      expect((expectAnswer(await assertOn(client, 'edge'), 200) as Json).via).to.deep.equal(['gw-2']);
    });

    it('answers a device without groups or via without a via member', async function () {
      await create('plain');
      expect(expectAnswer(await assertOn(await suite.client(), 'plain'), 200)).to.not.have.property('via');
    });
  });

  describe('auto-provisioning by a gateway (authority auto-provisioning-enabled)', function () {
    it('creates an unknown edge device on its first assert, through the gateway and its groups', async function () {
      await create('gw', { memberOf: ['plant-1'], authorities: ['auto-provisioning-enabled'] });
      const client = await suite.client();
      const body = expectAnswer(await assertOn(client, 'new-edge', 'gw'), 200) as Json;
      expect(body.via).to.include('gw');
      const edge = await device('new-edge');
      expect(edge).to.deep.include({ enabled: true, via: ['gw'], viaGroups: ['plant-1'] });
      expect(edge.status).to.deep.include({ 'last-user': 'auto-provisioning', 'auto-provisioned': true });
      // A second assert finds the device; it is a device like any other.
      expectAnswer(await assertOn(client, 'new-edge', 'gw'), 200);
      expect((await http(suite.base, 'GET', `/v1/devices/${TENANT}?${new URLSearchParams({ filterJson: JSON.stringify({ field: '/status/auto-provisioned', value: true }) })}`)).json).to.have.property('total', 1);
    });

    it('creates nothing for a gateway without the authority, a disabled one, a denied device, or beyond the tenant\'s device limit', async function () {
      const client = await suite.client();
      await create('gw-plain');
      await create('gw-off', { enabled: false, authorities: ['auto-provisioning-enabled'] });
      await create('gw', { authorities: ['auto-provisioning-enabled'] });
      expectAnswer(await assertOn(client, 'edge-1', 'gw-plain'), 404);
      expectAnswer(await assertOn(client, 'edge-2', 'gw-off'), 404);
      await create('was-here');
      expect((await http(suite.base, 'DELETE', `/v1/devices/${TENANT}/was-here`)).status).to.equal(204);
      expectAnswer(await assertOn(client, 'was-here', 'gw'), 404);
      for (const id of ['edge-1', 'edge-2', 'was-here']) expect((await http(suite.base, 'GET', `/v1/devices/${TENANT}/${id}`)).status).to.equal(404);

      await createTenant(suite.base, 'small', { 'registration-limits': { 'max-devices': 1 } });
      await create('gw', { authorities: ['auto-provisioning-enabled'] }, 'small');
      expectAnswer(await assertOn(client, 'edge', 'gw', 'small'), 404);
      expect((await http(suite.base, 'GET', '/v1/devices/small/edge')).status).to.equal(404);
    });

    it('creates the device once when many asserts for it arrive at once', async function () {
      await create('gw', { authorities: ['auto-provisioning-enabled'] });
      const client = await suite.client();
      const answers = await Promise.all(Array.from({ length: 10 }, () => assertOn(client, 'rush', 'gw')));
      for (const answer of answers) expectAnswer(answer, 200);
      const edge = await device('rush');
      expect(edge.status).to.not.have.property('updated');
    });
  });
});
