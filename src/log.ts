/**
 * Logger factory: JSON lines (pino), or human-readable lines (pino-pretty) for a terminal; one
 * child logger per layer, secrets redacted by path before either format sees them.
 * Nothing else in the registry creates a logger from scratch.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';
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

/**
 * Creates the root logger: JSON lines, or with `pretty` coloured one-line summaries (the caller
 * decides, e.g. by whether stdout is a terminal). `destination` lets tests capture every line.
 */
export function createLogger(level: LogLevel, destination?: DestinationStream, format: 'json' | 'pretty' = 'json'): Logger {
  const options = {
    level,
    base: { service: 'device-registry' },
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (format === 'pretty') {
    // Synchronous, in-process formatting of the already redacted JSON line (no worker thread).
    const stream = pretty({ colorize: destination === undefined, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss.l', sync: true, ...(destination === undefined ? {} : { destination }) });
    return pino(options, stream);
  }
  // One write(2) per line, at once: pino's default writes each line through libuv's thread pool,
  // a hand-off and a wake-up per line that cost more than the write (bench/README.md, issue 15).
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}

/**
 * A child of `log` that skips redaction: only for lines whose fields are fixed and never secret,
 * i.e. the HTTP access line (request id, method, path without query, operation, status, duration).
 * Redaction walks every logged object and costs about 15 µs a line, three times the rest of the
 * line; at one line per request that was a tenth of the CPU of an HTTP read.
 */
export function unredacted(log: Logger): Logger {
  return log.child({}, { redact: { paths: [] } });
}
