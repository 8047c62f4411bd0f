/**
 * The import/export file formats (docs/import-export.md):
 * - Hono's file-based registry (docs/amqp-api.md §7.2): `tenants.json` (array of tenants),
 *   `device-identities.json` (`[{"tenant", "devices": [{"device-id", "data"}]}]`) and
 *   `credentials.json` (`[{"tenant", "credentials": [records]}]`), read whole;
 * - NDJSON, streamed: one `{"kind": "tenant" | "device" | "credentials", …}` object per line.
 */
import { accessSync, constants, createReadStream, createWriteStream, openSync, readFileSync, statSync, type WriteStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { JsonInputError, parseJsonInput } from '../json-input.js';
import type { DeviceEntry, TenantEntry } from '../service/transfer.js';

/** A file that cannot be used at all (unreadable, not JSON, wrong overall shape): nothing is written. */
export class InputError extends Error {}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * How many levels a file's own structure adds above a record, so that a record may nest as deeply
 * as the same record sent over HTTP (REGISTRY_JSON_MAX_DEPTH): `[{"tenant", "devices": [{"data": …`
 * puts registration data at level 5 where an HTTP body starts at 1.
 */
const WRAPPING = { tenants: 1, devices: 4, credentials: 3, ndjson: 2 } as const;
const NOT_JSON = 'not valid JSON';

/**
 * `value` of the JSON text, whose records may nest `maxDepth` levels below the file's own
 * `wrapping`; the problem as text when it is not JSON the registry accepts.
 */
function parseText(text: string, maxDepth: number, wrapping: number): { value: unknown } | { problem: string } {
  try {
    return { value: parseJsonInput(text, maxDepth + wrapping) };
  } catch (err) {
    if (!(err instanceof JsonInputError)) throw err;
    if (err.kind === 'depth') return { problem: `a record is nested deeper than ${maxDepth} levels (REGISTRY_JSON_MAX_DEPTH)` };
    return { problem: err.kind === 'syntax' ? `${NOT_JSON}: ${err.message}` : err.message };
  }
}

function readArray(path: string, maxDepth: number, wrapping: number): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const parsed = parseText(text, maxDepth, wrapping);
  if ('problem' in parsed) throw new InputError(`${path}${parsed.problem.startsWith(NOT_JSON) ? ' is ' : ': '}${parsed.problem}`);
  const { value } = parsed;
  if (!Array.isArray(value)) throw new InputError(`${path} must hold a JSON array (Hono's file format), not ${value === null ? 'null' : typeof value}`);
  return value;
}

/** `[i]` elements of a per-tenant file must be `{"tenant": "<id>", "<member>": [...]}`. */
function tenantGroups(path: string, member: 'devices' | 'credentials', maxDepth: number): { tenant: string; items: unknown[]; at: string }[] {
  return readArray(path, maxDepth, WRAPPING[member]).map((group, i) => {
    const at = `${basename(path)}[${i}]`;
    if (!isObject(group) || typeof group.tenant !== 'string' || !Array.isArray(group[member])) {
      throw new InputError(`${at} must be an object {"tenant": "<tenant id>", "${member}": [ … ]}`);
    }
    return { tenant: group.tenant, items: group[member] as unknown[], at };
  });
}

/** The tenants of a Hono `tenants.json`; a record may nest `maxDepth` levels (REGISTRY_JSON_MAX_DEPTH). */
export function readHonoTenants(path: string, maxDepth: number): TenantEntry[] {
  return readArray(path, maxDepth, WRAPPING.tenants).map((body, i) => ({ at: `${basename(path)}[${i}]`, body }));
}

interface MutableEntry extends DeviceEntry {
  readonly credentials: { at: string; record: unknown }[];
}

/**
 * The devices of `device-identities.json` with their records from `credentials.json` attached;
 * records of devices the identities file does not list follow as credentials-only entries.
 * A device without `data` is registered as `{"enabled": true}`, as Hono does. A record may nest
 * `maxDepth` levels (REGISTRY_JSON_MAX_DEPTH).
 */
export function readHonoDevices(devicesPath: string | undefined, credentialsPath: string | undefined, maxDepth: number): DeviceEntry[] {
  const entries: MutableEntry[] = [];
  const byDevice = new Map<string, MutableEntry>();
  for (const group of devicesPath === undefined ? [] : tenantGroups(devicesPath, 'devices', maxDepth)) {
    group.items.forEach((item, j) => {
      const device = isObject(item) ? item : {};
      const entry: MutableEntry = { at: `${group.at}.devices[${j}]`, tenant: group.tenant, deviceId: device['device-id'] as string, data: device.data ?? {}, credentials: [] };
      entries.push(entry);
      const key = `${group.tenant}\u0000${String(entry.deviceId)}`;
      if (!byDevice.has(key)) byDevice.set(key, entry);
    });
  }
  for (const group of credentialsPath === undefined ? [] : tenantGroups(credentialsPath, 'credentials', maxDepth)) {
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

/**
 * Streams an NDJSON source; tenant lines go to `onTenant` (awaited, so they exist before their
 * devices). A record may nest `maxDepth` levels (REGISTRY_JSON_MAX_DEPTH).
 */
export async function* readNdjson(
  input: Readable,
  name: string,
  maxDepth: number,
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
    const parsed = parseText(line, maxDepth, WRAPPING.ndjson);
    if ('problem' in parsed) {
      onBadLine(at, parsed.problem);
      continue;
    }
    const { value } = parsed;
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
