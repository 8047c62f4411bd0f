#!/usr/bin/env node
/**
 * `device-registry` (also `npx device-registry`): serve, and the token commands that talk to the
 * store directly (for the first token, and for operators without an admin token at hand).
 */
import { ConfigError, loadConfig, type Config } from './config.js';
import { RegistryError } from './errors.js';
import { createLogger } from './log.js';
import { SCOPES, parseDuration, type Caller } from './model/tokens.js';
import { serve } from './main.js';
import { openStore, serviceOptions } from './registry.js';
import { createServices, type Services } from './service/index.js';
import { InputError } from './cli/transfer-files.js';
import { TRANSFER_USAGE, runTransferCommand } from './cli/import-export.js';
import { UsageError, parseOptions } from './cli/usage.js';

const USAGE: Readonly<Record<string, string>> = {
  main: `usage: device-registry <command> [options]

commands:
  serve                 start the registry (HTTP management API, AMQP 1.0) until SIGINT/SIGTERM
  token create          create a management API token and print it once
  token list            list the tokens (never their values)
  token revoke <id>     revoke a token
  check [--fix]         check the store for orphaned indexes and records (exit 1 when any)
  import                load Hono's file-based registry data or NDJSON (docs/import-export.md)
  export                write the store's data in Hono's file format or as NDJSON

Configuration comes from REGISTRY_* environment variables (see the README); without
REGISTRY_REDIS_URL or REGISTRY_REDIS_CLUSTER_NODES the commands use the embedded Redis in
REGISTRY_DATA_DIR (default ./data).
Run "device-registry <command> --help" for the options of a command.`,
  serve: `usage: device-registry serve

Starts the registry in the foreground, configured by REGISTRY_* environment variables.`,
  token: `usage: device-registry token create --scopes <s1,s2|*> --tenants <t1,t2|*> --expires <30d|12h|3600> [--description <text>]
       device-registry token list
       device-registry token revoke <token id>

Manages management API tokens directly in the store. "device-registry token <subcommand> --help"
shows what each does.`,
  'token create': `usage: device-registry token create --scopes <s1,s2|*> --tenants <t1,t2|*> --expires <30d|12h|3600> [--description <text>]

Creates a token with the given scopes and tenants and prints its value once (only its keyed hash
is stored). Scopes: tenants:read|create|update|delete, devices:read|create|update|delete|purge,
credentials:read|write, tokens:read|create|delete, audit:read, or * for all.`,
  'token list': `usage: device-registry token list

Lists every token: id, scopes, tenants, expiry, last use. Values are never shown.`,
  check: `usage: device-registry check [--fix] [--json]

Reads every key, index and record of the store and reports what does not fit together, by kind
with counts (docs/reliability.md lists the kinds): index entries without their record, records
missing from an index, data of tenants that do not exist, unfinished tenant creations and
deletions, keys outside the documented layout. Exit status 0 when there is nothing, 1 when there
are findings, 2 on a usage or configuration error.

  --fix    repair every finding that has a safe repair (each repair re-checks its finding inside
           Redis, so it is safe while registries run), finish unfinished tenant deletions as
           start-up does, then check again and report what remains
  --json   print the report as JSON`,
  'token revoke': `usage: device-registry token revoke <token id>

Revokes the token with this id (as shown by "token list").`,
  ...TRANSFER_USAGE,
};

/** The command line acts with every grant: it has direct access to the store anyway. */
const OPERATOR: Caller = { tokenId: 'cli', scopes: ['*'], tenants: ['*'] };

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function withServices(config: Config, work: (services: Services) => Promise<void>): Promise<void> {
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const { store, close } = await openStore(config, log);
  try {
    await work(createServices(store, serviceOptions(config, log)));
  } finally {
    await close();
  }
}

const TOKEN_CREATE_OPTIONS = { scopes: { type: 'string' }, tenants: { type: 'string' }, expires: { type: 'string' }, description: { type: 'string' } } as const;

/** The token request of `token create`'s options. UsageError naming what is missing or wrong. */
function tokenRequest(args: string[]): { scopes: string[]; tenants: string[]; 'expires-in': string; description: string } {
  const { values } = parseOptions('token create', args, TOKEN_CREATE_OPTIONS);
  const missing = (['scopes', 'tenants', 'expires'] as const).filter((name) => values[name] === undefined).map((name) => `--${name}`);
  if (missing.length > 0) throw new UsageError('token create', `missing ${missing.join(', ')}`);
  const scopes = (values.scopes as string).split(',');
  const unknown = scopes.find((scope) => scope !== '*' && !(SCOPES as readonly string[]).includes(scope));
  if (unknown !== undefined) throw new UsageError('token create', `unknown scope "${unknown}" in --scopes (scopes: ${SCOPES.join(', ')}, or * for all)`);
  const expires = values.expires as string;
  if (parseDuration(expires) === undefined) throw new UsageError('token create', `--expires "${expires}" is not a lifetime such as 30d, 12h, 90m or 3600 (seconds)`);
  return { scopes, tenants: (values.tenants as string).split(','), 'expires-in': expires, description: values.description ?? 'created with the command line' };
}

async function tokenCreate(args: string[], config: Config): Promise<void> {
  const request = tokenRequest(args);
  await withServices(config, async (services) => {
    const created = await services.tokens.create(OPERATOR, request).catch((err: unknown) => {
      // What the service refuses here came from the options (a tenant id too long …).
      throw err instanceof RegistryError && err.status === 400 ? new UsageError('token create', err.publicMessage) : err;
    });
    process.stdout.write(`${created.token}\n`);
    process.stderr.write(`token ${created.id}: scopes ${request.scopes.join(',')}, tenants ${request.tenants.join(',')}, expires ${created.record.expires}\n`);
  });
}

async function token(sub: string | undefined, args: string[], config: Config): Promise<void> {
  if (sub === 'create') return tokenCreate(args, config);
  if (sub === 'list') {
    parseOptions('token list', args, {});
    return withServices(config, async (services) => {
      for (const t of await services.tokens.list(OPERATOR)) {
        process.stdout.write(`${t.id}\t${t.scopes.join(',')}\t${t.tenants.join(',')}\texpires ${t.expires}\tlast used ${t['last-used'] ?? 'never'}\t${t.description}\n`);
      }
    });
  }
  if (sub === 'revoke') {
    const [id] = parseOptions('token revoke', args, {}, 1).positionals;
    if (id === undefined) throw new UsageError('token revoke', 'the id of the token to revoke is missing');
    let revoked: string[] = [];
    await withServices(config, async (services) => void (revoked = await services.tokens.revoke(OPERATOR, id)));
    const minted = revoked.slice(1);
    return void process.stderr.write(`token ${id} revoked${minted.length === 0 ? '' : `, and the tokens it minted: ${minted.join(', ')}`}\n`);
  }
  throw new UsageError('token', sub === undefined || sub.startsWith('-') ? 'a subcommand is missing: create, list or revoke' : `unknown subcommand "${sub}": use create, list or revoke`);
}

async function check(args: string[], config: Config): Promise<void> {
  const { values } = parseOptions('check', args, { fix: { type: 'boolean' }, json: { type: 'boolean' } });
  const { store, close } = await openStore(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel));
  let report;
  try {
    report = await store.checkConsistency(values.fix === true);
  } finally {
    await close();
  }
  if (values.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const f of report.findings) {
      process.stdout.write(`${f.kind}\t${f.tenant === undefined ? '-' : JSON.stringify(f.tenant)}\t${f.key === undefined ? '' : `${JSON.stringify(f.key)} `}${f.detail}${f.repairable ? '' : ' (no automatic repair)'}\n`);
    }
    if (report.before !== undefined) process.stdout.write(`before repair: ${countLine(report.before)}; repaired ${report.fixed}\n`);
    process.stdout.write(`${report.total} finding(s)${report.total === 0 ? '' : `: ${countLine(report.counts)}`}\n`);
  }
  if (report.total > 0) process.exitCode = 1;
}

function countLine(counts: Readonly<Record<string, number | undefined>>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'none' : entries.map(([kind, n]) => `${kind} ${n}`).join(', ');
}

const COMMANDS = new Set(['serve', 'token', 'check', 'import', 'export']);

/** The configuration of the store commands; a configuration error is a usage error of its own kind (exit 2). */
function configOrExit(): Config {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
}

async function runCommand(command: string, rest: string[]): Promise<void> {
  if (command === 'serve') {
    parseOptions('serve', rest, {});
    return serve();
  }
  const config = configOrExit();
  if (command === 'import' || command === 'export') {
    if (!(await runTransferCommand(command, rest, config))) process.exitCode = 1;
  } else if (command === 'check') {
    await check(rest, config);
  } else {
    await token(rest[0], rest.slice(1), config);
  }
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const sub = command === 'token' ? rest[0] : undefined;
  const key = command === 'token' ? (sub === undefined || sub.startsWith('-') ? 'token' : `token ${sub}`) : command;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return void process.stdout.write(`${USAGE.main}\n`);
  if (rest.includes('--help') || rest.includes('-h')) return void process.stdout.write(`${USAGE[key ?? ''] ?? USAGE.main}\n`);
  try {
    if (!COMMANDS.has(command)) throw new UsageError('', `unknown command "${command}"`);
    await runCommand(command, rest);
  } catch (err) {
    if (err instanceof UsageError) fail(err.line(), 2);
    if (err instanceof InputError) fail(`error: ${err.message}`, 2);
    if (err instanceof RegistryError) fail(`error: ${err.publicMessage}`, 1);
    throw err;
  }
}

void run(process.argv.slice(2));
