/**
 * The leaf rules of the device search index (docs/management-v1.md "How search is indexed"):
 * which values of a device, as the /v1 face shows it, are indexed, and how an index entry is
 * spelled. The Lua function that maintains the index (store/lua/device-index.ts) applies the same
 * rules; a test runs both on the same records. The search engine uses the ranges built here.
 *
 * An entry is `<JSON pointer>\0<typed value>\0<device id>` with a typed value `s:<string>`,
 * `b:true`/`b:false` or `n:<integer>`; the elements of an array of scalars are entered under the
 * array's pointer. Floats and nulls are not entered (a filter on them is checked on the records).
 * A device with a value the index cannot hold (see INDEX_LIMITS, arrays of objects, NUL
 * characters) gets no entries and is listed as unindexed instead: searches check it one by one.
 */
import { V1_DEVICE_MEMBERS, isJsonObject, type JsonObject } from './device.js';
import { hasWildcard, type Filter, type FilterValue } from './search.js';

/** Bounds of what one device puts into the index. */
export const INDEX_LIMITS = Object.freeze({
  /** Most entries (scalar leaves) of one device. */
  leaves: 64,
  /** Longest string value in bytes. */
  valueBytes: 256,
  /** Deepest pointer, in reference tokens (`/ext/a/b` is 3). */
  depth: 8,
  /** Longest pointer in bytes. */
  pointerBytes: 256,
});

/**
 * Pointers that are not indexed: values nearly every device has and few searches ask for (time
 * stamps, who changed it last) would cost as much memory as the devices themselves.
 */
export const UNINDEXED_POINTERS: readonly string[] = ['/status/created', '/status/updated', '/status/last-user'];

/** The largest integer entered exactly (2^53). */
const SAFE = 2 ** 53;

/** The entries of one device. */
export interface DeviceEntries {
  /** Index members, without duplicates. */
  readonly members: readonly string[];
  /** False: the device is listed as unindexed (and has no members). */
  readonly complete: boolean;
  /** The gateways its `via` names (string or array form). */
  readonly via: readonly string[];
}

/** A reference token escaped for a pointer (RFC 6901 §3). */
export const escapeToken = (token: string): string => token.replaceAll('~', '~0').replaceAll('/', '~1');

/** The pointer of reference tokens. */
export const pointerOf = (path: readonly string[]): string => path.map((t) => `/${escapeToken(t)}`).join('');

/** The typed value of a scalar as the index spells it; undefined for what is not entered. */
export function typedValue(value: unknown): string | undefined {
  if (typeof value === 'string') return `s:${value}`;
  if (typeof value === 'boolean') return value ? 'b:true' : 'b:false';
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= SAFE) return `n:${value === 0 ? 0 : value}`;
  return undefined;
}

/** Walks one value of the /v1 view; `false` when the device cannot be indexed. */
function walk(value: unknown, pointer: string, depth: number, out: Set<string>): boolean {
  if (Array.isArray(value)) return value.every((element) => element === null || typeof element !== 'object') && value.every((e) => leaf(e, pointer, out));
  if (!isJsonObject(value)) return leaf(value, pointer, out);
  if (depth >= INDEX_LIMITS.depth && Object.keys(value).length > 0) return false;
  return Object.keys(value).every((key) => walk(value[key], `${pointer}/${escapeToken(key)}`, depth + 1, out));
}

function leaf(value: unknown, pointer: string, out: Set<string>): boolean {
  const typed = typedValue(value);
  if (typed === undefined || UNINDEXED_POINTERS.includes(pointer)) return true;
  if (typed.includes('\0') || pointer.includes('\0') || Buffer.byteLength(typed) - 2 > INDEX_LIMITS.valueBytes || Buffer.byteLength(pointer) > INDEX_LIMITS.pointerBytes) return false;
  out.add(`${pointer}\0${typed}`);
  return out.size <= INDEX_LIMITS.leaves;
}

/**
 * The index entries of a stored device record, by the /v1 view's pointers: members the /v1 schema
 * knows under their own name, any other top-level member under `/ext/<name>` unless `ext` has a
 * member of that name; a non-object `ext` is itself such a member (`/ext/ext`).
 */
export function deviceIndexEntries(deviceId: string, record: JsonObject): DeviceEntries {
  const leaves = new Set<string>();
  const ext = record.ext;
  const extObject = isJsonObject(ext) || (Array.isArray(ext) && ext.length === 0);
  let complete = true;
  for (const [key, value] of Object.entries(record)) {
    let pointer: string | undefined = `/ext/${escapeToken(key)}`;
    if (key === 'ext') pointer = extObject ? '/ext' : '/ext/ext';
    else if ((V1_DEVICE_MEMBERS as readonly string[]).includes(key)) pointer = `/${escapeToken(key)}`;
    else if (isJsonObject(ext) && Object.hasOwn(ext, key)) pointer = undefined;
    if (pointer !== undefined) complete = walk(value, pointer, pointer.split('/').length - 1, leaves) && complete;
  }
  const via = record.via;
  const gateways = typeof via === 'string' ? [via] : Array.isArray(via) ? via.filter((g): g is string => typeof g === 'string') : [];
  const members = complete ? [...leaves].map((l) => `${l}\0${deviceId}`) : [];
  return { members, complete, via: gateways };
}

/** A lexicographic range of the field index, as ZRANGE BYLEX takes it (binary: 0xFF ends a prefix). */
export interface FieldRange {
  readonly min: Buffer;
  readonly max: Buffer;
  /** The length in bytes of the member prefix before the device id (exact ranges only). */
  readonly prefixBytes: number | undefined;
}

/**
 * Where in the field index the devices a filter may match are: exact (every member of the range
 * matches, in id order), a prefix (a string before the first wildcard: candidates to check), or
 * undefined when the index cannot help (an unindexed pointer, a value that is not entered, a
 * pattern starting with a wildcard, a pointer with an array index).
 */
export function filterRange(filter: Filter): { range: FieldRange; exact: boolean } | undefined {
  const pointer = pointerOf(filter.path);
  if (filter.path.length === 0 || filter.path.some((t) => /^(\d+|-)$/.test(t)) || UNINDEXED_POINTERS.includes(pointer) || filter.path[0] === 'id') return undefined;
  const exact = !hasWildcard(filter.value);
  if (exact) {
    const typed = typedValue(filter.value);
    if (typed === undefined) return undefined;
    const prefix = Buffer.from(`${pointer}\0${typed}\0`);
    return { range: { min: Buffer.concat([Buffer.from('['), prefix]), max: Buffer.concat([Buffer.from('('), prefix, Buffer.from([0xff])]), prefixBytes: prefix.length }, exact };
  }
  const literal = /^[^*?]*/.exec(filter.value as string)?.[0] ?? '';
  const prefix = Buffer.from(`${pointer}\0s:${literal}`);
  return { range: { min: Buffer.concat([Buffer.from('['), prefix]), max: Buffer.concat([Buffer.from('('), prefix, Buffer.from([0xff])]), prefixBytes: undefined }, exact };
}

/** The range of every entry under a pointer (e.g. all `memberOf` entries). */
export function pointerRange(path: readonly string[]): FieldRange {
  const prefix = Buffer.from(`${pointerOf(path)}\0`);
  return { min: Buffer.concat([Buffer.from('['), prefix]), max: Buffer.concat([Buffer.from('('), prefix, Buffer.from([0xff])]), prefixBytes: undefined };
}

/** The device id of an index member. */
export const memberDevice = (member: string): string => member.slice(member.lastIndexOf('\0') + 1);

/** Whether a filter value can match an entered leaf (used to tell exact ranges from checks). */
export const isEntered = (value: FilterValue): boolean => typedValue(value) !== undefined;
