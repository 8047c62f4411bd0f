/**
 * Tenant API (docs/amqp-api.md §3): `get` by `tenant-id`, by trusted-CA `subject-dn`, or by the
 * deprecated `tenant_id` property; the optional management operations `add`, `update`, `remove`.
 */
import { badRequest, RegistryError } from '../../errors.js';
import type { JsonObject } from '../../model/credentials.js';
import { renderTenant } from '../../model/tenant.js';
import type { StoredTenant } from '../../service/tenants.js';
import { cacheDirective, type Endpoint, type EndpointContext, type EndpointRequest, type OperationSpec } from '../endpoint.js';
import { idProperty, jsonObjectBody, type Answer } from '../message.js';

const FORBIDDEN: Answer = { status: 403 };

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

function found({ tenant, json }: StoredTenant, context: EndpointContext): Answer {
  const id = String(tenant['tenant-id']);
  // Payload variants are authorised on the result (§3.2, #34).
  if (!context.authorities.mayExecute(`tenant/${id}`, 'get')) return FORBIDDEN;
  const rendered = renderTenant(tenant, context.profile, Date.now());
  return {
    status: 200,
    // Without trusted CAs the stored JSON is the answer: not serialised again.
    json: rendered === tenant ? json : JSON.stringify(rendered),
    tenantId: id,
    cacheControl: cacheDirective(context.cacheMaxAge),
  };
}

async function get(query: JsonObject | undefined, context: EndpointContext, legacyId: string | undefined): Promise<Answer> {
  const tenants = context.services.tenants;
  if (legacyId !== undefined) {
    if (!context.authorities.mayExecute(`tenant/${legacyId}`, 'get')) return FORBIDDEN;
    const tenant = await tenants.lookup(legacyId);
    return tenant === undefined ? { status: 404, tenantId: legacyId } : found(tenant, context);
  }
  if (query === undefined) throw badRequest('a get request needs a body with tenant-id or subject-dn');
  let tenant: StoredTenant | undefined;
  if (typeof query['tenant-id'] === 'string') tenant = await tenants.lookup(query['tenant-id']);
  else if (typeof query['subject-dn'] === 'string') tenant = await tenants.lookupByCa(query['subject-dn']);
  else throw badRequest('the body needs a string tenant-id or subject-dn');
  return tenant === undefined ? { status: 404 } : found(tenant, context);
}

/** The optional management operations (§3.3): app property `tenant_id` names the tenant. */
async function manage(request: EndpointRequest, body: JsonObject, context: EndpointContext, tenantId: string | undefined): Promise<Answer> {
  if (tenantId === undefined) throw badRequest('application property tenant_id is required');
  if (!context.authorities.mayExecute(`tenant/${tenantId}`, request.subject)) return FORBIDDEN;
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
        return () => Promise.reject(new RegistryError('BAD_REQUEST', `unknown operation "${request.subject}"`));
    }
  },
};

