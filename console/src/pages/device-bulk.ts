/**
 * Bulk actions on selected devices (POST /v1/bulk/devices/{tenant}/update|delete). Enabling and
 * disabling replace each device as read just before, with If-Match of that version, so a device
 * someone changed in between is reported (412), not overwritten.
 */
import { api, seg } from '../api';
import type { Json } from '../v1';

interface BulkResult { readonly id?: string; readonly status: number; readonly error?: string }

/** What happened: how many succeeded, and the failures by device. */
export interface BulkOutcome { readonly done: number; readonly failed: readonly string[] }

async function bulk(tenant: string, operation: 'update' | 'delete', items: readonly Json[]): Promise<BulkOutcome> {
  const { body } = await api<{ results: BulkResult[] }>('POST', `/v1/bulk/devices/${seg(tenant)}/${operation}`, { items });
  const failed = body.results.filter((r) => r.status >= 300).map((r) => `${r.id ?? '?'}: ${r.status === 412 ? 'changed meanwhile' : (r.error ?? String(r.status))}`);
  return { done: body.results.length - failed.length, failed };
}

/** Sets `enabled` on the devices: each is read with its version, then replaced with If-Match. */
export async function setEnabled(tenant: string, ids: readonly string[], enabled: boolean): Promise<BulkOutcome> {
  const read = await Promise.all(ids.map(async (id) => {
    const { body, etag } = await api<Json>('GET', `/v1/devices/${seg(tenant)}/${seg(id)}`);
    const { status: _status, id: _id, ...device } = body;
    return { id, device: { ...device, enabled }, ...(etag === undefined ? {} : { ifMatch: etag }) };
  }));
  return bulk(tenant, 'update', read);
}

/** Deletes the devices (onto the tenant's denied list). */
export function deleteDevices(tenant: string, ids: readonly string[]): Promise<BulkOutcome> {
  return bulk(tenant, 'delete', ids.map((id) => ({ id })));
}

/** A sentence for the page: `Disabled 3 devices.` plus the failures. */
export function outcomeText(verb: string, outcome: BulkOutcome): string {
  const done = `${verb} ${outcome.done} device${outcome.done === 1 ? '' : 's'}.`;
  return outcome.failed.length === 0 ? done : `${done} Not done: ${outcome.failed.join('; ')}.`;
}
