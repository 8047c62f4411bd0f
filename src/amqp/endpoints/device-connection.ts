/**
 * Device Connection API (docs/amqp-api.md §6): `set-last-gw` and `get-last-gw`, kept in Redis.
 */
import { badRequest, RegistryError } from '../../errors.js';
import type { Endpoint, OperationSpec } from '../endpoint.js';
import { FormalError, idProperty } from '../message.js';

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
    if (deviceId === undefined) throw new FormalError('application property device_id is required');
    const gatewayId = idProperty(request.message, 'gateway_id', 'DeviceId');
    const connections = context.services.deviceConnections;
    return async () => {
      if (!context.authorities.mayExecute(`device_con/${tenantId}`, request.subject)) return { status: 403, tenantId, deviceId };
      switch (request.subject) {
        case 'set-last-gw':
          if (gatewayId === undefined) throw badRequest('application property gateway_id is required');
          await connections.setLastGateway(tenantId, deviceId, gatewayId);
          return { status: 204, tenantId, deviceId };
        case 'get-last-gw': {
          const json = await connections.getLastGateway(tenantId, deviceId);
          return json === null ? { status: 404, tenantId, deviceId } : { status: 200, json, tenantId, deviceId };
        }
        default:
          throw new RegistryError('BAD_REQUEST', `unknown operation "${request.subject}"; expected set-last-gw or get-last-gw`);
      }
    };
  },
};
