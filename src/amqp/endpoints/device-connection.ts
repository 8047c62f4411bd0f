/**
 * Device Connection API (docs/amqp-api.md §6): `set-last-gw` and `get-last-gw`, kept in Redis.
 */
import { badRequest } from '../../errors.js';
import { answer, permission, type Endpoint, type OperationSpec } from '../endpoint.js';
import { idProperty } from '../message.js';

const DEVICE_ID = { required: true, description: 'The device the request is about (a request without it is rejected with hono:bad-request).' };

const OPERATIONS: Readonly<Record<string, OperationSpec>> = {
  'set-last-gw': {
    summary: 'Record the gateway a device last connected through (§6)',
    properties: { device_id: DEVICE_ID, gateway_id: { required: true, description: 'The gateway (the device\'s own id when it connected directly); 400 without it.' } },
    statuses: [204, 400, 403],
  },
  'get-last-gw': { summary: 'The gateway a device last connected through (§6)', properties: { device_id: DEVICE_ID }, statuses: [200, 403, 404], reply: 'amqp-last-gateway' },
};

export const deviceConnectionEndpoint: Endpoint = {
  name: 'device_con',
  summary: 'Device Connection API (docs/amqp-api.md §6): link target device_con/<tenant>',
  operations: OPERATIONS,
  targetSegments: 2,
  prepare(request, context) {
    const tenantId = request.tenantId as string;
    const deviceId = idProperty(request.message, 'device_id', 'DeviceId');
    if (deviceId === undefined) throw badRequest('application property device_id is required');
    const gatewayId = idProperty(request.message, 'gateway_id', 'DeviceId');
    const connections = context.services.deviceConnections;
    return async () => {
      const refused = permission(context, request.resource, request.subject);
      if (refused !== undefined) return answer(refused, tenantId, deviceId);
      switch (request.subject) {
        case 'set-last-gw':
          if (gatewayId === undefined) throw badRequest('application property gateway_id is required');
          await connections.setLastGateway(tenantId, deviceId, gatewayId);
          return { status: 204, tenantId, deviceId };
        case 'get-last-gw':
          return answer(await connections.getLastGateway(tenantId, deviceId), tenantId, deviceId);
        default:
          throw badRequest(`unknown operation "${request.subject}"; expected set-last-gw or get-last-gw`);
      }
    };
  },
};
