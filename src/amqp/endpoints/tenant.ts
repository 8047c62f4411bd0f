/**
 * Tenant API (docs/amqp-api.md §3): `get` by `tenant-id`, by trusted-CA `subject-dn`, or by the
 * deprecated `tenant_id` property; the optional management operations `add`, `update`, `remove`.
 */
import { badRequest, RegistryError } from '../../errors.js';
import type { JsonObject } from '../../model/credentials.js';
import { answer, permission, type Endpoint, type EndpointContext, type EndpointRequest, type OperationSpec } from '../endpoint.js';
import { idProperty, jsonObjectBody, type Answer } from '../message.js';

const TENANT_ID = { required: true, description: 'The tenant to manage (400 without it).' };

const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  get: {
    summary: 'Get a tenant by tenant-id or by the subject DN of a trusted CA (§3.2)',
    properties: { tenant_id: { required: false, description: 'Deprecated variant (0.6 clients): the tenant to get; the body is then ignored.' } },
    body: { schema: 'amqp-tenant-query', required: false }, statuses: [200, 400, 403, 404], reply: 'tenant',
  },
  add: { summary: 'Add a tenant (§3.3)', deprecated: true, properties: { tenant_id: TENANT_ID }, body: { schema: 'tenant', required: false }, statuses: [201, 400, 403, 409] },
  update: { summary: 'Replace a tenant (§3.3)', deprecated: true, properties: { tenant_id: TENANT_ID }, body: { schema: 'tenant', required: false }, statuses: [204, 400, 403, 404, 409] },
  remove: { summary: 'Delete a tenant with its devices and credentials (§3.3)', deprecated: true, properties: { tenant_id: TENANT_ID }, statuses: [204, 400, 403, 404] },
};

/**
 * A `get` (§3.2): by the deprecated `tenant_id` property when there is one (the body is then
 * ignored), else by the body. A 403 names no tenant: a lookup by CA must not reveal its owner, and
 * the other forms answer alike. A 404 names the tenant only when the request named it by property.
 */
async function get(body: JsonObject | undefined, context: EndpointContext, legacyId: string | undefined): Promise<Answer> {
  const tenants = context.services.tenants;
  const result = legacyId === undefined ? await tenants.find(body, context) : await tenants.findById(legacyId, context);
  return answer(result, result instanceof RegistryError && result.code === 'FORBIDDEN' ? undefined : legacyId, undefined);
}

/** The optional management operations (§3.3): app property `tenant_id` names the tenant. */
async function manage(request: EndpointRequest, body: JsonObject, context: EndpointContext, tenantId: string | undefined): Promise<Answer> {
  if (tenantId === undefined) throw badRequest('application property tenant_id is required');
  const refused = permission(context, `tenant/${tenantId}`, request.subject);
  if (refused !== undefined) return answer(refused, undefined, undefined);
  const tenants = context.services.tenants;
  switch (request.subject) {
    case 'add':
      await tenants.create({ ...body, 'tenant-id': tenantId });
      return { status: 201, tenantId };
    case 'update':
      await tenants.update(tenantId, body);
      return { status: 204, tenantId };
    default:
      await tenants.remove(tenantId);
      return { status: 204, tenantId };
  }
}

export const tenantEndpoint: Endpoint = {
  name: 'tenant',
  summary: 'Tenant API (docs/amqp-api.md §3): link target tenant',
  operations: OPERATIONS,
  targetSegments: 1,
  prepare(request, context) {
    const tenantId = idProperty(request.message, 'tenant_id', 'TenantId');
    const body = request.body === undefined ? undefined : jsonObjectBody(request.body, context.maxJsonDepth);
    switch (request.subject) {
      case 'get':
        return () => get(body, context, tenantId);
      case 'add':
      case 'update':
      case 'remove':
        return () => manage(request, body ?? {}, context, tenantId);
      default:
        // An unknown subject that passes the formal checks is answered 400, not rejected (#24).
        return () => Promise.reject(badRequest(`unknown operation "${request.subject}"`));
    }
  },
};

