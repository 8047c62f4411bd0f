/**
 * Hono-style authorities of AMQP clients (docs/amqp-api.md §10): resource permissions
 * (READ/WRITE on addresses, checked at link attach) and operation permissions (EXECUTE on
 * `<endpoint>/<tenant>:<operation>`, checked per request), with Hono's wildcard fallbacks.
 */

export type Activity = 'READ' | 'WRITE' | 'EXECUTE';

export interface Authority {
  /** `registration/*`, `tenant`, `credentials/DEFAULT_TENANT`, `*` … */
  readonly resource?: string;
  /** `registration/*:assert`, `tenant/DEFAULT_TENANT:*`, `*:*` … */
  readonly operation?: string;
  readonly activities: readonly Activity[];
}

export interface Authorities {
  /** May the client READ (receive from) or WRITE (send to) this address? */
  mayAccess(address: string, activity: 'READ' | 'WRITE'): boolean;
  /** May the client EXECUTE `operation` on `<endpoint>[/<tenant>]`? */
  mayExecute(endpointAddress: string, operation: string): boolean;
}

/** Addresses to try for a resource, most specific first (Hono's AuthoritiesImpl). */
export function resourceCandidates(address: string): string[] {
  const [endpoint = '', tenant] = address.split('/');
  const candidates = [address];
  if (tenant !== undefined) candidates.push(`${endpoint}/${tenant}`, `${endpoint}/*`);
  candidates.push(endpoint, '*');
  return [...new Set(candidates)];
}

/** Operation keys to try, most specific first. */
export function operationCandidates(endpointAddress: string, operation: string): string[] {
  const [endpoint = '', tenant] = endpointAddress.split('/');
  const candidates: string[] = [];
  if (tenant !== undefined) candidates.push(`${endpoint}/${tenant}:${operation}`, `${endpoint}/${tenant}:*`);
  candidates.push(`${endpoint}/*:${operation}`, `${endpoint}/*:*`, `${endpoint}:${operation}`, `${endpoint}:*`, `*:${operation}`, '*:*');
  return [...new Set(candidates)];
}

/** Indexes a list of authorities for constant-time checks. */
export function createAuthorities(list: readonly Authority[]): Authorities {
  const granted = new Set<string>();
  for (const authority of list) {
    for (const activity of authority.activities) {
      if (authority.resource !== undefined) granted.add(`r:${authority.resource}|${activity}`);
      if (authority.operation !== undefined) granted.add(`o:${authority.operation}|${activity}`);
    }
  }
  // Every request checks EXECUTE: its answer is remembered (the granted set never changes), by
  // `<endpoint>[/<tenant>]` then operation; past EXECUTE_MEMO_LIMIT answers the memo starts over.
  const executeMemo = new Map<string, Map<string, boolean>>();
  let remembered = 0;
  return {
    mayAccess: (address, activity) => resourceCandidates(address).some((c) => granted.has(`r:${c}|${activity}`)),
    mayExecute: (endpointAddress, operation) => {
      let byOperation = executeMemo.get(endpointAddress);
      const known = byOperation?.get(operation);
      if (known !== undefined) return known;
      const allowed = operationCandidates(endpointAddress, operation).some((c) => granted.has(`o:${c}|EXECUTE`));
      if (remembered >= EXECUTE_MEMO_LIMIT) {
        executeMemo.clear();
        remembered = 0;
        byOperation = undefined;
      }
      if (byOperation === undefined) executeMemo.set(endpointAddress, (byOperation = new Map()));
      byOperation.set(operation, allowed);
      remembered++;
      return allowed;
    },
  };
}

/** Remembered EXECUTE answers per set of authorities (bounds the memory a client can make it use). */
export const EXECUTE_MEMO_LIMIT = 10_000;

/** Every permission: development mode (ANONYMOUS) and tests. */
export const ALL_AUTHORITIES: Authorities = { mayAccess: () => true, mayExecute: () => true };
