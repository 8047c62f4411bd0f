/**
 * The AMQP lookups under test (tenant `get`, registration `assert` direct and via a gateway,
 * credentials `get`) with random keys from the data set (dataset.ts), and the floor's mix of them.
 */
import type { AmqpRequest } from './amqp-load.js';
import * as data from './dataset.js';

/** An AMQP operation under test: its request links and a generator of random requests. */
export interface AmqpOp {
  readonly name: string;
  readonly addresses: readonly string[];
  next(devices: number): () => AmqpRequest;
}

const perTenant = (endpoint: string) => Array.from({ length: data.DEVICE_TENANTS }, (_, k) => `${endpoint}/${data.tenantName(k)}`);
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** The four lookups; tenant `get` draws from `tenants` tenants. */
export function lookupOps(tenants: number): readonly AmqpOp[] {
  return [
    {
      name: 'tenant get',
      addresses: ['tenant'],
      next: () => () => ({ address: 'tenant', subject: 'get', body: json({ 'tenant-id': data.tenantName(Math.floor(Math.random() * tenants)) }) }),
    },
    {
      name: 'registration assert',
      addresses: perTenant('registration'),
      next: (devices) => () => {
        const i = data.randomDevice(devices);
        return { address: `registration/${data.deviceTenant(i)}`, subject: 'assert', properties: { device_id: data.deviceId(i) } };
      },
    },
    {
      name: 'registration assert via gateway',
      addresses: perTenant('registration'),
      next: (devices) => () => {
        const i = data.randomGatewayDevice(devices);
        return { address: `registration/${data.deviceTenant(i)}`, subject: 'assert', properties: { device_id: data.deviceId(i), gateway_id: data.gatewayOf(i) } };
      },
    },
    {
      name: 'credentials get',
      addresses: perTenant('credentials'),
      next: (devices) => () => {
        const i = data.randomDevice(devices);
        return { address: `credentials/${data.deviceTenant(i)}`, subject: 'get', body: json({ type: 'hashed-password', 'auth-id': data.authId(i) }) };
      },
    },
  ];
}

/** The floor gets the same mix of requests (all kinds, random), on the same links. */
export function floorOp(ops: readonly AmqpOp[]): AmqpOp {
  return {
    name: 'echo floor',
    addresses: [...new Set(ops.flatMap((op) => op.addresses))],
    next: (devices) => {
      const generators = ops.map((op) => op.next(devices));
      return () => (generators[Math.floor(Math.random() * generators.length)] as () => AmqpRequest)();
    },
  };
}
