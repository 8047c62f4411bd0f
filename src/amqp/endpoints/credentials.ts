/**
 * Credentials API (docs/amqp-api.md §5): `get` by type and auth-id with client-context matching
 * (strict in the legacy profile, against `ext` in 1.x; one Redis round trip), the legacy
 * `{"type": "*", "device-id"}` listing and auto-provisioning (service/credentials-lookup.ts), and
 * the optional management operations `add`, `update`, `remove`.
 */
import { badRequest } from '../../errors.js';
import type { JsonObject } from '../../model/credentials.js';
import { answer, declared, permission, type Endpoint, type EndpointContext, type OperationSpec } from '../endpoint.js';
import { jsonObjectBody, type Answer } from '../message.js';

const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  get: {
    summary: 'Get credentials by type and auth-id, matching the client context; list a device\'s credentials with type *; auto-provision an x509-cert device (201) (§5.2, §5.6)',
    body: { schema: 'amqp-credentials-query', required: true }, statuses: [200, 201, 400, 403, 404], reply: 'credentials',
  },
  add: { summary: 'Add credentials (§5.3)', deprecated: true, body: { schema: 'credentials', required: true }, statuses: [201, 400, 403, 404, 409] },
  update: { summary: 'Replace credentials (§5.3)', deprecated: true, body: { schema: 'credentials', required: true }, statuses: [204, 400, 403, 404] },
  remove: { summary: 'Remove credentials by type and auth-id, or all of a device with type * (§5.3)', deprecated: true, body: { schema: 'amqp-credentials-query', required: true }, statuses: [204, 400, 403, 404] },
};
async function remove(tenantId: string, query: JsonObject, context: EndpointContext): Promise<Answer> {
  const { type, 'auth-id': authId, 'device-id': deviceId } = query;
  if (type === '*' && typeof deviceId === 'string' && authId === undefined) {
    await context.services.credentials.removeByDevice(tenantId, deviceId);
  } else if (typeof type === 'string' && typeof authId === 'string' && deviceId === undefined) {
    await context.services.credentials.remove(tenantId, authId, type);
  } else {
    throw badRequest('remove takes {"type", "auth-id"} or {"type": "*", "device-id"}');
  }
  return { status: 204, tenantId };
}

export const credentialsEndpoint: Endpoint = {
  name: 'credentials',
  summary: 'Credentials API (docs/amqp-api.md §5): link target credentials/<tenant>; every request needs a Data body',
  operations: OPERATIONS,
  targetSegments: 2,
  prepare(request, context) {
    const tenantId = request.tenantId as string;
    if (request.body === undefined) throw badRequest('credentials requests need a Data body');
    const query = jsonObjectBody(request.body, context.maxJsonDepth);
    const { subject } = request;
    declared(OPERATIONS, subject);
    const credentials = context.services.credentials;
    return async () => {
      const refused = permission(context, request.resource, request.subject);
      if (refused !== undefined) return answer(refused, tenantId, undefined);
      switch (subject) {
        case 'get':
          return answer(await credentials.find(tenantId, query, context.profile), tenantId, undefined);
        case 'add':
          await credentials.add(tenantId, query);
          return { status: 201, tenantId };
        case 'update':
          await credentials.update(tenantId, String(query['auth-id'] ?? ''), String(query.type ?? ''), query);
          return { status: 204, tenantId };
        default:
          return remove(tenantId, query, context);
      }
    };
  },
};
