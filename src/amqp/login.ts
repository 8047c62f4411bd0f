/**
 * SASL PLAIN logins against the accounts file (docs/amqp-api.md §10), bounded (docs/reliability.md
 * "Overload and bounded resources"):
 *
 * - a user name and password verified in the last 5 minutes are accepted from a keyed-digest cache,
 *   and the same login arriving while it is being checked waits for that check;
 * - unknown users cost no bcrypt: the password's keyed digest is compared in constant time with one
 *   that never matches, and the answer waits about as long as a bcrypt check takes;
 * - before any hashing, an address with too many logins in progress or too many failures this
 *   minute is refused with SASL outcome `sys-temp` (Hono's servers answer a login they cannot take
 *   now the same way; its clients retry);
 * - bcrypt checks wait in one queue with a small concurrency (the libuv thread pool stays free for
 *   HTTP password hashing), a full queue refuses with `sys-temp`, and a check whose client has left
 *   is dropped before it starts;
 * - failures are answered after a delay growing per user name (at most 2 s), cut short when the
 *   client leaves.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcrypt';
import type { LoginLimits } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { Authorities } from '../model/authorities.js';
import type { AccountBook, PlainUser } from './accounts.js';
import { AddressLimits, CheckQueue } from './login-limits.js';

const CACHE_TTL_MS = 5 * 60_000;
const CACHE_MAX = 10_000;
const MAX_FAILURE_DELAY_MS = 2_000;
/** SASL outcome codes (AMQP 1.0 §5.3.3.6). */
const SASL_AUTH = 1;
const SASL_SYS_TEMP = 4;

/** Login metrics: bcrypt time, the login cache's hits and misses, refusals. */
export type LoginObserver = Pick<Metrics, 'bcrypt' | 'loginCache' | 'loginRefused'>;

/** Granted authorities, or the SASL outcome code of a failure (1 auth, 4 sys-temp). */
export type LoginResult = { readonly authorities: Authorities } | { readonly refused: typeof SASL_AUTH | typeof SASL_SYS_TEMP };

export interface LoginAttempt {
  /** The client's address (IPv6: its /64), for the per-address limits. */
  readonly address: string;
  /** Aborted when the client has gone: its queued check and failure delay are dropped. */
  readonly signal: AbortSignal;
}

export interface Login {
  verify(username: string, password: string, attempt: LoginAttempt): Promise<LoginResult>;
}

type Checked = boolean | 'dropped' | 'full';

const AUTH_FAILED: LoginResult = { refused: SASL_AUTH };
const TRY_LATER: LoginResult = { refused: SASL_SYS_TEMP };

/** Checks PLAIN logins against `book` within `limits`. */
export function createLogin(book: AccountBook, limits: LoginLimits, observer?: LoginObserver): Login {
  const key = randomBytes(32);
  const digest = (username: string, password: string) => createHmac('sha256', key).update(username).update('\0').update(password).digest();
  const never = digest('\0', randomBytes(32).toString('hex'));
  const verified = new Map<string, { digest: Buffer; expires: number }>();
  const failures = new Map<string, number>();
  const addresses = new AddressLimits(limits.pendingPerAddress, limits.failuresPerMinute);
  const queue = new CheckQueue(limits.concurrency, limits.queue);
  /** A running average of bcrypt check times: how long an unknown user's answer waits. */
  let typicalCheckMs = 0;

  const cached = (username: string, password: string): boolean => {
    const hit = verified.get(username);
    return hit !== undefined && hit.expires >= Date.now() && timingSafeEqual(hit.digest, digest(username, password));
  };
  const remember = (username: string, password: string): void => {
    if (verified.size >= CACHE_MAX) verified.delete(verified.keys().next().value as string);
    verified.set(username, { digest: digest(username, password), expires: Date.now() + CACHE_TTL_MS });
  };
  const failed = async (username: string, attempt: LoginAttempt, extraMs: number): Promise<LoginResult> => {
    addresses.fail(attempt.address);
    const count = (failures.get(username) ?? 0) + 1;
    if (failures.size > CACHE_MAX) failures.clear();
    failures.set(username, count);
    const delay = Math.min(MAX_FAILURE_DELAY_MS, 100 * 2 ** Math.min(count, 5)) + extraMs;
    await sleep(delay, undefined, { signal: attempt.signal }).catch(() => undefined);
    return AUTH_FAILED;
  };
  const check = (user: PlainUser, password: string, signal: AbortSignal) =>
    queue.submit(async () => {
      observer?.loginCache(false);
      const started = performance.now();
      const ok = await bcrypt.compare(password, user.hash);
      const ms = performance.now() - started;
      observer?.bcrypt('compare', ms / 1000);
      typicalCheckMs = typicalCheckMs === 0 ? ms : 0.8 * typicalCheckMs + 0.2 * ms;
      return ok;
    }, signal);
  /** Checks of a user name and password in progress: the same login arriving again waits for it (one bcrypt for a burst of reconnects). */
  const running = new Map<string, Promise<Checked>>();
  const checkOnce = (key: string, user: PlainUser, password: string, signal: AbortSignal): Promise<Checked> => {
    const started = check(user, password, signal).finally(() => running.delete(key));
    running.set(key, started);
    return started;
  };
  const outcome = async (ok: Checked, user: PlainUser, username: string, password: string, attempt: LoginAttempt): Promise<LoginResult> => {
    if (ok === 'full') observer?.loginRefused('queue-full');
    if (ok === 'full' || ok === 'dropped') return TRY_LATER;
    if (!ok) return failed(username, attempt, 0);
    failures.delete(username);
    remember(username, password);
    return { authorities: user.authorities };
  };

  const login: Login = {
    async verify(username, password, attempt) {
      const user = book.plain(username);
      if (user !== undefined && cached(username, password)) {
        observer?.loginCache(true);
        return { authorities: user.authorities };
      }
      const key = user === undefined ? '' : digest(username, password).toString('base64');
      const joined = running.get(key);
      if (user !== undefined && joined !== undefined && addresses.failing(attempt.address) === undefined) {
        const ok = await joined;
        // The first client left before its check began: this one checks for itself.
        return ok === 'dropped' ? login.verify(username, password, attempt) : outcome(ok, user, username, password, attempt);
      }
      const refusal = addresses.admit(attempt.address);
      if (refusal !== undefined) {
        observer?.loginRefused(refusal);
        return TRY_LATER;
      }
      try {
        if (user !== undefined) return await outcome(await checkOnce(key, user, password, attempt.signal), user, username, password, attempt);
        timingSafeEqual(digest(username, password), never);
        return await failed(username, attempt, typicalCheckMs);
      } finally {
        addresses.release(attempt.address);
      }
    },
  };
  return login;
}

/** The key of the per-address limits: an IPv4 address as it is, an IPv6 address by its /64 (one host's usual share). */
export function addressKey(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  if (!address.includes(':') || address.startsWith('::ffff:')) return address.replace(/^::ffff:/, '');
  const [head = '', tail = ''] = address.split('%')[0]?.split('::') ?? [];
  const front = head === '' ? [] : head.split(':');
  const back = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...front, ...Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back] : front;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * The SASL PLAIN mechanism of one connection (rhea's server mechanism interface: start, then
 * `outcome`; with the registry's rhea patch, `code` carries sys-temp).
 */
export class PlainMechanism {
  outcome: boolean | undefined;
  code: number | undefined;
  username: string | undefined;
  authorities: Authorities | undefined;

  constructor(
    private readonly login: Login,
    private readonly socket: Socket | undefined,
  ) {}

  async start(response: Buffer | undefined): Promise<void> {
    const [, user, password] = (response ?? Buffer.alloc(0)).toString('utf8').split('\0');
    if (!user || password === undefined) {
      this.outcome = false;
      return;
    }
    const gone = new AbortController();
    const leave = () => gone.abort();
    if (this.socket?.destroyed === true) gone.abort();
    this.socket?.once('close', leave);
    try {
      const result = await this.login.verify(user, password, { address: addressKey(this.socket?.remoteAddress), signal: gone.signal });
      this.outcome = 'authorities' in result;
      if ('authorities' in result) {
        this.username = user;
        this.authorities = result.authorities;
      } else this.code = result.refused;
    } finally {
      this.socket?.off('close', leave);
    }
  }
}
