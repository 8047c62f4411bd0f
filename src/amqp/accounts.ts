/**
 * AMQP client accounts (hono-amqp-apis.md §10): a JSON file of users and roles. PLAIN logins are
 * verified with bcrypt once and then served from a keyed-digest cache; failed logins are slowed
 * down. EXTERNAL users are looked up by the common name of their client certificate.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import bcrypt from 'bcrypt';
import { RegistryError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { createAuthorities, type Authorities, type Authority } from '../model/authorities.js';
import { validate } from '../validation.js';

interface UserEntry {
  mechanism: 'PLAIN' | 'EXTERNAL';
  'password-hash'?: string;
  authorities: (string | Authority)[];
}

interface AccountsFile {
  roles?: Record<string, Authority[]>;
  users: Record<string, UserEntry>;
}

export interface AccountBook {
  /** The authorities of a PLAIN user whose password matches, or undefined (after a delay). */
  verifyPlain(username: string, password: string): Promise<Authorities | undefined>;
  /** The authorities of the EXTERNAL user with this certificate CN, or undefined. */
  external(commonName: string): Authorities | undefined;
}

const CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX = 10_000;
const MAX_FAILURE_DELAY_MS = 2_000;

/** The role every protocol adapter needs (Hono's `protocol-adapter` role of permissions.json). */
export const PROTOCOL_ADAPTER_ROLE: Authority[] = [
  { resource: 'tenant', activities: ['READ', 'WRITE'] },
  { resource: 'registration/*', activities: ['READ', 'WRITE'] },
  { resource: 'credentials/*', activities: ['READ', 'WRITE'] },
  { resource: 'device_con/*', activities: ['READ', 'WRITE'] },
  { operation: 'tenant/*:*', activities: ['EXECUTE'] },
  { operation: 'registration/*:assert', activities: ['EXECUTE'] },
  { operation: 'credentials/*:get', activities: ['EXECUTE'] },
  { operation: 'device_con/*:*', activities: ['EXECUTE'] },
];

function resolveAuthorities(file: AccountsFile, username: string, entry: UserEntry): Authorities {
  const list: Authority[] = [];
  for (const item of entry.authorities) {
    if (typeof item !== 'string') list.push(item);
    else if (file.roles?.[item] !== undefined) list.push(...file.roles[item]);
    else throw new RegistryError('BAD_REQUEST', `accounts file: user "${username}" names the unknown role "${item}"`);
  }
  return createAuthorities(list);
}

/** Parses and checks an accounts file. BAD_REQUEST naming the problem. */
/** Login metrics: bcrypt time and the login cache's hits and misses. */
export type LoginObserver = Pick<Metrics, 'bcrypt' | 'loginCache'>;

export function parseAccounts(text: string, source: string, observer?: LoginObserver): AccountBook {
  let file: AccountsFile;
  try {
    file = JSON.parse(text) as AccountsFile;
    validate('amqp-accounts', file);
  } catch (err) {
    const reason = err instanceof RegistryError ? err.message : (err as Error).message;
    throw new RegistryError('BAD_REQUEST', `accounts file ${source} is invalid: ${reason}`);
  }
  const users = new Map<string, { entry: UserEntry; authorities: Authorities }>();
  for (const [name, entry] of Object.entries(file.users)) {
    if (entry.mechanism === 'PLAIN' && entry['password-hash'] === undefined) {
      throw new RegistryError('BAD_REQUEST', `accounts file ${source}: PLAIN user "${name}" needs a "password-hash"`);
    }
    users.set(name, { entry, authorities: resolveAuthorities(file, name, entry) });
  }
  return createAccountBook(users, observer);
}

function createAccountBook(users: Map<string, { entry: UserEntry; authorities: Authorities }>, observer: LoginObserver | undefined): AccountBook {
  const cacheKey = randomBytes(32);
  const verified = new Map<string, { digest: Buffer; expires: number }>();
  const failures = new Map<string, number>();
  const digest = (username: string, password: string) => createHmac('sha256', cacheKey).update(username).update('\0').update(password).digest();
  // Verifying against a fixed hash keeps unknown users as slow as known ones.
  const decoy = bcrypt.hashSync(randomBytes(16).toString('hex'), bcrypt.genSaltSync(10, 'a'));

  function cached(username: string, password: string): boolean {
    const hit = verified.get(username);
    if (hit === undefined || hit.expires < Date.now()) return false;
    return timingSafeEqual(hit.digest, digest(username, password));
  }

  function remember(username: string, password: string): void {
    if (verified.size >= CACHE_MAX) verified.delete(verified.keys().next().value as string);
    verified.set(username, { digest: digest(username, password), expires: Date.now() + CACHE_TTL_MS });
  }

  async function fail(username: string): Promise<undefined> {
    const count = (failures.get(username) ?? 0) + 1;
    if (failures.size > CACHE_MAX) failures.clear();
    failures.set(username, count);
    await new Promise((r) => setTimeout(r, Math.min(MAX_FAILURE_DELAY_MS, 100 * 2 ** Math.min(count, 5))));
    return undefined;
  }

  return {
    async verifyPlain(username, password) {
      const user = users.get(username);
      const hash = user?.entry.mechanism === 'PLAIN' ? user.entry['password-hash'] : undefined;
      if (user !== undefined && hash !== undefined && cached(username, password)) {
        observer?.loginCache(true);
        return user.authorities;
      }
      observer?.loginCache(false);
      const started = performance.now();
      const ok = await bcrypt.compare(password, hash ?? decoy);
      observer?.bcrypt('compare', (performance.now() - started) / 1000);
      if (!ok || user === undefined || hash === undefined) return fail(username);
      failures.delete(username);
      remember(username, password);
      return user.authorities;
    },
    external(commonName) {
      const user = users.get(commonName);
      return user?.entry.mechanism === 'EXTERNAL' ? user.authorities : undefined;
    },
  };
}

/** Loads the accounts file. BAD_REQUEST when it cannot be read or is invalid. */
export function loadAccounts(path: string, observer?: LoginObserver): AccountBook {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RegistryError('BAD_REQUEST', `cannot read the AMQP accounts file ${path}: ${(err as Error).message}`);
  }
  return parseAccounts(text, path, observer);
}

/**
 * Creates a first accounts file with one protocol-adapter account and a random password, which is
 * written to a 0600 file next to it (never logged). Returns the password file's path.
 */
export function createFirstAccountsFile(path: string, username: string): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  const passwordFile = join(dirname(path), 'amqp-adapter-password');
  const file: AccountsFile = {
    roles: { 'protocol-adapter': PROTOCOL_ADAPTER_ROLE },
    users: { [username]: { mechanism: 'PLAIN', 'password-hash': bcrypt.hashSync(password, bcrypt.genSaltSync(10, 'a')), authorities: ['protocol-adapter'] } },
  };
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  return passwordFile;
}

