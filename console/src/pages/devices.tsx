/**
 * Devices of a tenant (GET /v1/devices/{tenant}): a table of 20 a page with the total, sorted by
 * a column, filtered (device-filters.tsx); selecting many to enable, disable or delete them with
 * the bulk API; creating one. Filters, sort and page live in the URL.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, seg } from '../api';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { Notice, type NoticeState } from '../components/notice';
import { Page } from '../components/page';
import { Pager } from '../components/pager';
import { initialTenant } from '../components/tenant-field';
import { can, type Grants } from '../grants';
import { href, navigate, type Location } from '../router';
import { search, type SearchPage, type Sort } from '../v1';
import { deleteDevices, outcomeText, setEnabled } from './device-bulk';
import { DeviceFilters, deviceSearch, FILTER_PARAMS, type FilterValues } from './device-filters';
import { DeviceRows, type Device } from './device-rows';

const PAGE_SIZE = 20;

function useDevices(tenant: string, values: FilterValues, sort: Sort, page: number, reloads: number): { found?: SearchPage<Device>; error?: string } {
  const [state, setState] = useState<{ found?: SearchPage<Device>; error?: string }>({});
  const key = JSON.stringify([tenant, values, sort, page, reloads]);
  useEffect(() => {
    if (tenant === '') return setState({});
    let live = true;
    search<Device>(`/v1/devices/${seg(tenant)}`, deviceSearch(values, sort, page, PAGE_SIZE)).then(
      (found) => live && setState({ found }),
      (err: unknown) => live && setState({ error: messageOf(err) }),
    );
    return () => void (live = false);
  }, [key]);
  return state;
}

function CreateDevice({ tenant }: { tenant: string }) {
  const [id, setId] = useState('');
  const [error, setError] = useState<string>();
  const create = async (event: Event) => {
    event.preventDefault();
    try {
      const { body } = await api<{ id: string }>('POST', `/v1/devices/${seg(tenant)}${id.trim() === '' ? '' : `/${seg(id.trim())}`}`);
      navigate(href(['devices', tenant, body.id], { created: '1' }));
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <form class="card form" onSubmit={create} aria-label="Create a device">
      <h2>Create a device in {tenant}</h2>
      <Notice notice={error === undefined ? undefined : { kind: 'error', text: error }} />
      <label class="field" for="new-device-id">
        <span>New device id</span>
        <input id="new-device-id" value={id} pattern="[a-zA-Z0-9\-_.:=]+" maxLength={256} autocomplete="off" spellcheck={false} onInput={(e) => setId(e.currentTarget.value)} />
        <span class="hint">Leave it empty for a generated id.</span>
      </label>
      <button type="submit" class="primary">Create device</button>
    </form>
  );
}

function BulkBar({ grants, count, onEnable, onDelete }: { grants: Grants; count: number; onEnable: (enabled: boolean) => void; onDelete: () => void }) {
  if (!can(grants, 'devices:update') && !can(grants, 'devices:delete')) return null;
  return (
    <div class="toolbar" role="group" aria-label="With the selected devices">
      <span>{count} selected</span>
      {can(grants, 'devices:update') && <button type="button" disabled={count === 0} onClick={() => onEnable(true)}>Enable selected</button>}
      {can(grants, 'devices:update') && <button type="button" disabled={count === 0} onClick={() => onEnable(false)}>Disable selected</button>}
      {can(grants, 'devices:delete') && <button type="button" class="danger" disabled={count === 0} onClick={onDelete}>Delete selected</button>}
    </div>
  );
}

function readView(where: Location): { values: FilterValues; sort: Sort; page: number } {
  const values: FilterValues = {};
  for (const name of FILTER_PARAMS) {
    const value = where.params.get(name);
    if (value !== null && value !== '') values[name] = value;
  }
  const sort: Sort = { field: where.params.get('sort') ?? '/id', direction: where.params.get('dir') === 'desc' ? 'desc' : 'asc' };
  return { values, sort, page: Math.max(0, Number(where.params.get('page') ?? 0) || 0) };
}

export function Devices({ grants, where }: { grants: Grants; where: Location }) {
  const tenant = initialTenant(grants, where.params.get('tenant'));
  const { values, sort, page } = readView(where);
  const [reloads, setReloads] = useState(0);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [notice, setNotice] = useState<NoticeState>();
  const [confirm, setConfirm] = useState<ConfirmRequest>();
  const { found, error } = useDevices(tenant, values, sort, page, reloads);
  useEffect(() => setSelected(new Set()), [found]);
  const go = (next: { tenant?: string; values?: FilterValues; sort?: Sort; page?: number }) => {
    const s = next.sort ?? sort;
    const p = next.page ?? 0;
    navigate(href(['devices'], { tenant: next.tenant ?? tenant, ...(next.values ?? values), sort: s.field === '/id' ? undefined : s.field, dir: s.direction === 'asc' ? undefined : 'desc', page: p > 0 ? String(p) : undefined }));
  };
  const act = async (verb: string, run: () => Promise<Parameters<typeof outcomeText>[1]>) => {
    try {
      const outcome = await run();
      setNotice({ kind: outcome.failed.length === 0 ? 'info' : 'error', text: outcomeText(verb, outcome) });
    } catch (err) {
      setNotice({ kind: 'error', text: messageOf(err) });
    }
    setReloads((n) => n + 1);
  };
  const ids = [...selected];
  const remove = () => setConfirm({
    title: `Delete ${ids.length} device${ids.length === 1 ? '' : 's'}?`, action: 'Delete',
    text: `${ids.join(', ')} of tenant ${tenant} go onto the denied list; their credentials are destroyed. Denied devices can be restored, without credentials.`,
    onConfirm: () => void act('Deleted', () => deleteDevices(tenant, ids)),
  });
  const first = page * PAGE_SIZE;
  return (
    <Page title="Devices" intro="The devices of a tenant. Filters combine; a value with * or ? matches as a pattern.">
      <DeviceFilters key={JSON.stringify([tenant, values])} grants={grants} tenant={tenant} values={values} onApply={(t, v) => go({ tenant: t, values: v })} />
      <Notice notice={error !== undefined ? { kind: 'error', text: error } : notice} />
      {found !== undefined && <p aria-live="polite">{found.total === 0 ? `No devices in ${tenant} match.` : `${found.total} device${found.total === 1 ? '' : 's'} in ${tenant}.`}</p>}
      {found !== undefined && found.result.length > 0 && (
        <>
          <BulkBar grants={grants} count={ids.length} onEnable={(on) => void act(on ? 'Enabled' : 'Disabled', () => setEnabled(tenant, ids, on))} onDelete={remove} />
          <DeviceRows tenant={tenant} devices={found.result} sort={sort} onSort={(s) => go({ sort: s })}
            selectable={can(grants, 'devices:update') || can(grants, 'devices:delete')} selected={selected} onSelect={setSelected} />
        </>
      )}
      {found !== undefined && found.total > PAGE_SIZE && (
        <Pager what="devices" position={`Devices ${first + 1}–${first + found.result.length} of ${found.total}`}
          onPrevious={page > 0 ? () => go({ page: page - 1 }) : undefined} onNext={first + PAGE_SIZE < found.total ? () => go({ page: page + 1 }) : undefined} />
      )}
      {tenant !== '' && can(grants, 'devices:create') && <CreateDevice tenant={tenant} />}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
    </Page>
  );
}
