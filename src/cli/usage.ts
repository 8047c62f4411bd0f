/**
 * Usage errors of the command line: one line that says what is wrong and where the options are
 * described, and exit status 2. Node's parseArgs errors (an unknown option, a missing value) become
 * such lines instead of a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Unusable arguments: `device-registry <command>: <message> (see "device-registry <command> --help")`. */
export class UsageError extends Error {
  /** `command`: the command as typed (`token create`), or '' for the program itself. */
  constructor(readonly command: string, message: string) {
    super(message);
  }

  /** The one line printed on stderr. */
  line(): string {
    const program = this.command === '' ? 'device-registry' : `device-registry ${this.command}`;
    return `${program}: ${this.message} (see "${program} --help")`;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>>;

/** The option a parseArgs message names: `'--dir <value>'` → `--dir`. */
function optionIn(message: string): string {
  return /'(-{1,2}[^'\s]*)/.exec(message)?.[1] ?? 'an option';
}

/** A one-line description of a parseArgs error, or undefined for an error of another kind. */
function describeParseError(err: unknown): string | undefined {
  const { code, message = '' } = err as { code?: unknown; message?: string };
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${optionIn(message)}`;
  if (code !== 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return undefined;
  return /argument missing/.test(message) ? `option ${optionIn(message)} needs a value` : `option ${optionIn(message)} takes no value`;
}

/**
 * Parses the arguments of `command` strictly: only the given options, at most `positionals`
 * arguments besides them. Throws UsageError for anything else.
 */
export function parseOptions<T extends Options>(command: string, args: string[], options: T, positionals = 0): Parsed<T> {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    const description = describeParseError(err);
    if (description === undefined) throw err;
    throw new UsageError(command, description);
  }
  const extra = parsed.positionals[positionals];
  if (extra !== undefined) throw new UsageError(command, `unexpected argument "${extra}"`);
  return parsed;
}

/** A positive whole number option (`--batch-size 200`), or `fallback` when it is not given. */
export function positiveOption(command: string, value: string | undefined, name: string, fallback: number, max = 100_000): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) throw new UsageError(command, `--${name} must be a whole number from 1 to ${max}, not "${value}"`);
  return n;
}
