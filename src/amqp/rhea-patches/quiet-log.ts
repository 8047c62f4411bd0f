/**
 * Logging that is off costs nothing. rhea calls its `debug` loggers (lib/log.js: rhea:frames,
 * rhea:events, rhea:io …) several times per frame; a `debug` logger that is off still collects its
 * arguments into an array on every call before it looks whether it is on (about 4 % of what the
 * registry allocated per lookup). The loggers that are off when the patches are installed (DEBUG
 * unset or naming other namespaces, read once by `debug` at start-up) are replaced by a function
 * that does nothing; those DEBUG turns on stay as they are.
 */
import type { RheaPatch } from './lib.js';

interface DebugLogger {
  (...args: unknown[]): void;
  readonly enabled?: boolean;
  readonly namespace?: string;
}

const isLogger = (value: unknown): value is DebugLogger => typeof value === 'function' && typeof (value as DebugLogger).namespace === 'string';

function quiet(): void {
  // Off: nothing to collect or format.
}

export const quietLogPatch: RheaPatch = {
  name: 'quiet loggers (log.js)',
  check: (lib) => {
    const loggers = Object.entries(lib.log);
    if (loggers.length === 0) return ['log.js exports no loggers'];
    return loggers.filter(([, logger]) => !isLogger(logger)).map(([name]) => `log.${name} is not a debug logger`);
  },
  apply(lib) {
    for (const [name, logger] of Object.entries(lib.log)) {
      if (isLogger(logger) && logger.enabled !== true) lib.log[name] = quiet;
    }
  },
};
