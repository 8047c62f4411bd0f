/**
 * Device Registration API (docs/amqp-api.md §4): `assert` (the hot path: one Redis round trip,
 * service/registration-assertion.ts), `get`, and the optional management operations `register`,
 * `update`, `deregister`.
 */
import { badRequest } from '../../errors.js';
import { answer, declared, permission, type Endpoint, type EndpointRequest, type OperationSpec } from '../endpoint.js';
import { idProperty, jsonObjectBody } from '../message.js';

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

/** The request's `device_id` (§4.1), which a pre-0.5 link address names too. BAD_REQUEST: rejected. */
function deviceIdOf({ message, address }: EndpointRequest): string {
  const deviceId = idProperty(message, 'device_id', 'DeviceId');
  if (deviceId === undefined) throw badRequest('application property device_id is required');
  const legacyDevice = address.split('/')[2];
  if (legacyDevice !== undefined && legacyDevice !== deviceId) throw badRequest('device_id differs from the device in the link address');
  return deviceId;
}

export const registrationEndpoint: Endpoint = {
  name: 'registration',
  summary: 'Device Registration API (docs/amqp-api.md §4): link target registration/<tenant>',
  operations: OPERATIONS,
  targetSegments: 2,
  prepare(request, context) {
    const { subject } = request;
    const tenantId = request.tenantId as string;
    const deviceId = deviceIdOf(request);
    const gatewayId = idProperty(request.message, 'gateway_id', 'DeviceId');
    declared(OPERATIONS, subject);
    const body = request.body === undefined ? undefined : jsonObjectBody(request.body, context.maxJsonDepth);
    const devices = context.services.devices;
    return async () => {
      const refused = permission(context, request.resource, request.subject);
      if (refused !== undefined) return answer(refused, tenantId, deviceId);
      switch (subject) {
        case 'assert':
          return answer(await devices.assert(tenantId, deviceId, gatewayId, context.profile), tenantId, deviceId);
        case 'get':
          return { status: 200, json: await devices.get(tenantId, deviceId), tenantId, deviceId };
        case 'register':
          await devices.register(tenantId, { ...body, 'device-id': deviceId }, `amqp:${context.principal}`);
          return { status: 201, tenantId, deviceId };
        case 'update':
          await devices.update(tenantId, deviceId, body ?? {}, `amqp:${context.principal}`);
          return { status: 204, tenantId, deviceId };
        default:
          await devices.remove(tenantId, deviceId, `amqp:${context.principal}`);
          return { status: 204, tenantId, deviceId };
      }
    };
  },
};
