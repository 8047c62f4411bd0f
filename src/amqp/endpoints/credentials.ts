/**
 * Credentials API (docs/amqp-api.md §5): `get` by type and auth-id with client-context matching
 * (strict in the legacy profile, against `ext` in 1.x; one Redis round trip), the legacy `{"type": "*", "device-id"}` listing, and the
 * optional management operations `add`, `update`, `remove`.
 */
import { badRequest } from '../../errors.js';
import { matchesClientContext, matchesExtension, type CredentialsRecord, type JsonObject } from '../../model/credentials.js';
import { cacheDirective, type Endpoint, type EndpointContext, type OperationSpec } from '../endpoint.js';
import { FormalError, jsonObjectBody, type Answer } from '../message.js';

const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  get: {
    summary: 'Get credentials by type and auth-id, matching the client context; list a device\'s credentials with type *; auto-provision an x509-cert device (201) (§5.2, §5.6)',
    body: { schema: 'amqp-credentials-query', required: true }, statuses: [200, 201, 400, 403, 404], reply: 'credentials',
  },
  add: { summary: 'Add credentials (§5.3)', deprecated: true, body: { schema: 'credentials', required: true }, statuses: [201, 400, 403, 404, 409] },
  update: { summary: 'Replace credentials (§5.3)', deprecated: true, body: { schema: 'credentials', required: true }, statuses: [204, 400, 403, 404] },
  remove: { summary: 'Remove credentials by type and auth-id, or all of a device with type * (§5.3)', deprecated: true, body: { schema: 'amqp-credentials-query', required: true }, statuses: [204, 400, 403, 404] },
};
/** Types whose answers Hono 1.x lets adapters cache (§2.6). */
const CACHEABLE_TYPES = new Set(['hashed-password', 'x509-cert']);

/** The record as the profile sends it, or undefined when the profile treats it as not found (#57). */
function forProfile(record: CredentialsRecord, raw: string, context: EndpointContext): string | undefined {
  if (context.profile === 'legacy') return raw;
  if (record.enabled === false) return undefined;
  const secrets = record.secrets.filter((s) => s.enabled !== false);
  if (secrets.length === 0) return undefined;
  return secrets.length === record.secrets.length ? raw : JSON.stringify({ ...record, secrets });
}

async function get(tenantId: string, query: JsonObject, context: EndpointContext): Promise<Answer> {
  const { type, 'auth-id': authId, 'device-id': deviceId, 'client-certificate': certificate, ...clientContext } = query;
  if (typeof type !== 'string') throw badRequest('the body needs a string "type"');
  if (authId !== undefined && deviceId !== undefined) throw badRequest('give either "auth-id" or "device-id", not both');
  if (authId === undefined) {
    if (type !== '*' || typeof deviceId !== 'string') throw badRequest('the body needs a string "auth-id"');
    return { status: 200, json: await context.services.credentials.getByDevice(tenantId, deviceId), tenantId, deviceId, cacheControl: 'no-cache' };
  }
  if (typeof authId !== 'string') throw badRequest('"auth-id" must be a string');
  const raw = await context.services.credentials.lookup(tenantId, type, authId);
  if (raw === null) return provision(tenantId, type, authId, certificate, context);
  const record = JSON.parse(raw) as CredentialsRecord;
  const matches = context.profile === 'legacy' ? matchesClientContext : matchesExtension;
  if (!matches(record, clientContext)) return { status: 404, tenantId };
  const json = forProfile(record, raw, context);
  if (json === undefined) return { status: 404, tenantId };
  const cacheable = context.profile === '1.x' && CACHEABLE_TYPES.has(type);
  return { status: 200, json, tenantId, deviceId: record['device-id'], cacheControl: cacheable ? cacheDirective(context.cacheMaxAge) : 'no-cache' };
}

/** Auto-provisioning (§5.6): an x509-cert lookup that carries the device's certificate may create it (201). */
async function provision(tenantId: string, type: string, authId: string, certificate: unknown, context: EndpointContext): Promise<Answer> {
  if (type !== 'x509-cert' || certificate === undefined) return { status: 404, tenantId };
  if (typeof certificate !== 'string') throw badRequest('"client-certificate" must be a Base64 string');
  const outcome = await context.services.autoProvisioning.provision(tenantId, authId, certificate);
  if (outcome === undefined) return { status: 404, tenantId };
  const deviceId = (JSON.parse(outcome.json) as CredentialsRecord)['device-id'];
  return { status: outcome.created ? 201 : 200, json: outcome.json, tenantId, deviceId, cacheControl: 'no-cache' };
}

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
    if (request.body === undefined) throw new FormalError('credentials requests need a Data body');
    const query = jsonObjectBody(request.body, context.maxJsonDepth);
    const { subject } = request;
    if (!Object.hasOwn(OPERATIONS, subject)) throw new FormalError(`unknown operation "${subject}"; expected one of ${Object.keys(OPERATIONS).join(', ')}`);
    const credentials = context.services.credentials;
    return async () => {
      if (!context.authorities.mayExecute(`credentials/${tenantId}`, subject)) return { status: 403, tenantId };
      switch (subject) {
        case 'get':
          return get(tenantId, query, context);
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
