/**
 * The HTTP requests of the benchmarks (bench/http-client.ts): random reads of the data set's
 * devices (dataset.ts) and writes of new records with ids unique across runs.
 */
import { randomBytes } from 'node:crypto';
import * as data from './dataset.js';
import type { HttpRequest } from './http-client.js';

/** A route under test: its name, whether it reads, and a generator of its requests. */
export interface HttpRoute {
  readonly route: string;
  readonly read: boolean;
  /** Statuses that count as success. */
  readonly expect: readonly number[];
  next(devices: number): () => HttpRequest;
}

/** GET of a random device of the first `devices`, on a path built by `path(tenant, device)`. */
function readRoute(route: string, path: (tenant: string, device: string) => string): HttpRoute {
  return {
    route,
    read: true,
    expect: [200],
    next: (devices) => () => {
      const i = data.randomDevice(devices);
      return { method: 'GET', path: path(data.deviceTenant(i), data.deviceId(i)) };
    },
  };
}

/** The legacy read every registry version answers: GET /registration/{t}/{d}. */
export const legacyDeviceRead = readRoute('GET /registration/{t}/{d}', (t, d) => `/registration/${t}/${d}`);

/** Hono's management API read: GET /v1/devices/{t}/{d}. */
export const v1DeviceRead = readRoute('GET /v1/devices/{t}/{d}', (t, d) => `/v1/devices/${t}/${d}`);

/** POSTs of new records to `path`, `body(id)` built from an id unique across runs. */
function writeRoute(route: string, path: string, body: (id: string) => unknown): HttpRoute {
  const prefix = `http-${randomBytes(4).toString('hex')}-`;
  let counter = 0;
  return { route, read: false, expect: [201], next: () => () => ({ method: 'POST', path, body: JSON.stringify(body(`${prefix}${counter++}`)) }) };
}

/** POST /registration/{t} of a new device. */
export const registerDevice = writeRoute(`POST /registration/{t}`, `/registration/${data.HTTP_TENANT}`, (id) => ({ 'device-id': id, enabled: true }));

const hash = randomBytes(64).toString('base64');
const salt = randomBytes(16).toString('base64');

/** POST /credentials/{t}: a hashed-password record with a pre-hashed sha-512 secret (no bcrypt). */
export const addCredentials = writeRoute('POST /credentials/{t} (sha-512 pwd-hash)', `/credentials/${data.HTTP_TENANT}`, (id) => ({
  'device-id': id,
  type: 'hashed-password',
  'auth-id': id,
  secrets: [{ 'hash-function': 'sha-512', 'pwd-hash': hash, salt }],
}));

/** Whether the server at `baseUrl` answers `route`'s first request with one of its statuses. */
export async function answers(baseUrl: string, route: HttpRoute, devices: number): Promise<boolean> {
  const request = route.next(devices)();
  try {
    const response = await fetch(`${baseUrl}${request.path}`, { method: request.method });
    await response.arrayBuffer();
    return route.expect.includes(response.status);
  } catch {
    return false;
  }
}
