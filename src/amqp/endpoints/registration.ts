/**
 * Device Registration API (hono-amqp-apis.md §4): `assert` (the hot path: one Redis round trip),
 * `get`, and the optional management operations `register`, `update`, `deregister`.
 */
import { signAssertion } from '../../model/assertion.js';
import { cacheDirective, type Endpoint, type EndpointContext } from '../endpoint.js';
import { FormalError, jsonObjectBody, stringProperty, type Answer } from '../message.js';

const SUBJECTS = new Set(['assert', 'get', 'register', 'update', 'deregister']);

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
  if (typeof outcome.data.mapper === 'string') body.mapper = outcome.data.mapper;
  return { status: 200, json: JSON.stringify(body), tenantId, deviceId, cacheControl: cacheDirective(maxAge) };
}

export const registrationEndpoint: Endpoint = {
  name: 'registration',
  targetSegments: 2,
  prepare(request, context) {
    const { message, subject, address } = request;
    const tenantId = request.tenantId as string;
    const deviceId = stringProperty(message, 'device_id');
    if (deviceId === undefined) throw new FormalError('application property device_id is required');
    const legacyDevice = address.split('/')[2];
    if (legacyDevice !== undefined && legacyDevice !== deviceId) throw new FormalError('device_id differs from the device in the link address');
    const gatewayId = stringProperty(message, 'gateway_id');
    if (!SUBJECTS.has(subject)) throw new FormalError(`unknown operation "${subject}"; expected one of ${[...SUBJECTS].join(', ')}`);
    const body = request.body === undefined ? undefined : jsonObjectBody(request.body);
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
