/**
 * Logger factory: JSON lines (pino), one child logger per layer, secrets redacted by path.
 * Nothing else in the registry creates a logger from scratch.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

/** Paths pino blanks out wherever they appear in a log object. */
export const REDACTED_PATHS: readonly string[] = [
  'password',
  'token',
  'authorization',
  'req.headers.authorization',
  'headers.authorization',
  '*.password',
  '*.token',
  '*["pwd-plain"]',
  '*["pwd-hash"]',
  '*.key',
  '*.secrets',
  'secrets',
];

/** Creates the root logger. `destination` lets tests capture every line. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'device-registry' },
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
