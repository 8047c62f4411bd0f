#!/usr/bin/env node
/**
 * `device-registry` (also `npx device-registry`): serve, and the token commands that talk to the
 * store directly (for the first token, and for operators without an admin token at hand).
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import { RegistryError } from './errors.js';
import { createLogger } from './log.js';
import type { Caller } from './model/tokens.js';
import { serve } from './main.js';
import { openStore, serviceOptions } from './registry.js';
import { createServices, type Services } from './service/index.js';
import { InputError } from './cli/transfer-files.js';
import { TRANSFER_USAGE, runTransferCommand } from './cli/import-export.js';

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
  token: `usage: device-registry token <create|list|revoke> [options]

Manages management API tokens directly in the store. "device-registry token <subcommand> --help"
shows the options of each.`,
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

async function token(sub: string | undefined, args: string[], config: Config): Promise<void> {
  if (sub === 'create') {
    const { values } = parseArgs({ args, options: { scopes: { type: 'string' }, tenants: { type: 'string' }, expires: { type: 'string' }, description: { type: 'string' } } });
    if (values.scopes === undefined || values.tenants === undefined || values.expires === undefined) fail(USAGE['token create'] as string);
    const request = { scopes: values.scopes.split(','), tenants: values.tenants.split(','), 'expires-in': values.expires, description: values.description ?? 'created with the command line' };
    await withServices(config, async (services) => {
      const created = await services.tokens.create(OPERATOR, request);
      process.stdout.write(`${created.token}\n`);
      process.stderr.write(`token ${created.id}: scopes ${request.scopes.join(',')}, tenants ${request.tenants.join(',')}, expires ${created.record.expires}\n`);
    });
  } else if (sub === 'list') {
    await withServices(config, async (services) => {
      for (const t of await services.tokens.list(OPERATOR)) {
        process.stdout.write(`${t.id}\t${t.scopes.join(',')}\t${t.tenants.join(',')}\texpires ${t.expires}\tlast used ${t['last-used'] ?? 'never'}\t${t.description}\n`);
      }
    });
  } else if (sub === 'revoke' && args[0] !== undefined) {
    const id = args[0];
    let revoked: string[] = [];
    await withServices(config, async (services) => void (revoked = await services.tokens.revoke(OPERATOR, id)));
    const minted = revoked.slice(1);
    process.stderr.write(`token ${id} revoked${minted.length === 0 ? '' : `, and the tokens it minted: ${minted.join(', ')}`}\n`);
  } else {
    fail(USAGE[`token ${sub ?? 'create'}`] ?? (USAGE.main as string));
  }
}

async function check(args: string[], config: Config): Promise<void> {
  const { values } = parseArgs({ args, options: { fix: { type: 'boolean' }, json: { type: 'boolean' } } });
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

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const sub = command === 'token' ? rest[0] : undefined;
  const key = command === 'token' ? (sub === undefined || sub.startsWith('-') ? 'token' : `token ${sub}`) : command;
  if (command === undefined || command === '--help' || command === 'help') return void process.stdout.write(`${USAGE.main}\n`);
  if (rest.includes('--help') || rest.includes('-h')) return void process.stdout.write(`${USAGE[key ?? ''] ?? USAGE.main}\n`);
  if (command === 'serve') return serve();
  if (command !== 'token' && command !== 'check' && command !== 'import' && command !== 'export') fail(`unknown command "${command}"\n\n${USAGE.main}`);
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  try {
    if (command === 'import' || command === 'export') {
      if (!(await runTransferCommand(command, rest, config))) process.exitCode = 1;
      return;
    }
    if (command === 'check') await check(rest, config);
    else await token(sub, rest.slice(1), config);
  } catch (err) {
    if (err instanceof InputError) fail(`error: ${err.message}`, 2);
    if (err instanceof RegistryError) fail(`error: ${err.publicMessage}`, 1);
    throw err;
  }
}

void run(process.argv.slice(2));
