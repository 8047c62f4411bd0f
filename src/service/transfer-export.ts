/**
 * Export of the store's tenants, devices and credentials as the JSON text they are stored as, in
 * hash-scan order (see docs/import-export.md). Used by `device-registry export`.
 */
import { legacyData } from '../model/device.js';
import type { Store } from '../store/store.js';

export function createExportService(store: Store) {
  return {
    /** Every stored tenant as JSON text (with its `tenant-id`). */
    async *tenants(): AsyncGenerator<string> {
      let cursor = '0';
      do {
        const page = await store.scanTenants(cursor, 500);
        for (const [, json] of page.entries) yield json;
        cursor = page.cursor;
      } while (cursor !== '0');
    },

    /**
     * The tenant's devices as `{"device-id", "data"}` JSON text (each once, even when the hash was
     * resized during the scan); the data as the legacy face shows it, without the registry's `status`.
     */
    async *devices(tenantId: string): AsyncGenerator<string> {
      for await (const [id, json] of scanOnce((c) => store.scanDevices(tenantId, c, 1000))) yield `{"device-id":${JSON.stringify(id)},"data":${legacyData(json)}}`;
    },

    /** The tenant's credentials records as JSON text. */
    async *credentials(tenantId: string): AsyncGenerator<string> {
      for await (const [, json] of scanOnce((c) => store.scanCredentials(tenantId, c, 1000))) yield json;
    },

    /**
     * Devices with their credentials records; then, with `data` undefined, the credentials of
     * devices that have no registration.
     */
    async *devicesWithCredentials(tenantId: string): AsyncGenerator<{ deviceId: string; data: string | undefined; credentials: string[] }> {
      const page: (readonly [string, string])[] = [];
      const flush = async function* () {
        const lists = await store.credentialsOfDevices(tenantId, page.map(([id]) => id));
        for (const [i, [deviceId, data]] of page.entries()) yield { deviceId, data: legacyData(data), credentials: lists[i] ?? [] };
        page.length = 0;
      };
      for await (const entry of scanOnce((c) => store.scanDevices(tenantId, c, 1000))) {
        page.push(entry);
        if (page.length >= 500) yield* flush();
      }
      if (page.length > 0) yield* flush();
      const orphans: string[] = [];
      const flushOrphans = async function* () {
        const registered = await store.lookupDevices(tenantId, orphans);
        const missing = orphans.filter((_, i) => registered[i] === null || registered[i] === undefined);
        const lists = await store.credentialsOfDevices(tenantId, missing);
        for (const [i, deviceId] of missing.entries()) if ((lists[i] ?? []).length > 0) yield { deviceId, data: undefined, credentials: lists[i] ?? [] };
        orphans.length = 0;
      };
      for await (const [deviceId] of scanOnce((c) => store.scanCredentialIndex(tenantId, c, 1000))) {
        orphans.push(deviceId);
        if (orphans.length >= 500) yield* flushOrphans();
      }
      if (orphans.length > 0) yield* flushOrphans();
    },
  };
}

/** A full hash scan, each field once (HSCAN may repeat fields when the hash is resized meanwhile). */
async function* scanOnce(page: (cursor: string) => Promise<{ cursor: string; entries: readonly (readonly [string, string])[] }>): AsyncGenerator<readonly [string, string]> {
  const seen = new Set<string>();
  let cursor = '0';
  do {
    const result = await page(cursor);
    for (const entry of result.entries) {
      if (seen.has(entry[0])) continue;
      seen.add(entry[0]);
      yield entry;
    }
    cursor = result.cursor;
  } while (cursor !== '0');
}
