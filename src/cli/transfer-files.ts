/**
 * The import/export file formats (docs/import-export.md):
 * - Hono's file-based registry (hono-amqp-apis.md §7.2): `tenants.json` (array of tenants),
 *   `device-identities.json` (`[{"tenant", "devices": [{"device-id", "data"}]}]`) and
 *   `credentials.json` (`[{"tenant", "credentials": [records]}]`), read whole;
 * - NDJSON, streamed: one `{"kind": "tenant" | "device" | "credentials", …}` object per line.
 */
import { accessSync, constants, createReadStream, createWriteStream, openSync, readFileSync, statSync, type WriteStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { DeviceEntry, TenantEntry } from '../service/transfer.js';

/** A file that cannot be used at all (unreadable, not JSON, wrong overall shape): nothing is written. */
export class InputError extends Error {}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** JSON.parse's complaint without the snippet of input V8 may quote (it could be a password). */
export function jsonProblem(err: unknown): string {
  return String((err as Error).message).replace(/,\s*(\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '');
}

function readArray(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${path} is not valid JSON: ${jsonProblem(err)}`);
  }
  if (!Array.isArray(value)) throw new InputError(`${path} must hold a JSON array (Hono's file format), not ${value === null ? 'null' : typeof value}`);
  return value;
}

/** `[i]` elements of a per-tenant file must be `{"tenant": "<id>", "<member>": [...]}`. */
function tenantGroups(path: string, member: 'devices' | 'credentials'): { tenant: string; items: unknown[]; at: string }[] {
  return readArray(path).map((group, i) => {
    const at = `${basename(path)}[${i}]`;
    if (!isObject(group) || typeof group.tenant !== 'string' || !Array.isArray(group[member])) {
      throw new InputError(`${at} must be an object {"tenant": "<tenant id>", "${member}": [ … ]}`);
    }
    return { tenant: group.tenant, items: group[member] as unknown[], at };
  });
}

/** The tenants of a Hono `tenants.json`. */
export function readHonoTenants(path: string): TenantEntry[] {
  return readArray(path).map((body, i) => ({ at: `${basename(path)}[${i}]`, body }));
}

interface MutableEntry extends DeviceEntry {
  readonly credentials: { at: string; record: unknown }[];
}

/**
 * The devices of `device-identities.json` with their records from `credentials.json` attached;
 * records of devices the identities file does not list follow as credentials-only entries.
 * A device without `data` is registered as `{"enabled": true}`, as Hono does.
 */
export function readHonoDevices(devicesPath: string | undefined, credentialsPath: string | undefined): DeviceEntry[] {
  const entries: MutableEntry[] = [];
  const byDevice = new Map<string, MutableEntry>();
  for (const group of devicesPath === undefined ? [] : tenantGroups(devicesPath, 'devices')) {
    group.items.forEach((item, j) => {
      const device = isObject(item) ? item : {};
      const entry: MutableEntry = { at: `${group.at}.devices[${j}]`, tenant: group.tenant, deviceId: device['device-id'] as string, data: device.data ?? {}, credentials: [] };
      entries.push(entry);
      const key = `${group.tenant}\u0000${String(entry.deviceId)}`;
      if (!byDevice.has(key)) byDevice.set(key, entry);
    });
  }
  for (const group of credentialsPath === undefined ? [] : tenantGroups(credentialsPath, 'credentials')) {
    group.items.forEach((record, j) => {
      const at = `${group.at}.credentials[${j}]`;
      const deviceId = isObject(record) ? record['device-id'] : undefined;
      const key = `${group.tenant}\u0000${String(deviceId)}`;
      let entry = typeof deviceId === 'string' ? byDevice.get(key) : undefined;
      if (entry === undefined) {
        entry = { at, tenant: group.tenant, deviceId: deviceId as string, data: undefined, credentials: [] };
        entries.push(entry);
        if (typeof deviceId === 'string') byDevice.set(key, entry);
      }
      entry.credentials.push({ at, record });
    });
  }
  return entries;
}

/** Streams an NDJSON source; tenant lines go to `onTenant` (awaited, so they exist before their devices). */
export async function* readNdjson(
  input: Readable,
  name: string,
  onTenant: (entry: TenantEntry) => Promise<void>,
  onBadLine: (at: string, reason: string) => void,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<DeviceEntry> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    onBytes?.(Buffer.byteLength(line) + 1);
    if (line.trim() === '') continue;
    const at = `${name}:${n}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      onBadLine(at, `not valid JSON: ${jsonProblem(err)}`);
      continue;
    }
    if (!isObject(value)) {
      onBadLine(at, 'a line must hold a JSON object');
      continue;
    }
    const { kind, tenant, 'device-id': deviceId, data, credentials } = value;
    if (kind === 'tenant') {
      const { kind: _kind, ...body } = value;
      await onTenant({ at, body });
      continue;
    }
    if ((kind !== 'device' && kind !== 'credentials') || typeof tenant !== 'string' || (credentials !== undefined && !Array.isArray(credentials))) {
      onBadLine(at, 'expected {"kind": "tenant", …}, {"kind": "device", "tenant", "device-id", "data", "credentials": [ … ]} or {"kind": "credentials", "tenant", "device-id", "credentials": [ … ]}');
      continue;
    }
    const records = ((credentials as unknown[] | undefined) ?? []).map((record, j) => ({ at: `${at} credentials[${j}]`, record }));
    yield { at, tenant, deviceId: deviceId as string, data: kind === 'device' ? (data ?? {}) : undefined, credentials: records };
  }
}

/** The size of a file (for the progress of a stream), or undefined for stdin and pipes. */
export function sizeOf(path: string): number | undefined {
  try {
    const stat = statSync(path);
    return stat.isFile() ? stat.size : undefined;
  } catch {
    return undefined;
  }
}

/** stdin for "-", else the file (InputError when it cannot be read). */
export function openInput(path: string): Readable {
  if (path === '-') return process.stdin;
  try {
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw new InputError(`cannot read ${path}: ${(err as Error).message}`);
  }
  return createReadStream(path);
}

/** A writer that respects back-pressure. Files are created 0600: exports hold password hashes and keys. */
export interface Output {
  write(text: string): Promise<void>;
  close(): Promise<void>;
}

export function openOutput(path: string): Output {
  let fd: number | undefined;
  try {
    if (path !== '-') fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    throw new InputError(`cannot write ${path}: ${(err as Error).message}${(err as NodeJS.ErrnoException).code === 'EEXIST' ? ' (an export never overwrites a file)' : ''}`);
  }
  const stream: Writable = fd === undefined ? process.stdout : createWriteStream(path, { fd });
  const failed = new Promise<never>((_, reject) => stream.once('error', (err) => reject(new InputError(`cannot write ${path}: ${err.message}`))));
  failed.catch(() => undefined);
  return {
    async write(text) {
      if (!stream.write(text)) await Promise.race([new Promise((r) => stream.once('drain', r)), failed]);
    },
    async close() {
      if (stream === process.stdout) return;
      await Promise.race([new Promise<void>((r) => (stream as WriteStream).end(r)), failed]);
    },
  };
}

/** Indents pretty-printed JSON for its place inside an array. */
export const indent = (json: string, by: string): string => JSON.stringify(JSON.parse(json), null, 2).replace(/\n/g, `\n${by}`);
