/**
 * The endpoints dispatch exactly the operations they declare (the table amqp_asyncapi.yaml is
 * generated from): every declared subject reaches its operation, an undeclared one is refused as
 * unknown (rejected with hono:bad-request, or answered 400 where the spec wants an answer).
 */
import { expect } from 'chai';
import { ENDPOINTS } from '../../../src/amqp/endpoints/index.js';
import type { Endpoint, OperationSpec } from '../../../src/amqp/endpoint.js';
import type { Response } from '../../helpers/amqp-client.js';
import { ADAPTER_AND_ADMIN, ADMIN_USER, TENANT, useAmqpRegistry } from './support.js';

/** A plausible body for the operation's schema (the operation must be reached, not succeed). */
function bodyFor(spec: OperationSpec): object | undefined {
  switch (spec.body?.schema) {
    case undefined:
      return undefined;
    case 'amqp-tenant-query':
      return { 'tenant-id': TENANT };
    case 'amqp-credentials-query':
      return { type: 'hashed-password', 'auth-id': 'declared-ops' };
    case 'credentials':
      return { 'device-id': 'declared-ops', type: 'hashed-password', 'auth-id': 'declared-ops', secrets: [] };
    default:
      return {};
  }
}

const address = (endpoint: Endpoint) => (endpoint.targetSegments === 2 ? `${endpoint.name}/${TENANT}` : endpoint.name);

/** The request names an operation the endpoint does not know. */
function refusedAsUnknown(res: Response): boolean {
  if (res.rejected !== undefined) return res.rejected.condition === 'hono:bad-request' && /unknown operation/.test(res.rejected.description ?? '');
  return res.status === 400 && /unknown operation/.test(String(res.body));
}

describe('AMQP endpoints dispatch exactly their declared operations', function () {
  // 1.x: error answers carry a text description, so an unknown-operation 400 can be told apart.
  const suite = useAmqpRegistry({ REGISTRY_HONO_API: '1.x' }, { accounts: ADAPTER_AND_ADMIN });

  for (const endpoint of ENDPOINTS) {
    it(`${endpoint.name}: ${Object.keys(endpoint.operations).join(', ')} are dispatched, anything else is unknown`, async function () {
      const client = await suite.client({ username: ADMIN_USER });
      for (const [subject, spec] of Object.entries(endpoint.operations)) {
        const applicationProperties = Object.fromEntries(Object.keys(spec.properties ?? {}).map((name) => [name, name === 'tenant_id' ? TENANT : 'declared-ops']));
        const body = bodyFor(spec);
        const res = await client.request(address(endpoint), { subject, applicationProperties, ...(body === undefined ? {} : { body }) });
        expect(refusedAsUnknown(res), `${endpoint.name} ${subject}: ${JSON.stringify(res.rejected ?? res.body)}`).to.equal(false);
        expect(res.rejected, `${endpoint.name} ${subject}`).to.equal(undefined);
        expect([...spec.statuses, 503], `${endpoint.name} ${subject}`).to.include(res.status);
      }
      const res = await client.request(address(endpoint), { subject: 'frobnicate', applicationProperties: { device_id: 'declared-ops' }, body: {} });
      expect(refusedAsUnknown(res), JSON.stringify(res)).to.equal(true);
    });
  }
});
