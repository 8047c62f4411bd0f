/**
 * The registration assertion of Hono 0.9 – 1.0-M3 (docs/amqp-api.md §4.2, §14.12): an HS256 JWT
 * with `sub` = device id, `ten` = tenant id and `exp`. 0.9 adapters expect it in assert answers.
 */
import { createHmac } from 'node:crypto';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/** Signs an assertion valid for `lifetimeSeconds` from `nowMs`. */
export function signAssertion(secret: string, tenantId: string, deviceId: string, lifetimeSeconds: number, nowMs: number): string {
  const claims = { sub: deviceId, ten: tenantId, exp: Math.floor(nowMs / 1000) + lifetimeSeconds };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${HEADER}.${payload}`).digest('base64url');
  return `${HEADER}.${payload}.${signature}`;
}
