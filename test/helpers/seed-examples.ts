/**
 * Extracts the curl examples of the seed documents with the responses they show.
 * Fenced blocks (user guide) and 4-space indented blocks with `$ ` prompts (legacy page) are both read.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';

export interface SeedExample {
  /** The shell lines, verbatim (prompts removed). */
  readonly script: string;
  readonly method: string;
  readonly path: string;
  readonly expected: { status: number; location?: string; body?: unknown };
}

function codeBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.startsWith('```')) {
      const body: string[] = [];
      for (i++; i < lines.length && !(lines[i] ?? '').startsWith('```'); i++) body.push(lines[i] ?? '');
      blocks.push(body.join('\n'));
    } else if (line.startsWith('    ') && (lines[i - 1] ?? '').trim() === '') {
      const body: string[] = [];
      for (; i < lines.length && ((lines[i] ?? '').startsWith('    ') || (lines[i] ?? '').trim() === ''); i++) body.push((lines[i] ?? '').slice(4));
      i--;
      blocks.push(body.join('\n').trim());
    }
  }
  return blocks.map((b) => b.trim()).filter((b) => b !== '');
}

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

/** Every curl example of a seed document, in document order. */
export function seedExamples(file: string): SeedExample[] {
  const blocks = codeBlocks(readFileSync(file, 'utf8'));
  const examples: SeedExample[] = [];
  blocks.forEach((block, index) => {
    const lines = block.split('\n').map((l) => l.replace(/^\$ /, ''));
    if (!lines.some((l) => l.includes('curl '))) return;
    const httpAt = lines.findIndex((l) => l.startsWith('HTTP/1.1'));
    const script = (httpAt === -1 ? lines : lines.slice(0, httpAt)).join('\n');
    const responseText = httpAt === -1 ? blocks[index + 1] : lines.slice(httpAt).join('\n');
    if (responseText === undefined || !responseText.startsWith('HTTP/1.1')) throw new Error(`no response shown for: ${script}`);
    const method = /-X (\w+)/.exec(script)?.[1] ?? 'GET';
    const path = /http:\/\/localhost:28080(\S+)/.exec(script)?.[1] ?? '?';
    examples.push({ script, method, path, expected: parseResponse(responseText) });
  });
  return examples;
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
