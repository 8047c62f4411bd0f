/**
 * The curl examples of Hono's registry documents with the responses they show, kept as the
 * project's own test data in test/fixtures/seed-examples/ (one YAML list per document, each entry
 * the request and the response verbatim).
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';

/** The documents whose examples the fixtures carry (file names without `.yaml`). */
export const SEED_DOCUMENTS = ['user-guide', 'rest-resources-legacy'] as const;

export interface SeedExample {
  /** The shell lines, verbatim (prompts removed). */
  readonly script: string;
  readonly method: string;
  readonly path: string;
  readonly expected: { status: number; location?: string; body?: unknown };
}

const FIXTURES = new URL('../fixtures/seed-examples/', import.meta.url);

function parseResponse(text: string): SeedExample['expected'] {
  const lines = text.split('\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1]);
  let location: string | undefined;
  let i = 1;
  for (; i < lines.length && !(lines[i] ?? '').trim().startsWith('{'); i++) {
    const match = /^Location:\s*(\S+)/.exec(lines[i] ?? '');
    if (match) location = match[1];
  }
  const rest = lines.slice(i).join('\n').trim();
  return { status, ...(location === undefined ? {} : { location }), ...(rest === '' ? {} : { body: JSON.parse(rest) as unknown }) };
}

function isExample(entry: unknown): entry is { request: string; response: string } {
  const e = entry as { request?: unknown; response?: unknown } | null;
  return typeof e?.request === 'string' && typeof e.response === 'string' && e.response.startsWith('HTTP/1.1 ');
}

/** Every example of a seed document, in document order (later examples build on earlier ones). */
export function seedExamples(document: (typeof SEED_DOCUMENTS)[number]): SeedExample[] {
  const entries: unknown = parse(readFileSync(new URL(`${document}.yaml`, FIXTURES), 'utf8'));
  if (!Array.isArray(entries)) throw new Error(`${document}.yaml is not a list of examples`);
  return entries.map((entry, index) => {
    if (!isExample(entry)) throw new Error(`${document}.yaml entry ${index}: needs a request and a response starting with HTTP/1.1`);
    const script = entry.request;
    const method = /-X (\w+)/.exec(script)?.[1] ?? 'GET';
    const path = /http:\/\/localhost:28080(\S+)/.exec(script)?.[1] ?? '?';
    return { script, method, path, expected: parseResponse(entry.response) };
  });
}

/**
 * True when `actual` contains everything `expected` shows. Objects may have more members; arrays
 * must have the same length; bcrypt hashes (random salt) match any `$2a$` hash of the same cost.
 */
export function containsShown(actual: unknown, expected: unknown): boolean {
  if (typeof expected === 'string' && /^\$2a\$\d\d\$/.test(expected)) {
    return typeof actual === 'string' && actual.startsWith(expected.slice(0, 7)) && actual.length === expected.length;
  }
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => containsShown(actual[i], e));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(expected).every(([k, v]) => containsShown((actual as Record<string, unknown>)[k], v));
  }
  return actual === expected;
}

/** Asserts that a curl run answered with the status, Location and JSON body the document shows. */
export function expectAsShown(actual: { status: number; location?: string; body?: unknown }, expected: SeedExample['expected']): void {
  expect(actual.status, JSON.stringify(actual.body)).to.equal(expected.status);
  expect(actual.location).to.equal(expected.location);
  if (expected.body !== undefined) {
    expect(containsShown(actual.body, expected.body), `got ${JSON.stringify(actual.body)}`).to.equal(true);
  } else {
    expect(actual.body).to.equal(undefined);
  }
}
