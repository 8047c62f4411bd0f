/**
 * Hashing of plain passwords: native bcrypt on the libuv thread pool (never on the event loop),
 * `$2a$` prefix because Hono's adapters verify only that variant (docs/amqp-api.md §14.10).
 */
import bcrypt from 'bcrypt';

export interface PasswordHasher {
  /** A `$2a$<cost>$…` hash of the password. */
  hash(plain: string): Promise<string>;
  /** True when `hash` is a bcrypt hash of `plain`. */
  verify(plain: string, hash: string): Promise<boolean>;
}

/** `observe` receives the seconds each hash took (metrics). */
export function createBcryptHasher(cost: number, observe?: (seconds: number) => void): PasswordHasher {
  return {
    async hash(plain) {
      const started = performance.now();
      const salt = await bcrypt.genSalt(cost, 'a');
      const hash = await bcrypt.hash(plain, salt);
      observe?.((performance.now() - started) / 1000);
      return hash;
    },
    verify: (plain, hash) => bcrypt.compare(plain, hash),
  };
}
