/**
 * Device Registration API (docs/amqp-api.md §4): `assert` (the hot path: one Redis round trip),
 * `get`, and the optional management operations `register`, `update`, `deregister`.
 */
import { signAssertion } from '../../model/assertion.js';
import { cacheDirective, type Endpoint, type EndpointContext, type OperationSpec } from '../endpoint.js';
import { FormalError, idProperty, jsonObjectBody, type Answer } from '../message.js';

const DEVICE_ID = { required: true, description: 'The device the request is about (a request without it is rejected with hono:bad-request).' };

const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  assert: {
    summary: 'Assert that a device is registered and enabled, and that the gateway (if any) may act for it (§4.2)',
    properties: { device_id: DEVICE_ID, gateway_id: { required: false, description: 'The authenticated gateway acting for the device; it must be enabled and in the device\'s via list (403 otherwise).' } },
    statuses: [200, 403, 404], reply: 'amqp-assertion',
  },
  get: { summary: 'Read the registration of a device (§4.3)', properties: { device_id: DEVICE_ID }, statuses: [200, 403, 404], reply: 'registration-response' },
  register: {
    summary: 'Register a device (§4.4)', deprecated: true, properties: { device_id: DEVICE_ID },
    body: { schema: 'registration', required: false }, statuses: [201, 400, 403, 404, 409],
  },
  update: { summary: 'Replace the registration data of a device (§4.4)', deprecated: true, properties: { device_id: DEVICE_ID }, body: { schema: 'registration', required: false }, statuses: [204, 400, 403, 404] },
  deregister: { summary: 'Delete a device; it goes onto the denied list (§4.4)', deprecated: true, properties: { device_id: DEVICE_ID }, statuses: [204, 403, 404] },
};

/**
 * The message mappers (§4.2). Hono 1.3–1.7 read the downstream mapper as `mapper`; 1.8 renamed it
 * `downstream-message-mapper` and added `upstream-message-mapper`. The downstream mapper goes out
 * under both names, whichever name it was stored under, so every adapter version finds it.
 */
function addMappers(body: Record<string, unknown>, data: Record<string, unknown>): void {
  const downstream = data['downstream-message-mapper'] ?? data.mapper;
  if (typeof downstream === 'string') {
    body.mapper = downstream;
    body['downstream-message-mapper'] = downstream;
  }
  if (typeof data['upstream-message-mapper'] === 'string') body['upstream-message-mapper'] = data['upstream-message-mapper'];
}

async function assert(tenantId: string, deviceId: string, gatewayId: string | undefined, context: EndpointContext): Promise<Answer> {
  const outcome = await context.services.devices.assert(tenantId, deviceId, gatewayId);
  if (outcome.status !== 200 || outcome.data === undefined) return { status: outcome.status, tenantId, deviceId };
  const body: Record<string, unknown> = { 'device-id': deviceId };
  let maxAge = context.cacheMaxAge;
  const { secret, lifetime } = context.assertion;
  if (context.profile === 'legacy' && secret !== undefined) {
    body.assertion = signAssertion(secret, tenantId, deviceId, lifetime, Date.now());
    maxAge = Math.min(maxAge, lifetime);
  }
  if (outcome.via !== undefined && outcome.via.length > 0) body.via = outcome.via;
  if (outcome.data.defaults !== undefined) body.defaults = outcome.data.defaults;
  addMappers(body, outcome.data);
  return { status: 200, json: JSON.stringify(body), tenantId, deviceId, cacheControl: cacheDirective(maxAge) };
}

export const registrationEndpoint: Endpoint = {
  name: 'registration',
  summary: 'Device Registration API (docs/amqp-api.md §4): link target registration/<tenant>',
  operations: OPERATIONS,
  targetSegments: 2,
  prepare(request, context) {
    const { message, subject, address } = request;
    const tenantId = request.tenantId as string;
    const deviceId = idProperty(message, 'device_id', 'DeviceId');
    if (deviceId === undefined) throw new FormalError('application property device_id is required');
    const legacyDevice = address.split('/')[2];
    if (legacyDevice !== undefined && legacyDevice !== deviceId) throw new FormalError('device_id differs from the device in the link address');
    const gatewayId = idProperty(message, 'gateway_id', 'DeviceId');
    if (!Object.hasOwn(OPERATIONS, subject)) throw new FormalError(`unknown operation "${subject}"; expected one of ${Object.keys(OPERATIONS).join(', ')}`);
    const body = request.body === undefined ? undefined : jsonObjectBody(request.body, context.maxJsonDepth);
    const devices = context.services.devices;
    return async () => {
      if (!context.authorities.mayExecute(`registration/${tenantId}`, subject)) return { status: 403, tenantId, deviceId };
      switch (subject) {
        case 'assert':
          return assert(tenantId, deviceId, gatewayId, context);
        case 'get':
          return { status: 200, json: await devices.get(tenantId, deviceId), tenantId, deviceId };
        case 'register':
          await devices.register(tenantId, { ...body, 'device-id': deviceId });
          return { status: 201, tenantId, deviceId };
        case 'update':
          await devices.update(tenantId, deviceId, body ?? {});
          return { status: 204, tenantId, deviceId };
        default:
          await devices.remove(tenantId, deviceId, `amqp:${context.principal}`);
          return { status: 204, tenantId, deviceId };
      }
    };
  },
};
