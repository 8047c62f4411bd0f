/**
 * X.500 distinguished names as strings (RFC 4514 / RFC 2253, with the RFC 1779 leniencies
 * Java's `X500Principal` accepts): parsing, RFC 2253 rendering and a canonical comparison key
 * modelled on `X500Principal.getName(CANONICAL)`, which is what Hono compares subject DNs with.
 *
 * Pure module: no I/O.
 */
import { Buffer, isUtf8 } from 'node:buffer';

/** One attribute type and value assertion (AVA) of a relative distinguished name. */
export interface DnAttribute {
  /** Upper-case keyword (`CN`, `O`, …), or the dotted OID when no keyword is known for it. */
  readonly type: string;
  /** The unescaped value; for a `#`-hex (BER) value, its lower-case hex digits without the `#`. */
  readonly value: string;
  /** Whether the value was given as `#` followed by the hex of its BER encoding. */
  readonly hex: boolean;
}

/** A relative distinguished name: one or more AVAs (joined by `+` in the string form). */
export type Rdn = readonly DnAttribute[];

/** A parsed distinguished name; `rdns` are in string order (most specific first, as in RFC 4514). */
export interface ParsedDn {
  readonly rdns: readonly Rdn[];
}

/** Thrown when a string is not a distinguished name; the message says what is wrong and where. */
export class DnSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnSyntaxError';
  }
}

/** Dotted OIDs that are written as keywords. */
const OID_KEYWORDS: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SURNAME',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'GIVENNAME',
  '2.5.4.43': 'INITIALS',
  '2.5.4.44': 'GENERATION',
  '2.5.4.46': 'DNQUALIFIER',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'EMAILADDRESS',
};

/** Alternative keywords (Java, RFC 4519 and OpenSSL short names) mapped to the ones above. */
const KEYWORD_ALIASES: Readonly<Record<string, string>> = {
  S: 'ST',
  SN: 'SURNAME',
  GN: 'GIVENNAME',
  TITLE: 'T',
  DNQ: 'DNQUALIFIER',
  EMAIL: 'EMAILADDRESS',
  E: 'EMAILADDRESS',
};

/** Characters that may follow a backslash in a value (besides two hex digits). */
const ESCAPABLE = '"+,;<>\\ #=';
/** Characters escaped anywhere in a value by {@link toRfc2253} (RFC 4514 section 2.4). */
const RFC2253_SPECIALS = /[\\,+"<>;]/;
/** Characters escaped anywhere in a value of a {@link dnKey} key. */
const KEY_SPECIALS = /[\\,+"<>;=]/;

const isWs = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/**
 * Maps a raw attribute type to its canonical form: an upper-case keyword, or a dotted OID
 * without leading zeros (replaced by its keyword when known). Returns undefined when invalid.
 */
function canonicalType(raw: string): string | undefined {
  const hasPrefix = /^oid\./i.test(raw);
  const oid = hasPrefix ? raw.slice(4) : raw;
  if (hasPrefix || /^\d/.test(oid)) {
    if (!/^\d+(\.\d+)+$/.test(oid)) return undefined;
    const normalised = oid.split('.').map((arc) => arc.replace(/^0+(?=\d)/, '')).join('.');
    return OID_KEYWORDS[normalised] ?? normalised;
  }
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(raw)) return undefined;
  const upper = raw.toUpperCase();
  return KEYWORD_ALIASES[upper] ?? upper;
}

/** Recursive-descent parser over one DN string. */
class DnParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parse(): ParsedDn {
    if (this.text.trim() === '') this.fail('empty distinguished name');
    const rdns: Rdn[] = [this.parseRdn()];
    for (;;) {
      this.skipWs();
      const c = this.peek();
      if (c === undefined) return { rdns };
      if (c !== ',' && c !== ';') this.fail(`unexpected character "${c}"`);
      this.pos++;
      rdns.push(this.parseRdn());
    }
  }

  private fail(reason: string): never {
    throw new DnSyntaxError(`${reason} (at position ${this.pos})`);
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private skipWs(): void {
    while (isWs(this.peek())) this.pos++;
  }

  private parseRdn(): Rdn {
    const avas: DnAttribute[] = [this.parseAva()];
    this.skipWs();
    while (this.peek() === '+') {
      this.pos++;
      avas.push(this.parseAva());
      this.skipWs();
    }
    return avas;
  }

  private parseAva(): DnAttribute {
    this.skipWs();
    const type = this.parseType();
    this.skipWs();
    if (this.peek() !== '=') this.fail(`expected "=" after attribute type "${type}"`);
    this.pos++;
    this.skipWs();
    const c = this.peek();
    if (c === '#') return { type, value: this.parseHexValue(), hex: true };
    const value = c === '"' ? this.parseQuotedValue() : this.parseStringValue();
    return { type, value, hex: false };
  }

  private parseType(): string {
    const match = /[A-Za-z0-9.-]*/y;
    match.lastIndex = this.pos;
    const raw = match.exec(this.text)?.[0] ?? '';
    if (raw === '') this.fail('expected an attribute type');
    const type = canonicalType(raw);
    if (type === undefined) this.fail(`invalid attribute type "${raw}"`);
    this.pos += raw.length;
    return type;
  }

  private parseHexValue(): string {
    this.pos++; // '#'
    const match = /[0-9A-Fa-f]*/y;
    match.lastIndex = this.pos;
    const hex = match.exec(this.text)?.[0] ?? '';
    if (hex === '' || hex.length % 2 !== 0) this.fail('expected an even number of hex digits after "#"');
    this.pos += hex.length;
    this.skipWs();
    return hex.toLowerCase();
  }

  private parseQuotedValue(): string {
    this.pos++; // opening quote
    let value = '';
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('unterminated quoted value');
      if (c === '"') break;
      if (c === '\\') {
        value += this.parseEscapes();
      } else {
        value += c;
        this.pos++;
      }
    }
    this.pos++; // closing quote
    return value;
  }

  /** Reads an unquoted value up to the next unescaped separator, dropping trailing unescaped spaces. */
  private parseStringValue(): string {
    let value = '';
    let significant = 0;
    for (let c = this.peek(); c !== undefined && c !== ',' && c !== ';' && c !== '+'; c = this.peek()) {
      if (c === '\\') {
        value += this.parseEscapes();
        significant = value.length;
        continue;
      }
      if (c === '"') this.fail('unescaped quote in value');
      value += c;
      this.pos++;
      if (!isWs(c)) significant = value.length;
    }
    return value.slice(0, significant);
  }

  /** Reads one `\c` escape, or a run of `\XX` hex escapes decoded together as UTF-8. */
  private parseEscapes(): string {
    const bytes: number[] = [];
    while (this.peek() === '\\') {
      const pair = this.text.slice(this.pos + 1, this.pos + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(pair)) {
        bytes.push(Number.parseInt(pair, 16));
        this.pos += 3;
        continue;
      }
      if (bytes.length > 0) break;
      const next = this.text[this.pos + 1];
      if (next === undefined) this.fail('dangling backslash at end of value');
      if (!ESCAPABLE.includes(next)) this.fail(`invalid escape sequence "\\${next}"`);
      this.pos += 2;
      return next;
    }
    const buffer = Buffer.from(bytes);
    if (!isUtf8(buffer)) this.fail('hex escapes do not form valid UTF-8');
    return buffer.toString('utf8');
  }
}

/** Escapes a value: the given specials everywhere, plus a leading `#` or space and a trailing space. */
function escapeValue(value: string, specials: RegExp): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    const edge = (i === 0 && (c === ' ' || c === '#')) || (i === value.length - 1 && c === ' ');
    out += c === '\0' ? '\\00' : edge || specials.test(c) ? `\\${c}` : c;
  }
  return out;
}

function avaToString(type: string, value: string, hex: boolean, specials: RegExp): string {
  return `${type}=${hex ? `#${value}` : escapeValue(value, specials)}`;
}

/** Case and space folding of a value for comparison (cf. Java's CANONICAL form). */
function foldValue(value: string): string {
  return value.normalize('NFC').toUpperCase().toLowerCase().trim().replace(/\s+/g, ' ').normalize('NFC');
}

/**
 * Parses an RFC 4514 / RFC 2253 distinguished name (`;` is accepted as RDN separator and
 * quoted values are accepted, as in RFC 1779).
 *
 * @throws DnSyntaxError if `text` is empty, whitespace-only or otherwise not a DN.
 */
export function parseDn(text: string): ParsedDn {
  return new DnParser(text).parse();
}

/**
 * Canonical comparison key: two DNs denote the same name iff their keys are equal. Keywords
 * and OIDs are unified, values are unescaped, trimmed, space-collapsed, case-folded and
 * NFC-normalised, and the AVAs of a multi-valued RDN are sorted. RDN order is significant.
 *
 * @throws DnSyntaxError if `text` is not a DN.
 */
export function dnKey(text: string): string {
  return parseDn(text)
    .rdns.map((rdn) =>
      rdn
        .map((ava) => avaToString(ava.type, ava.hex ? ava.value : foldValue(ava.value), ava.hex, KEY_SPECIALS))
        .sort()
        .join('+'),
    )
    .join(',');
}

/**
 * Renders a DN like Java's `X500Principal.getName(RFC2253)`, e.g. `CN=device-1,O=ACME Corporation`:
 * no spaces around separators, upper-case keywords (known OIDs become keywords), values keep
 * their case and inner spaces and are re-escaped per RFC 4514.
 *
 * @throws DnSyntaxError if `text` is not a DN.
 */
export function toRfc2253(text: string): string {
  return parseDn(text)
    .rdns.map((rdn) => rdn.map((ava) => avaToString(ava.type, ava.value, ava.hex, RFC2253_SPECIALS)).join('+'))
    .join(',');
}

/** Whether both strings are DNs denoting the same name (see {@link dnKey}). Never throws. */
export function dnEquals(a: string, b: string): boolean {
  try {
    return dnKey(a) === dnKey(b);
  } catch {
    return false;
  }
}
