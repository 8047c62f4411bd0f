/**
 * What the console's overview shows besides the lookup history (docs/console.md): whether Redis
 * answers, and what it is; how many tenants there are, for a caller that may read them all.
 */
import { RegistryError } from '../errors.js';
import { hasScope, type Caller } from '../model/tokens.js';
import type { RedisStatus, StoreOverview } from '../store/store.js';

export type RedisReport =
  | { readonly status: 'up'; readonly mode: RedisStatus['mode']; readonly version: string; readonly masters: number; readonly 'used-memory-bytes': number; readonly 'round-trip-ms': number }
  | { readonly status: 'down'; readonly error: string };

export interface Overview {
  readonly redis: RedisReport;
  /** Present for a caller with tenants:read on every tenant, and while Redis answers. */
  readonly tenants?: number;
}

export interface OverviewService {
  /** Never fails for Redis being down: that is what it reports then. */
  read(caller: Caller): Promise<Overview>;
}

export function createOverviewService(store: StoreOverview): OverviewService {
  async function redis(): Promise<RedisReport> {
    const started = performance.now();
    try {
      const status = await store.status();
      const ms = Math.round((performance.now() - started) * 1000) / 1000;
      return { status: 'up', mode: status.mode, version: status.version, masters: status.masters, 'used-memory-bytes': status.usedMemoryBytes, 'round-trip-ms': ms };
    } catch (err) {
      return { status: 'down', error: err instanceof RegistryError ? err.message : 'Redis did not answer' };
    }
  }

  return {
    async read(caller) {
      const report = await redis();
      const seesAll = hasScope(caller, 'tenants:read') && caller.tenants.includes('*');
      if (report.status === 'down' || !seesAll) return { redis: report };
      return { redis: report, tenants: await store.countTenants() };
    },
  };
}
