/**
 * The operator console (sources in console/, built into dist/console by `make build`), served by
 * the registry itself at /console. Its page runs under a strict Content-Security-Policy: only its
 * own files, no inline script or style, no framing, no <base>, forms only to this origin.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawBody } from './route.js';

/** Next to both src/http and dist/http: the build output at the repository's (or image's) root. */
const CONSOLE_DIR = fileURLToPath(new URL('../../dist/console/', import.meta.url));

/** The policy of every console file (docs/console.md "Security"). */
export const CONSOLE_POLICY = "default-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The console's files, read once: a name of dist/console → its body, or undefined (unknown name,
 * or a registry whose console was not built).
 */
export function createConsoleAssets(dir: string = CONSOLE_DIR): (name: string) => RawBody | undefined {
  const files = new Map<string, RawBody>();
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      // The file names are fixed (app.js, app.css): a new build must be fetched again, never taken from a cache unasked.
      if (type !== undefined) files.set(name, { type, data: readFileSync(`${dir}/${name}`), cache: 'no-cache', policy: CONSOLE_POLICY });
    }
  }
  return (name) => files.get(name);
}
