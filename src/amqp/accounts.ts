/**
 * AMQP client accounts (docs/amqp-api.md §10): a JSON file of users and roles. PLAIN users carry
 * a bcrypt hash (checked by src/amqp/login.ts); EXTERNAL users are looked up by the common name of
 * their client certificate.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import bcrypt from 'bcrypt';
import { RegistryError } from '../errors.js';
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

/** A PLAIN user: the bcrypt hash of the password, and what the user may do. */
export interface PlainUser {
  readonly hash: string;
  readonly authorities: Authorities;
}

export interface AccountBook {
  /** The PLAIN user of this name, or undefined. */
  plain(username: string): PlainUser | undefined;
  /** The authorities of the EXTERNAL user with this certificate CN, or undefined. */
  external(commonName: string): Authorities | undefined;
}

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
export function parseAccounts(text: string, source: string): AccountBook {
  let file: AccountsFile;
  try {
    file = JSON.parse(text) as AccountsFile;
    validate('amqp-accounts', file);
  } catch (err) {
    const reason = err instanceof RegistryError ? err.message : (err as Error).message;
    throw new RegistryError('BAD_REQUEST', `accounts file ${source} is invalid: ${reason}`);
  }
  const plain = new Map<string, PlainUser>();
  const external = new Map<string, Authorities>();
  for (const [name, entry] of Object.entries(file.users)) {
    const authorities = resolveAuthorities(file, name, entry);
    const hash = entry['password-hash'];
    if (entry.mechanism === 'EXTERNAL') external.set(name, authorities);
    else if (hash === undefined) throw new RegistryError('BAD_REQUEST', `accounts file ${source}: PLAIN user "${name}" needs a "password-hash"`);
    else plain.set(name, { hash, authorities });
  }
  return { plain: (username) => plain.get(username), external: (commonName) => external.get(commonName) };
}

/** Loads the accounts file. BAD_REQUEST when it cannot be read or is invalid. */
export function loadAccounts(path: string): AccountBook {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RegistryError('BAD_REQUEST', `cannot read the AMQP accounts file ${path}: ${(err as Error).message}`);
  }
  return parseAccounts(text, path);
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

