/**
 * Hashing of plain passwords: native bcrypt on the libuv thread pool (never on the event loop),
 * `$2a$` prefix because Hono's adapters verify only that variant (hono-amqp-apis.md §14.10).
 */
import bcrypt from 'bcrypt';

export interface PasswordHasher {
  /** A `$2a$<cost>$…` hash of the password. */
  hash(plain: string): Promise<string>;
}

export function createBcryptHasher(cost: number): PasswordHasher {
  return {
    async hash(plain) {
      const salt = await bcrypt.genSalt(cost, 'a');
      return bcrypt.hash(plain, salt);
    },
  };
}
