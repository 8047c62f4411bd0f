/**
 * Denied devices of a tenant (GET /denied-devices/{tenant}): deleted devices, kept denied until an
 * operator restores one (its registration comes back, not its credentials) or purges it for good.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, query, seg } from '../api';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { Notice, type NoticeState } from '../components/notice';
import { Page } from '../components/page';
import { linkParam, useCursorPages } from '../components/paged';
import { Pager } from '../components/pager';
import { TableRegion } from '../components/table';
import { initialTenant, TenantField } from '../components/tenant-field';
import { can, type Grants } from '../grants';
import { href, navigate, type Location } from '../router';

const PAGE_SIZE = 20;

interface Listing { readonly tenant: string; readonly ids: readonly string[]; readonly next: string | undefined }

function useDenied(tenant: string, cursor: string, reloads: number): { listing?: Listing; error?: string } {
  const [state, setState] = useState<{ listing?: Listing; error?: string }>({});
  useEffect(() => {
    if (tenant === '') return setState({});
    let live = true;
    api<string[]>('GET', `/denied-devices/${seg(tenant)}${query({ limit: PAGE_SIZE, cursor })}`).then(
      ({ body, next }) => live && setState({ listing: { tenant, ids: body, next: linkParam(next, 'cursor') } }),
      (err: unknown) => live && setState({ error: messageOf(err) }),
    );
    return () => void (live = false);
  }, [tenant, cursor, reloads]);
  return state;
}

function Rows({ listing, grants, onRestore, onPurge }: { listing: Listing; grants: Grants; onRestore: (id: string) => void; onPurge: (id: string) => void }) {
  const restores = can(grants, 'devices:delete');
  const purges = restores && can(grants, 'devices:purge');
  return (
    <TableRegion label={`Denied devices of tenant ${listing.tenant}`}>
      <thead><tr><th scope="col">Device</th>{restores && <th scope="col">Actions</th>}</tr></thead>
      <tbody>
        {listing.ids.map((id) => (
          <tr key={id}>
            <td><code class="id">{id}</code></td>
            {restores && (
              <td>
                <div class="row-actions">
                  <button type="button" onClick={() => onRestore(id)} aria-label={`Restore ${id}`}>Restore</button>
                  {purges && <button type="button" class="danger" onClick={() => onPurge(id)} aria-label={`Purge ${id}`}>Purge</button>}
                </div>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </TableRegion>
  );
}

export function DeniedDevices({ grants, where }: { grants: Grants; where: Location }) {
  const tenant = initialTenant(grants, where.params.get('tenant'));
  const [draft, setDraft] = useState(tenant);
  const pages = useCursorPages();
  const [reloads, setReloads] = useState(0);
  const [notice, setNotice] = useState<NoticeState>();
  const [confirm, setConfirm] = useState<ConfirmRequest>();
  const { listing, error } = useDenied(tenant, pages.cursor, reloads);
  useEffect(() => {
    setDraft(tenant);
    pages.reset();
  }, [tenant]);
  const show = (event: Event) => {
    event.preventDefault();
    setNotice(undefined);
    navigate(href(['denied'], { tenant: draft.trim() }));
  };
  const release = async (id: string, purge: boolean) => {
    try {
      await api('DELETE', `/denied-devices/${seg(tenant)}/${seg(id)}${purge ? '?purge=true' : ''}`);
      setNotice({ kind: 'info', text: purge ? `Purged ${id}: its id and identities are free again.` : `Restored ${id}: its registration is back; its credentials are not.` });
      setReloads(reloads + 1);
    } catch (err) {
      setNotice({ kind: 'error', text: messageOf(err) });
    }
  };
  const purge = (id: string) => setConfirm({
    title: `Purge ${id}?`, action: 'Purge',
    text: `Device ${id} of tenant ${tenant} is forgotten for good: it can no longer be restored, and its id and the identities of its former credentials are free again.`,
    onConfirm: () => void release(id, true),
  });
  return (
    <Page title="Denied devices" intro="A deleted device stays denied: adapters cannot use it, and its credentials' identities stay reserved until it is restored or purged.">
      <form class="toolbar" onSubmit={show} aria-label="Choose a tenant">
        <TenantField grants={grants} id="denied-tenant" value={draft} onInput={setDraft} />
        <button type="submit">Show</button>
      </form>
      <Notice notice={error !== undefined ? { kind: 'error', text: error } : notice} />
      {listing !== undefined && listing.ids.length === 0 && <p>No denied devices{pages.page > 1 ? ' on this page' : ''} in tenant {listing.tenant}.</p>}
      {listing !== undefined && listing.ids.length > 0 && <Rows listing={listing} grants={grants} onRestore={(id) => void release(id, false)} onPurge={purge} />}
      {listing !== undefined && (pages.page > 1 || listing.next !== undefined) && (
        <Pager what="denied devices" position={`Page ${pages.page}`} onPrevious={pages.back} onNext={listing.next === undefined ? undefined : () => pages.forward(listing.next as string)} />
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
    </Page>
  );
}
