/**
 * One tenant (/v1/tenants/{id}): what it is (with a JSON view), editing it, disabling or enabling
 * it, and deleting it after a confirmation that says how many devices go with it. Every change
 * carries If-Match of the version shown.
 */
import { useState } from 'preact/hooks';
import { messageOf, seg } from '../api';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { Notice, type NoticeState } from '../components/notice';
import { Page } from '../components/page';
import { useResource, WriteFailure } from '../components/resource';
import { can, type Grants } from '../grants';
import { href, navigate } from '../router';
import { search, type Json } from '../v1';
import { TenantForm } from './tenant-form';

/** How many live devices the tenant has (the total of a /v1 device search of size 0; none match: 404, 0); undefined when unknown. */
async function deviceCount(tenant: string): Promise<number | undefined> {
  try {
    return (await search(`/v1/devices/${seg(tenant)}`, { pageSize: 0 })).total;
  } catch {
    return undefined;
  }
}

function deleteText(tenant: string, devices: number | undefined): string {
  const what = devices === undefined ? 'all its devices' : devices === 0 ? 'no devices (it has none)' : `its ${devices} device${devices === 1 ? '' : 's'}`;
  return `Tenant ${tenant} is deleted with ${what} and their credentials. This cannot be undone.`;
}

export function TenantPage({ grants, id, created }: { grants: Grants; id: string; created: boolean }) {
  const tenant = useResource<Json>(`/v1/tenants/${seg(id)}`);
  const [notice, setNotice] = useState<NoticeState | undefined>(created ? { kind: 'info', text: `Created tenant ${id}.` } : undefined);
  const [confirm, setConfirm] = useState<ConfirmRequest>();
  const body = tenant.loaded?.body;
  const enabled = body?.enabled !== false;
  const save = async (next: Json) => {
    if (await tenant.write('PUT', next)) setNotice({ kind: 'info', text: `Saved tenant ${id}.` });
  };
  const toggle = async () => {
    if (await tenant.write('PATCH', { enabled: !enabled })) setNotice({ kind: 'info', text: `${enabled ? 'Disabled' : 'Enabled'} tenant ${id}.` });
  };
  const remove = async () => {
    const devices = await deviceCount(id);
    setConfirm({
      title: `Delete tenant ${id}?`, action: 'Delete', text: deleteText(id, devices),
      onConfirm: () => void tenant.write('DELETE', undefined, false).then((done) => done && navigate(href(['tenants'], { deleted: id }))),
    });
  };
  return (
    <Page title={`Tenant ${id}`}>
      <p><a href={href(['tenants'])}>← Tenants</a>{can(grants, 'devices:read') && <> · <a href={href(['devices'], { tenant: id })}>Devices of {id}</a></>}</p>
      <Notice notice={tenant.error !== undefined ? { kind: 'error', text: tenant.error } : notice} />
      <WriteFailure resource={tenant} what="tenant" />
      {body !== undefined && (
        <>
          <div class="toolbar" role="group" aria-label="Tenant actions">
            <span class={`state ${enabled ? 'up' : 'down'}`}>{enabled ? 'Enabled' : 'Disabled'}</span>
            {can(grants, 'tenants:update') && <button type="button" onClick={() => void toggle()}>{enabled ? 'Disable tenant' : 'Enable tenant'}</button>}
            {can(grants, 'tenants:delete') && <button type="button" class="danger" onClick={() => void remove().catch((err: unknown) => setNotice({ kind: 'error', text: messageOf(err) }))}>Delete tenant</button>}
          </div>
          {can(grants, 'tenants:update') && <TenantForm key={tenant.loaded?.etag} initial={body} onSave={(next) => void save(next)} />}
          <details class="card">
            <summary>JSON</summary>
            <pre class="json" tabIndex={0} aria-label={`Tenant ${id} as JSON`}>{JSON.stringify(body, null, 2)}</pre>
          </details>
        </>
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
    </Page>
  );
}
