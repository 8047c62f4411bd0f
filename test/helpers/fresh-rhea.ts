/**
 * A private copy of rhea, loaded apart from the one the registry uses, and never patched.
 *
 * The registry changes rhea's prototypes when its AMQP server starts (installRheaPatches). Tests
 * run the registry in the test process, so a client on the same rhea module would run patched
 * code too, and a fault shared by both ends could hide. Test clients use this copy instead: its
 * modules are loaded into Node's module cache under rhea's own paths only for the moment of
 * loading, then the cache is put back as it was, so the registry keeps (or later loads) its own.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import type rheaModule from 'rhea';

const require = createRequire(import.meta.url);
const ROOT = `${dirname(require.resolve('rhea/package.json'))}${sep}`;

export interface FreshRhea {
  /** rhea's main export (the default container and its helpers). */
  readonly rhea: typeof rheaModule;
  /** A module of this copy, e.g. `rhea/lib/connection.js`. */
  load(id: string): unknown;
}

/** Loads a new, unpatched copy of rhea. */
export function loadFreshRhea(): FreshRhea {
  const isRhea = (key: string) => key.startsWith(ROOT);
  const saved = Object.entries(require.cache).filter(([key]) => isRhea(key));
  for (const [key] of saved) delete require.cache[key];
  try {
    const rhea = require('rhea') as typeof rheaModule;
    for (const file of readdirSync(join(ROOT, 'lib')).filter((f) => f.endsWith('.js'))) require(join(ROOT, 'lib', file));
    require(join(ROOT, 'package.json'));
    const modules = new Map(Object.entries(require.cache).filter(([key]) => isRhea(key)));
    const load = (id: string) => {
      const cached = modules.get(require.resolve(id));
      if (cached === undefined) throw new Error(`${id} is not part of rhea`);
      return cached.exports as unknown;
    };
    return { rhea, load };
  } finally {
    for (const key of Object.keys(require.cache)) if (isRhea(key)) delete require.cache[key];
    for (const [key, module] of saved) require.cache[key] = module;
  }
}

/** The test clients' copy, shared by every test file of a run. */
export const clientRhea: FreshRhea = loadFreshRhea();
