/**
 * The registry's changes to rhea, applied by one explicit call at start-up (installRheaPatches,
 * from startAmqpServer), never as a side effect of an import. rhea is pinned to one exact
 * version (package.json); every patch first checks that what it changes is still there with the
 * shape it expects, and the start fails naming the rhea version and the patch when not.
 */
import { createRequire } from 'node:module';
import { dispositionsPatch } from './dispositions.js';
import { framingPatch, slicingPatch } from './input.js';
import { sessionLimitPatch, messageSizePatch } from './limits.js';
import { correlationPatch } from './correlation.js';
import { heartbeatPatch, writeBatchingPatch } from './output.js';
import { leanDecoderPatch } from './lean-decoder.js';
import { quietLogPatch } from './quiet-log.js';
import { saslPatch } from './sasl.js';
import type { RheaLib, RheaPatch } from './lib.js';

export type { RheaLib } from './lib.js';

/** In the order they are applied. */
export const RHEA_PATCHES: readonly RheaPatch[] = [
  heartbeatPatch, writeBatchingPatch, framingPatch, slicingPatch, sessionLimitPatch, messageSizePatch, dispositionsPatch, saslPatch, leanDecoderPatch, correlationPatch, quietLogPatch,
];

/** A rhea that does not look the way a patch needs it to. */
export class RheaPatchError extends Error {
  constructor(version: string, problems: readonly string[]) {
    super(`rhea ${version} cannot be patched (package.json pins the version src/amqp/rhea-patches was written for):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'RheaPatchError';
  }
}

/** rhea's modules, loaded with `load` (a `require`). */
export function loadRheaLib(load: (id: string) => unknown): RheaLib {
  const lib = (file: string) => load(`rhea/lib/${file}`) as never;
  return {
    version: (load('rhea/package.json') as { version: string }).version,
    Connection: lib('connection.js'),
    Session: lib('session.js'),
    Transport: lib('transport.js'),
    sasl: lib('sasl.js'),
    frames: lib('frames.js'),
    message: lib('message.js'),
    types: lib('types.js'),
    log: lib('log.js'),
  };
}

const INSTALLED = Symbol.for('device-registry.rhea-patches');

/** Every problem of every patch with this rhea (empty when all apply). */
export function rheaPatchProblems(lib: RheaLib): string[] {
  return RHEA_PATCHES.flatMap((patch) => patch.check(lib).map((problem) => `${patch.name}: ${problem}`));
}

/**
 * Applies every patch to rhea (the registry's copy unless `lib` is given), once: a second call is
 * a no-op. Throws RheaPatchError, and changes nothing, when any patch no longer fits.
 */
export function installRheaPatches(lib: RheaLib = loadRheaLib(createRequire(import.meta.url))): void {
  const proto = lib.Connection.prototype as Record<symbol, unknown>;
  if (proto[INSTALLED] !== undefined) return;
  const problems = rheaPatchProblems(lib);
  if (problems.length > 0) throw new RheaPatchError(lib.version, problems);
  for (const patch of RHEA_PATCHES) patch.apply(lib);
  proto[INSTALLED] = lib.version;
}
