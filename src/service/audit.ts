/**
 * The audit trail (docs/security.md): every mutating management call and every token change,
 * appended to a bounded stream; read with `audit:read` within the caller's tenants.
 * Entries hold ids and outcomes only: no secret, password, hash or body ever enters them.
 */
import { RegistryError } from '../errors.js';
import type { Caller } from '../model/tokens.js';
import type { AuditEntry, SecurityStore } from '../store/store.js';

export interface AuditRecord {
  readonly action: string;
  readonly target: string;
  readonly tenant?: string;
  /** HTTP status of the outcome. */
  readonly status: number;
}

export interface AuditService {
  /** Appends an entry; a failure to write is reported to `onError` and never fails the call itself. */
  record(caller: Caller, record: AuditRecord): void;
  /** Newest first. FORBIDDEN for a tenant outside the caller's list. */
  read(caller: Caller, query: { tenant?: string; limit: number; before?: string }): Promise<AuditEntry[]>;
}

export function createAuditService(store: SecurityStore, onError: (err: unknown) => void, now: () => Date = () => new Date()): AuditService {
  return {
    record(caller, record) {
      const entry: AuditEntry = {
        time: now().toISOString(),
        token: caller.tokenId,
        ...(record.tenant === undefined ? {} : { tenant: record.tenant }),
        action: record.action,
        target: record.target,
        outcome: String(record.status),
      };
      store.appendAudit(entry).catch(onError);
    },
    async read(caller, query) {
      const all = caller.tenants.includes('*');
      if (query.tenant !== undefined && !all && !caller.tenants.includes(query.tenant)) {
        throw new RegistryError('FORBIDDEN', `the token has no access to tenant "${query.tenant}"`);
      }
      const tenants = query.tenant !== undefined ? [query.tenant] : all ? undefined : caller.tenants;
      return store.readAudit({ ...(tenants === undefined ? {} : { tenants }), limit: query.limit, ...(query.before === undefined ? {} : { before: query.before }) });
    },
  };
}
