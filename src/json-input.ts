/**
 * Reading JSON that comes from outside: HTTP and AMQP bodies, import files. JSON.parse accepts
 * two things the registry cannot handle, so every face reads JSON through `parseJsonInput`:
 * - Any depth. JSON.parse itself is iterative, but JSON.stringify, ajv and the services recurse,
 *   and overflow the stack at a few thousand levels. A linear scan of the text bounds the depth
 *   before anything recursive runs (REGISTRY_JSON_MAX_DEPTH, docs/reliability.md).
 * - Numbers a 64-bit float cannot hold: `1e999999` parses to Infinity (stored as `null`), a
 *   30-digit integer to a rounded value. A number whose text the stored value does not give back
 *   is refused, naming where it is, instead of being changed silently.
 */

export type JsonProblemKind = 'syntax' | 'depth' | 'number';

/** The text is not JSON, is nested too deeply, or holds a number that cannot be stored exactly. */
export class JsonInputError extends Error {
  constructor(
    readonly kind: JsonProblemKind,
    message: string,
  ) {
    super(message);
    this.name = 'JsonInputError';
  }
}

/** Default of REGISTRY_JSON_MAX_DEPTH: Hono's shapes need at most 5 levels; custom data gets the rest. */
export const DEFAULT_JSON_MAX_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const MINUS = 0x2d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/**
 * The parsed value of `text`. JsonInputError: `depth` when containers nest deeper than
 * `maxDepth` (checked before parsing), `syntax` when it is not JSON, `number` when a number
 * cannot be stored exactly.
 */
export function parseJsonInput(text: string, maxDepth: number): unknown {
  const inexact = scan(text, maxDepth);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new JsonInputError('syntax', jsonSyntaxProblem(err));
  }
  if (inexact !== undefined) {
    throw new JsonInputError('number', `the number at ${inexact} cannot be stored exactly (it is out of range, or has more digits than a 64-bit float keeps; send it as a string)`);
  }
  return value;
}

/** JSON.parse's complaint without the snippet of input V8 may quote (it could be a password). */
export function jsonSyntaxProblem(err: unknown): string {
  return String((err as Error).message).replace(/,\s*(\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '');
}

/** Where the scan is, per open container: array or object, element index, current key's text. */
class Levels {
  readonly isArray: Uint8Array;
  readonly index: Uint32Array;
  readonly keyStart: Int32Array;
  readonly keyEnd: Int32Array;

  constructor(maxDepth: number) {
    this.isArray = new Uint8Array(maxDepth + 1);
    this.index = new Uint32Array(maxDepth + 1);
    this.keyStart = new Int32Array(maxDepth + 1);
    this.keyEnd = new Int32Array(maxDepth + 1);
  }

  /** The JSON-pointer-like path (`ext/list/3`) of the value at `depth`, as the schema errors spell it. */
  path(text: string, depth: number): string {
    if (depth === 0) return 'the top level';
    const parts: string[] = [];
    for (let d = 1; d <= depth; d++) {
      if (this.isArray[d] === 1) parts.push(String(this.index[d]));
      else parts.push(keyText(text.slice(this.keyStart[d], this.keyEnd[d])).replace(/~/g, '~0').replace(/\//g, '~1'));
    }
    return `"${parts.join('/')}"`;
  }
}

function keyText(quoted: string): string {
  try {
    return String(JSON.parse(quoted));
  } catch {
    return '?';
  }
}

/**
 * One pass over the text, outside strings, keeping nothing but the depth: throws `depth` as soon
 * as containers nest deeper than `maxDepth`; answers the path of the first number that cannot be
 * stored exactly, if any (found by a second pass that tracks where it is). On text that is not
 * JSON the answer means nothing: JSON.parse reports that first.
 */
function scan(text: string, maxDepth: number): string | undefined {
  let depth = 0;
  let inexact = -1;
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      continue;
    }
    if (c === MINUS || isDigit(c)) {
      const end = numberEnd(text, i);
      if (inexact < 0 && !storable(text, i, end)) inexact = i;
      i = end;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) throw new JsonInputError('depth', `JSON nested deeper than ${maxDepth} levels (REGISTRY_JSON_MAX_DEPTH)`);
    } else if ((c === CLOSE_OBJECT || c === CLOSE_ARRAY) && depth > 0) depth--;
    i++;
  }
  return inexact < 0 ? undefined : pathAt(text, inexact, maxDepth);
}

/** The path of the value starting at `offset` (the text is known to nest at most `maxDepth` levels). */
function pathAt(text: string, offset: number, maxDepth: number): string {
  const levels = new Levels(maxDepth);
  let depth = 0;
  let expectKey = false;
  let i = 0;
  while (i < offset) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (expectKey) {
        levels.keyStart[depth] = i;
        levels.keyEnd[depth] = end;
        expectKey = false;
      }
      i = end;
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth++;
      levels.isArray[depth] = c === OPEN_ARRAY ? 1 : 0;
      levels.index[depth] = 0;
      expectKey = c === OPEN_OBJECT;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth > 0) depth--;
      expectKey = false;
    } else if (c === COMMA) {
      if (levels.isArray[depth] === 1) levels.index[depth] = (levels.index[depth] ?? 0) + 1;
      else expectKey = true;
    } else if (c === MINUS || isDigit(c)) {
      i = numberEnd(text, i);
      continue;
    }
    i++;
  }
  return levels.path(text, depth);
}

/** The index after the closing quote of the string starting at `start` (the text's end if none). */
function stringEnd(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The index after the number token starting at `start`: digits, `.`, `e`, `E`, `+`, `-`. */
function numberEnd(text: string, start: number): number {
  let end = start + 1;
  for (; end < text.length; end++) {
    const c = text.charCodeAt(end);
    if (!(isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === MINUS)) break;
  }
  return end;
}

/** A JSON number token is storable when the float it parses to prints as the same decimal value. */
function storable(text: string, start: number, end: number): boolean {
  // Up to 15 significant digits without an exponent always survive a 64-bit float (DBL_DIG).
  if (end - start <= 15 && !hasExponent(text, start, end)) return true;
  const token = text.slice(start, end);
  const value = Number(token);
  return Number.isFinite(value) && decimal(token) === decimal(String(value));
}

function hasExponent(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if ((text.charCodeAt(i) | 0x20) === 0x65) return true;
  return false;
}

/** The decimal value of a number's text, normalised: `-12345e-2` for `-123.450`, `0` for any zero. */
function decimal(text: string): string {
  const negative = text.startsWith('-');
  const e = text.search(/[eE]/);
  const mantissa = text.slice(negative ? 1 : 0, e < 0 ? text.length : e);
  let exponent = e < 0 ? 0 : Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  if (dot >= 0) exponent -= mantissa.length - dot - 1;
  const digits = (dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1)).replace(/^0+/, '');
  const significant = digits.replace(/0+$/, '');
  if (significant === '') return '0';
  return `${negative ? '-' : ''}${significant}e${exponent + digits.length - significant.length}`;
}
