/**
 * `device-registry import` and `device-registry export` (docs/import-export.md): Hono's
 * file-based registry data and an NDJSON stream, through the transfer service straight into the
 * store the registry uses (external Redis, the socket of a running embedded Redis, or the
 * embedded Redis started for the command). Part of the command line: it may touch `process`.
 */
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { createLogger } from '../log.js';
import { openStore } from '../registry.js';
import { createBcryptHasher } from '../service/password-hasher.js';
import { createTransferService, emptyCounts, type ImportCounts, type ImportFailure, type TransferService } from '../service/transfer.js';
import { createProgress } from './progress.js';
import { UsageError, parseOptions, positiveOption } from './usage.js';
import { InputError, indent, openInput, openOutput, readHonoDevices, readHonoTenants, readNdjson, sizeOf, type Output } from './transfer-files.js';

export const HONO_FILES = { tenants: 'tenants.json', devices: 'device-identities.json', credentials: 'credentials.json' } as const;

export const TRANSFER_USAGE: Readonly<Record<string, string>> = {
  import: `usage: device-registry import (--dir <dir> | [--tenants <file>] [--devices <file>] [--credentials <file>] | --ndjson <file|->)
                              [--replace] [--dry-run] [--batch-size <n>] [--in-flight <n>]

Loads tenants, devices and credentials into the registry's store, checked by the same rules as the
management API (plain passwords are hashed with bcrypt). Safe to re-run: records equal to the stored
ones are reported unchanged; nothing is ever deleted.

  --dir <dir>            Hono's file-based registry files in <dir>: ${HONO_FILES.tenants}, ${HONO_FILES.devices},
                         ${HONO_FILES.credentials} (those present)
  --tenants, --devices, --credentials <file>
                         the same files named one by one
  --ndjson <file|->      the NDJSON stream format (one record per line; "-" reads stdin)
  --replace              overwrite records that differ from the stored ones (default: report each as a
                         conflict); denied devices and identities they reserve are never overwritten
  --dry-run              check every record, write nothing
  --batch-size <n>       devices per store call (default 200)
  --in-flight <n>        store calls in flight (default 8)

Exit status: 0 when every record was imported or unchanged, 1 when some failed (each is named on
stderr with its position and reason), 2 for unusable arguments or files (then nothing is written).`,
  export: `usage: device-registry export (--dir <dir> | --ndjson <file|->) [--tenant <id>]...

Writes the store's tenants, devices and credentials in Hono's file-based registry format
(${HONO_FILES.tenants}, ${HONO_FILES.devices}, ${HONO_FILES.credentials} in <dir>, which must not hold them yet) or
as NDJSON ("-": stdout). Files are created with mode 0600: they hold password hashes and keys.
"device-registry import" reads both back unchanged.

  --tenant <id>          only this tenant (repeatable); default: every tenant`,
};

type Counts = Readonly<ImportCounts>;

const num = (n: number) => n.toLocaleString('en-US');
const MAX_LISTED_FAILURES = 100;

/** Failures on stderr (the first hundred), clearing a progress bar first. */
function failureReporter(): { report(f: ImportFailure): void; finish(): void } {
  let count = 0;
  const tty = process.stderr.isTTY === true;
  return {
    report(f) {
      count++;
      if (count <= MAX_LISTED_FAILURES) process.stderr.write(`${tty ? '\r\u001b[K' : ''}error: ${f.at}: ${f.reason}\n`);
    },
    finish() {
      if (count > MAX_LISTED_FAILURES) process.stderr.write(`… and ${num(count - MAX_LISTED_FAILURES)} more failures\n`);
    },
  };
}

const add = (a: ImportCounts, b: Counts): void => {
  for (const key of Object.keys(a) as (keyof ImportCounts)[]) a[key] += b[key];
};

function summary(dryRun: boolean, tenants: Counts, devices: Counts, seconds: number): string {
  const deviceTotal = devices.created + devices.updated + devices.replaced + devices.unchanged + devices.failed;
  const verb = dryRun ? 'dry run, nothing written' : 'import';
  const tenantPart = `tenants: ${tenants.created} created, ${tenants.replaced} replaced, ${tenants.unchanged} unchanged, ${tenants.failed} failed`;
  const devicePart = `devices: ${num(devices.created)} created, ${num(devices.updated)} updated, ${num(devices.replaced)} replaced, ${num(devices.unchanged)} unchanged, ${num(devices.failed)} failed`;
  const rate = seconds > 0 ? ` (${num(Math.round(deviceTotal / seconds))} devices/s)` : '';
  return `${verb}: ${tenantPart}; ${devicePart}; ${num(devices.credentials)} credentials records, ${num(devices.hashed)} plain passwords hashed; ${seconds.toFixed(1)} s${rate}`;
}

const IMPORT_OPTIONS = {
  dir: { type: 'string' }, tenants: { type: 'string' }, devices: { type: 'string' }, credentials: { type: 'string' }, ndjson: { type: 'string' },
  replace: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, 'batch-size': { type: 'string' }, 'in-flight': { type: 'string' },
} as const;
const EXPORT_OPTIONS = { dir: { type: 'string' }, ndjson: { type: 'string' }, tenant: { type: 'string', multiple: true } } as const;

type ImportArgs = ReturnType<typeof parseOptions<typeof IMPORT_OPTIONS>>['values'];
type ExportArgs = ReturnType<typeof parseOptions<typeof EXPORT_OPTIONS>>['values'];

/** The options of `import` or `export`. UsageError when they are unusable. */
function parse(command: 'import' | 'export', args: string[]): ImportArgs | ExportArgs {
  if (command === 'export') {
    const { values } = parseOptions('export', args, EXPORT_OPTIONS);
    if ((values.dir === undefined) === (values.ndjson === undefined)) throw new UsageError('export', 'give exactly one of --dir and --ndjson');
    return values;
  }
  const { values } = parseOptions('import', args, IMPORT_OPTIONS);
  const sources = [values.dir, values.ndjson, values.tenants ?? values.devices ?? values.credentials].filter((v) => v !== undefined);
  if (sources.length !== 1) throw new UsageError('import', 'give exactly one of --dir, --ndjson, or the files (--tenants, --devices, --credentials)');
  positiveOption('import', values['batch-size'], 'batch-size', 1);
  positiveOption('import', values['in-flight'], 'in-flight', 1);
  return values;
}

async function runImport(values: ImportArgs, transfer: TransferService, maxJsonDepth: number): Promise<boolean> {
  const failures = failureReporter();
  const progress = createProgress(process.stderr, 'devices');
  const options = {
    replace: values.replace === true,
    dryRun: values['dry-run'] === true,
    batchSize: positiveOption('import', values['batch-size'], 'batch-size', 200),
    inFlight: positiveOption('import', values['in-flight'], 'in-flight', 8),
    onFailure: failures.report,
  };
  const started = performance.now();
  const tenantCounts = emptyCounts();
  let deviceCounts: Counts;
  const done = (c: Counts) => c.created + c.updated + c.replaced + c.unchanged + c.failed;

  if (values.ndjson !== undefined) {
    const path = values.ndjson;
    const input = openInput(path);
    const size = sizeOf(path);
    let bytes = 0;
    let badLines = 0;
    const entries = readNdjson(
      input,
      path === '-' ? 'stdin' : path,
      maxJsonDepth,
      async (entry) => add(tenantCounts, await transfer.importTenants([entry], options)),
      (at, reason) => {
        badLines++;
        failures.report({ at, reason });
      },
      (n) => (bytes += n),
    );
    deviceCounts = await transfer.importDevices(entries, { ...options, onProgress: (c) => progress.update(done(c), size === undefined ? undefined : bytes / size) });
    deviceCounts = { ...deviceCounts, failed: deviceCounts.failed + badLines };
  } else {
    const dir = values.dir;
    const pick = (given: string | undefined, name: string) => (dir === undefined ? given : existsSync(join(dir, name)) ? join(dir, name) : undefined);
    const files = { tenants: pick(values.tenants, HONO_FILES.tenants), devices: pick(values.devices, HONO_FILES.devices), credentials: pick(values.credentials, HONO_FILES.credentials) };
    if (dir !== undefined && Object.values(files).every((f) => f === undefined)) throw new InputError(`${dir} holds none of ${Object.values(HONO_FILES).join(', ')}`);
    // Read and check the overall shape of every file before writing anything.
    const tenants = files.tenants === undefined ? [] : readHonoTenants(files.tenants, maxJsonDepth);
    const devices = readHonoDevices(files.devices, files.credentials, maxJsonDepth);
    add(tenantCounts, await transfer.importTenants(tenants, options));
    deviceCounts = await transfer.importDevices(devices, { ...options, onProgress: (c) => progress.update(done(c), devices.length === 0 ? 1 : done(c) / devices.length) });
  }
  progress.done();
  failures.finish();
  process.stderr.write(`${summary(options.dryRun, tenantCounts, deviceCounts, (performance.now() - started) / 1000)}\n`);
  return tenantCounts.failed + deviceCounts.failed === 0;
}

/** The tenants to export: the named ones (each must exist) or all. */
async function exportTenants(transfer: TransferService, only: string[] | undefined): Promise<{ id: string; json: string }[]> {
  const all: { id: string; json: string }[] = [];
  for await (const json of transfer.tenants()) all.push({ id: (JSON.parse(json) as { 'tenant-id': string })['tenant-id'], json });
  if (only === undefined) return all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return only.map((id) => {
    const found = all.find((t) => t.id === id);
    if (found === undefined) throw new InputError(`tenant "${id}" not found`);
    return found;
  });
}

/** Writes `[ items… ]` with one item per line (or pretty-printed), counting them. */
async function writeArray(out: Output, items: AsyncIterable<string> | Iterable<string>, pad: string, onItem: () => void): Promise<void> {
  let first = true;
  for await (const item of items) {
    await out.write(`${first ? '' : ','}\n${pad}${item}`);
    first = false;
    onItem();
  }
  await out.write(first ? ']' : `\n${pad.slice(2)}]`);
}

async function runExport(values: ExportArgs, transfer: TransferService): Promise<boolean> {
  const started = performance.now();
  const tenants = await exportTenants(transfer, values.tenant);
  const progress = createProgress(process.stderr, 'entries');
  let records = 0;
  const tick = () => progress.update(++records, undefined);
  if (values.ndjson !== undefined) {
    const out = openOutput(values.ndjson);
    for (const t of tenants) await out.write(`{"kind":"tenant",${t.json.slice(1)}\n`);
    for (const t of tenants) {
      const tenant = JSON.stringify(t.id);
      for await (const d of transfer.devicesWithCredentials(t.id)) {
        const head = d.data === undefined ? `{"kind":"credentials","tenant":${tenant},"device-id":${JSON.stringify(d.deviceId)}` : `{"kind":"device","tenant":${tenant},"device-id":${JSON.stringify(d.deviceId)},"data":${d.data}`;
        await out.write(`${head},"credentials":[${d.credentials.join(',')}]}\n`);
        tick();
      }
    }
    await out.close();
  } else {
    const dir = values.dir as string;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const taken = Object.values(HONO_FILES).filter((name) => existsSync(join(dir, name)));
    if (taken.length > 0) throw new InputError(`${dir} already holds ${taken.join(', ')}: an export never overwrites a file; choose an empty directory`);
    const outs = { tenants: openOutput(join(dir, HONO_FILES.tenants)), devices: openOutput(join(dir, HONO_FILES.devices)), credentials: openOutput(join(dir, HONO_FILES.credentials)) };
    await outs.tenants.write('[');
    await writeArray(outs.tenants, tenants.map((t) => indent(t.json, '  ')), '  ', () => undefined);
    await outs.tenants.write('\n');
    for (const [member, out, items] of [['devices', outs.devices, transfer.devices], ['credentials', outs.credentials, transfer.credentials]] as const) {
      await out.write('[');
      const groups = tenants.map((t) => ({ t, items: items(t.id) }));
      let first = true;
      for (const { t, items: list } of groups) {
        await out.write(`${first ? '' : ','}\n  {\n    "tenant": ${JSON.stringify(t.id)},\n    "${member}": [`);
        await writeArray(out, list, '      ', tick);
        await out.write('\n  }');
        first = false;
      }
      await out.write(first ? ']\n' : '\n]\n');
    }
    await Promise.all(Object.values(outs).map((o) => o.close()));
  }
  progress.done();
  const where = values.ndjson === '-' ? 'stdout' : (values.ndjson ?? values.dir);
  process.stderr.write(`export: ${tenants.length} tenants, ${num(records)} device and credentials entries to ${where} in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  return true;
}

/**
 * Runs `import` or `export` against the configured store; true when everything succeeded.
 * Throws UsageError for unusable arguments and InputError for unusable files (nothing written),
 * RegistryError otherwise.
 */
export async function runTransferCommand(command: 'import' | 'export', args: string[], config: Config): Promise<boolean> {
  const values = parse(command, args);
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
  const { store, close } = await openStore(config, log);
  try {
    const transfer = createTransferService(store, { maxBcryptCost: config.credentials.maxBcryptCost, hasher: createBcryptHasher(config.credentials.bcryptCost) });
    return await (command === 'import' ? runImport(values as ImportArgs, transfer, config.maxJsonDepth) : runExport(values as ExportArgs, transfer));
  } finally {
    await close();
  }
}
