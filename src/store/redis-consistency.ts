/**
 * The consistency check of the Redis store (`device-registry check`): reads every key, index and
 * record and reports what does not fit together, by kind. Every change the registry makes is one
 * Lua script or a sequence that start-up recovery finishes, so a store written only by the registry
 * shows no findings once recovery has run; the check is how an operator (and the crash tests)
 * proves it. With `fix`, each finding that has a safe repair is repaired by a script that
 * re-checks the condition first (lua/repair-scripts.ts), then recovery runs.
 */
import type { LuaScript } from './lua/scripts.js';
import * as repair from './lua/repair-scripts.js';
import * as deviceLua from './lua/device-scripts.js';
import { credentialSearchMembersOf, deviceIndexKeys, keys, OUTLIVE_TENANT, parseKey } from './keys.js';
import type { ConsistencyFinding, ConsistencyReport, FindingKind } from './store.js';

/** What the check needs from the Redis client (kept narrow: only redis.ts imports ioredis). */
export interface CheckClient {
  hscan(key: string, cursor: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  zscan(key: string, cursor: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
  exists(...keys: string[]): Promise<number>;
  hexists(key: string, field: string): Promise<number>;
}

/** A node whose keys SCAN lists (the client itself, or each master of a cluster). */
export interface KeyScanner {
  scan(cursor: string, count: 'COUNT', n: number): Promise<[string, string[]]>;
}

export type RunScript = (script: LuaScript, keyList: readonly string[], args: readonly string[]) => Promise<unknown>;

/** At most this many findings of one kind are listed; all are counted. */
const LISTED_PER_KIND = 100;
const CHUNK = 1000;

/** Kinds with a safe repair; the others are reported only. */
const REPAIRABLE: ReadonlySet<FindingKind> = new Set<FindingKind>([
  'tenant-without-marker', 'tenant-creation-unfinished', 'tenant-deletion-unfinished', 'stale-creation-entry', 'marker-without-tenant',
  'data-without-tenant', 'ca-index-dangling', 'ca-index-missing', 'tenant-cas-dangling', 'alias-index-dangling', 'alias-index-missing', 'credentials-not-indexed', 'index-entry-dangling',
  'denied-index-mismatch', 'denied-identity-dangling', 'device-not-indexed', 'credentials-search-mismatch',
]);

type Repair = () => Promise<unknown>;

async function scanAll(scan: (cursor: string) => Promise<[string, string[]]>): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, items] = await scan(cursor);
    for (const item of items) out.push(item);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

function pairs(flat: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i] as string, flat[i + 1] as string);
  return map;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const stringList = (text: string | undefined): string[] => {
  const value = text === undefined ? undefined : parseJson(text);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
};

/** Runs the check; with `fix`, repairs, lets `recover` finish pending work, and checks again. */
export async function checkConsistency(client: CheckClient, scanners: readonly KeyScanner[], run: RunScript, recover: () => Promise<void>, fix: boolean): Promise<ConsistencyReport> {
  const first = await inspect(client, scanners, run);
  if (!fix || first.findings.length === 0) return summarise(first.findings, 0);
  let fixed = 0;
  for (const step of first.repairs) if (Number(await step()) > 0) fixed++;
  await recover();
  const after = await inspect(client, scanners, run);
  return { ...summarise(after.findings, fixed), before: summarise(first.findings, 0).counts };
}

function summarise(findings: readonly ConsistencyFinding[], fixed: number): ConsistencyReport {
  const counts: Partial<Record<FindingKind, number>> = {};
  const listed: ConsistencyFinding[] = [];
  for (const f of findings) {
    counts[f.kind] = (counts[f.kind] ?? 0) + 1;
    if ((counts[f.kind] ?? 0) <= LISTED_PER_KIND) listed.push(f);
  }
  return { total: findings.length, counts, findings: listed, fixed };
}

async function inspect(client: CheckClient, scanners: readonly KeyScanner[], run: RunScript): Promise<{ findings: ConsistencyFinding[]; repairs: Repair[] }> {
  const findings: ConsistencyFinding[] = [];
  const repairs: Repair[] = [];
  const found = (kind: FindingKind, detail: string, where: { tenant?: string; key?: string } = {}, fixWith?: Repair) => {
    findings.push({ kind, detail, ...where, repairable: REPAIRABLE.has(kind) });
    if (fixWith !== undefined && REPAIRABLE.has(kind)) repairs.push(fixWith);
  };
  const hash = async (key: string) => pairs(await scanAll((c) => client.hscan(key, c, 'COUNT', CHUNK)));
  const registryRepair = (op: string, id: string, dn = '') => () =>
    run(repair.repairRegistrySlot, [keys.tenants(), keys.tenantCas(), keys.caIndex(), keys.tenantsDeleting(), keys.tenantsCreating(), keys.tenantAliases(), keys.caShared()], [op, id, dn]);
  const noop: Repair = async () => 1;

  const tenantKeys = new Map<string, string[]>();
  const allKeys = new Set<string>();
  for (const node of scanners) for (const key of await scanAll((c) => node.scan(c, 'COUNT', CHUNK))) allKeys.add(key);
  for (const key of allKeys) {
    const info = parseKey(key);
    if (info === undefined) found('unknown-key', 'a key outside the documented layout', { key });
    // A deleted tenant's outbox stays until its notifications are delivered: not an orphan.
    else if (info.tenant !== undefined && !OUTLIVE_TENANT.has(info.kind)) tenantKeys.set(info.tenant, [...(tenantKeys.get(info.tenant) ?? []), key]);
  }

  const tenants = await hash(keys.tenants());
  const deleting = await hash(keys.tenantsDeleting());
  const creating = await hash(keys.tenantsCreating());
  for (const [id, json] of tenants) {
    if (!isObject(parseJson(json))) found('corrupt-record', 'tenant record is not a JSON object', { tenant: id });
    if ((await client.exists(keys.tenantMarker(id))) === 0) {
      found(creating.has(id) ? 'tenant-creation-unfinished' : 'tenant-without-marker', 'tenant has no marker: writes to it fail until start-up recovery writes it', { tenant: id }, noop);
    }
  }
  for (const id of deleting.keys()) found('tenant-deletion-unfinished', 'tenant deletion not finished; the next start finishes it', { tenant: id }, noop);
  for (const id of creating.keys()) {
    if (tenants.has(id) && (await client.exists(keys.tenantMarker(id))) === 1) found('stale-creation-entry', 'creation entry left behind', { tenant: id }, noop);
    if (!tenants.has(id)) found('stale-creation-entry', 'creation entry of a tenant that does not exist', { tenant: id }, registryRepair('creation-entry-remove', id));
  }
  for (const [id, list] of tenantKeys) {
    if (tenants.has(id) || deleting.has(id)) continue;
    for (const key of list) {
      const kind = key === keys.tenantMarker(id) ? 'marker-without-tenant' : 'data-without-tenant';
      found(kind, 'key of a tenant that does not exist', { tenant: id, key }, registryRepair('abandon-tenant-data', id));
    }
  }

  await inspectTenantIndexes(hash, tenants, found, registryRepair);
  for (const id of tenants.keys()) await inspectTenant(client, run, id, hash, found);
  return { findings, repairs };
}

type Found = (kind: FindingKind, detail: string, where?: { tenant?: string; key?: string }, fixWith?: Repair) => void;
type RegistryRepair = (op: string, id: string, dn?: string) => Repair;

/** The CA subject-DN indexes (one owner, or shared within a trust-anchor group) and the aliases against the tenants. */
async function inspectTenantIndexes(hash: (key: string) => Promise<Map<string, string>>, tenants: Map<string, string>, found: Found, registryRepair: RegistryRepair): Promise<void> {
  const tenantCas = await hash(keys.tenantCas());
  const caIndex = await hash(keys.caIndex());
  const shared = new Map([...(await hash(keys.caShared()))].map(([dn, json]) => [dn, stringList(json)]));
  const lists = (id: string, dn: string) => tenants.has(id) && stringList(tenantCas.get(id)).includes(dn);
  const owners: [string, string][] = [...caIndex, ...[...shared].flatMap(([dn, ids]) => ids.map((id): [string, string] => [dn, id]))];
  for (const [dn, id] of owners) {
    if (!lists(id, dn)) found('ca-index-dangling', `CA ${dn} points at a tenant that does not list it`, { tenant: id }, registryRepair('ca-index-remove', id, dn));
  }
  for (const [id, json] of tenantCas) {
    if (!tenants.has(id)) {
      found('tenant-cas-dangling', 'CA list of a tenant that does not exist', { tenant: id }, registryRepair('tenant-cas-remove', id));
      continue;
    }
    for (const dn of stringList(json)) {
      const indexed = caIndex.get(dn) === id || (shared.get(dn) ?? []).includes(id);
      if (!indexed) found('ca-index-missing', `CA ${dn} of the tenant is not indexed to it`, { tenant: id }, registryRepair('ca-index-add', id, dn));
    }
  }
  const aliases = await hash(keys.tenantAliases());
  for (const [alias, id] of aliases) {
    if (aliasOf(tenants.get(id)) !== alias) found('alias-index-dangling', `alias ${alias} points at a tenant that does not have it`, { tenant: id }, registryRepair('alias-remove', id, alias));
  }
  for (const [id, json] of tenants) {
    const alias = aliasOf(json);
    if (alias !== undefined && aliases.get(alias) !== id) found('alias-index-missing', `alias ${alias} of the tenant is not indexed to it`, { tenant: id }, registryRepair('alias-add', id, alias));
  }
}

function aliasOf(json: string | undefined): string | undefined {
  const tenant = json === undefined ? undefined : parseJson(json);
  return isObject(tenant) && typeof tenant.alias === 'string' ? tenant.alias : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Credentials against the device index, and the denied list against its indexes, of one tenant. */
async function inspectTenant(client: CheckClient, run: RunScript, id: string, hash: (key: string) => Promise<Map<string, string>>, found: Found): Promise<void> {
  const where = { tenant: id };
  const tenantRepair = (op: string, device: string, field = '') => () =>
    run(repair.repairTenantSlot, [keys.credentials(id), keys.deviceCredentials(id), keys.deniedDevices(id), keys.deniedIdentities(id), keys.deniedIndex(id), keys.credentialsSearch(id)], [op, device, field]);
  const credentials = await hash(keys.credentials(id));
  const index = await hash(keys.deviceCredentials(id));
  const denied = await hash(keys.deniedDevices(id));
  const owner = new Map<string, string>();
  for (const [field, json] of credentials) {
    const record = parseJson(json);
    const device = isObject(record) ? record['device-id'] : undefined;
    if (typeof device !== 'string') {
      found('corrupt-record', `credentials ${field} are not a JSON object with a device-id`, where);
      continue;
    }
    owner.set(field, device);
    if (!stringList(index.get(device)).includes(field)) found('credentials-not-indexed', `credentials ${field} missing from the index of device ${device}`, where, tenantRepair('index-add', device, field));
    if (denied.has(device)) found('credentials-of-denied-device', `credentials ${field} name the denied device ${device}`, where);
  }
  for (const [device, json] of index) {
    for (const field of stringList(json)) {
      if (owner.get(field) !== device) found('index-entry-dangling', `index of device ${device} lists credentials ${field} it does not own`, where, tenantRepair('index-remove', device, field));
    }
  }
  const deniedIndex = new Set((await scanAll((c) => client.zscan(keys.deniedIndex(id), c, 'COUNT', CHUNK))).filter((_, i) => i % 2 === 0));
  for (const device of denied.keys()) {
    if (!deniedIndex.has(device)) found('denied-index-mismatch', `denied device ${device} is missing from the paging index`, where, tenantRepair('denied-index', device));
    if ((await client.hexists(keys.devices(id), device)) === 1) found('device-live-and-denied', `device ${device} is both registered and denied`, where);
  }
  for (const device of deniedIndex) {
    if (!denied.has(device)) found('denied-index-mismatch', `paging index lists ${device}, which is not denied`, where, tenantRepair('denied-index', device));
  }
  for (const [field, device] of await hash(keys.deniedIdentities(id))) {
    if (!denied.has(device)) found('denied-identity-dangling', `identity ${field} reserved by ${device}, which is not denied`, where, tenantRepair('identity-release', device, field));
  }
  await inspectSearch(client, [...credentials.keys()], (detail, op, item) => found('credentials-search-mismatch', detail, where, tenantRepair(op, '', item)), id);
  await inspectDeviceIndex(client, run, id, found);
}

/** The credentials search index of one tenant against its records. */
async function inspectSearch(client: CheckClient, fields: readonly string[], mismatch: (detail: string, op: string, item: string) => void, id: string): Promise<void> {
  const members = new Set((await scanAll((c) => client.zscan(keys.credentialsSearch(id), c, 'COUNT', CHUNK))).filter((_, i) => i % 2 === 0));
  const expected = new Set<string>();
  for (const field of fields) {
    const named = credentialSearchMembersOf(field);
    named.forEach((m) => expected.add(m));
    if (!named.every((m) => members.has(m))) mismatch(`credentials ${field} are missing from the search index`, 'search-add', field);
  }
  for (const member of members) {
    if (!expected.has(member)) mismatch(`search index entry ${JSON.stringify(member)} names no credentials`, 'search-remove', member);
  }
}

/** The search indexes against the live devices of one tenant (the field entries follow the id index). */
async function inspectDeviceIndex(client: CheckClient, run: RunScript, id: string, found: Found): Promise<void> {
  const where = { tenant: id };
  const indexed = new Set((await scanAll((c) => client.zscan(keys.deviceIds(id), c, 'COUNT', CHUNK))).filter((_, i) => i % 2 === 0));
  const live = new Set((await scanAll((c) => client.hscan(keys.devices(id), c, 'COUNT', CHUNK))).filter((_, i) => i % 2 === 0));
  for (const device of live) {
    if (!indexed.has(device)) found('device-not-indexed', `device ${device} is not in the search indexes`, where, () => run(deviceLua.indexDevices, [keys.devices(id), ...deviceIndexKeys(id)], [device]));
  }
  for (const device of indexed) {
    if (!live.has(device)) found('device-index-dangling', `the search indexes list ${device}, which is not a live device`, where);
  }
}
