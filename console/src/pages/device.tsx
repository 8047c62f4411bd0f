/**
 * One device (/v1/devices/{tenant}/{id}): its status (created, updated, last user), its
 * registration as a form and as JSON, and its credentials. Changes carry If-Match of the version
 * shown; deleting puts it onto the denied list after a confirmation.
 */
import { useState } from 'preact/hooks';
import { seg } from '../api';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { Notice, type NoticeState } from '../components/notice';
import { Page } from '../components/page';
import { useResource, WriteFailure } from '../components/resource';
import { when } from '../format';
import { can, type Grants } from '../grants';
import { href, navigate } from '../router';
import type { Json } from '../v1';
import { Credentials } from './credentials';
import { DeviceForm } from './device-form';

function Status({ status }: { status: Json | undefined }) {
  return (
    <div class="card">
      <h2>Status</h2>
      <dl>
        <dt>Created</dt><dd>{when(status?.created as string | undefined)}</dd>
        <dt>Updated</dt><dd>{when(status?.updated as string | undefined)}</dd>
        <dt>Last changed by</dt><dd><code>{String(status?.['last-user'] ?? '—')}</code></dd>
        {status?.['auto-provisioned'] === true && <><dt>Auto-provisioned</dt><dd>yes</dd></>}
      </dl>
    </div>
  );
}

export function DevicePage({ grants, tenant, id, created }: { grants: Grants; tenant: string; id: string; created: boolean }) {
  const device = useResource<Json>(`/v1/devices/${seg(tenant)}/${seg(id)}`);
  const [notice, setNotice] = useState<NoticeState | undefined>(created ? { kind: 'info', text: `Created device ${id}.` } : undefined);
  const [confirm, setConfirm] = useState<ConfirmRequest>();
  const body = device.loaded?.body;
  const save = async (next: Json) => {
    if (await device.write('PUT', next)) setNotice({ kind: 'info', text: `Saved device ${id}.` });
  };
  const remove = () => setConfirm({
    title: `Delete device ${id}?`, action: 'Delete',
    text: `Device ${id} of tenant ${tenant} goes onto the denied list and its credentials are destroyed. It can be restored from Denied devices, without credentials.`,
    onConfirm: () => void device.write('DELETE', undefined, false).then((done) => done && navigate(href(['devices'], { tenant }))),
  });
  return (
    <Page title={`Device ${id}`}>
      <p><a href={href(['devices'], { tenant })}>← Devices of {tenant}</a></p>
      <Notice notice={device.error !== undefined ? { kind: 'error', text: device.error } : notice} />
      <WriteFailure resource={device} what="device" />
      {body !== undefined && (
        <>
          {can(grants, 'devices:delete') && (
            <div class="toolbar" role="group" aria-label="Device actions">
              <button type="button" class="danger" onClick={remove}>Delete device</button>
            </div>
          )}
          <div class="cards">
            <Status status={body.status as Json | undefined} />
            <details class="card json-view">
              <summary>JSON</summary>
              <pre class="json" tabIndex={0} aria-label={`Device ${id} as JSON`}>{JSON.stringify(body, null, 2)}</pre>
            </details>
          </div>
          {can(grants, 'devices:update') && <DeviceForm key={device.loaded?.etag} initial={body} onSave={(next) => void save(next)} />}
          {can(grants, 'credentials:read') && <Credentials grants={grants} tenant={tenant} device={id} />}
        </>
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
    </Page>
  );
}
