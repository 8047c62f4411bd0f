/**
 * Tenants (GET /v1/tenants): the tenants the token holds, searched by id (wildcards), a page of
 * 20 at a time, with the total; creating one (POST /v1/tenants/{id}, or a generated id).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, seg } from '../api';
import { Notice } from '../components/notice';
import { Page } from '../components/page';
import { Pager } from '../components/pager';
import { TableRegion } from '../components/table';
import { can, everyTenant, type Grants } from '../grants';
import { href, navigate, type Location } from '../router';
import { idPattern, search, type Json, type SearchPage } from '../v1';

const PAGE_SIZE = 20;

interface Tenant extends Json { readonly id: string }

function useTenants(text: string, page: number): { found?: SearchPage<Tenant>; error?: string } {
  const [state, setState] = useState<{ found?: SearchPage<Tenant>; error?: string }>({});
  useEffect(() => {
    let live = true;
    const filters = text === '' ? [] : [{ field: '/id', value: idPattern(text) }];
    search<Tenant>('/v1/tenants', { pageSize: PAGE_SIZE, pageOffset: page, filters }).then(
      (found) => live && setState({ found }),
      (err: unknown) => live && setState({ error: messageOf(err) }),
    );
    return () => void (live = false);
  }, [text, page]);
  return state;
}

function Rows({ tenants, grants }: { tenants: readonly Tenant[]; grants: Grants }) {
  return (
    <TableRegion label="Tenants">
      <thead><tr><th scope="col">Tenant</th><th scope="col">Enabled</th><th scope="col">Alias</th><th scope="col">Adapters</th><th scope="col">Trusted CAs</th>{can(grants, 'devices:read') && <th scope="col">Devices</th>}</tr></thead>
      <tbody>
        {tenants.map((t) => (
          <tr key={t.id}>
            <td><a href={href(['tenants', t.id])}><code class="id">{t.id}</code></a></td>
            <td>{t.enabled === false ? 'no' : 'yes'}</td>
            <td>{typeof t.alias === 'string' ? t.alias : '—'}</td>
            <td>{Array.isArray(t.adapters) ? (t.adapters as Json[]).map((a) => String(a.type)).join(', ') : 'all'}</td>
            <td>{Array.isArray(t['trusted-ca']) ? (t['trusted-ca'] as unknown[]).length : 0}</td>
            {can(grants, 'devices:read') && <td><a href={href(['devices'], { tenant: t.id })} aria-label={`Devices of ${t.id}`}>Devices</a></td>}
          </tr>
        ))}
      </tbody>
    </TableRegion>
  );
}

function CreateTenant({ grants }: { grants: Grants }) {
  const [id, setId] = useState('');
  const [error, setError] = useState<string>();
  const generated = everyTenant(grants);
  const create = async (event: Event) => {
    event.preventDefault();
    try {
      const path = id.trim() === '' ? '/v1/tenants' : `/v1/tenants/${seg(id.trim())}`;
      const { body } = await api<{ id: string }>('POST', path);
      navigate(href(['tenants', body.id], { created: '1' }));
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <form class="card form" onSubmit={create} aria-label="Create a tenant">
      <h2>Create a tenant</h2>
      <Notice notice={error === undefined ? undefined : { kind: 'error', text: error }} />
      <label class="field" for="new-tenant-id">
        <span>New tenant id</span>
        <input id="new-tenant-id" value={id} required={!generated} pattern="[a-zA-Z0-9\-_.]+" maxLength={256} autocomplete="off" spellcheck={false} onInput={(e) => setId(e.currentTarget.value)} />
        {generated && <span class="hint">Leave it empty for a generated id.</span>}
      </label>
      <button type="submit" class="primary">Create tenant</button>
    </form>
  );
}

export function Tenants({ grants, where }: { grants: Grants; where: Location }) {
  const text = where.params.get('q') ?? '';
  const page = Math.max(0, Number(where.params.get('page') ?? 0) || 0);
  const deleted = where.params.get('deleted');
  const [draft, setDraft] = useState(text);
  const { found, error } = useTenants(text, page);
  useEffect(() => setDraft(text), [text]);
  const go = (q: string, p: number) => navigate(href(['tenants'], { q, page: p > 0 ? String(p) : undefined }));
  const first = page * PAGE_SIZE;
  return (
    <Page title="Tenants" intro="The tenants this token holds. Open one to edit its adapters, trusted CAs, limits and ext, to disable or to delete it.">
      <form class="toolbar" role="search" aria-label="Search tenants" onSubmit={(e) => (e.preventDefault(), go(draft.trim(), 0))}>
        <label class="field" for="tenant-search">
          <span>Tenant id (* and ? are wildcards)</span>
          <input id="tenant-search" value={draft} autocomplete="off" spellcheck={false} maxLength={256} onInput={(e) => setDraft(e.currentTarget.value)} />
        </label>
        <button type="submit">Search</button>
      </form>
      <Notice notice={error !== undefined ? { kind: 'error', text: error } : deleted === null ? undefined : { kind: 'info', text: `Deleted tenant ${deleted}.` }} />
      {found !== undefined && <p aria-live="polite">{found.total === 0 ? 'No tenants match.' : `${found.total} tenant${found.total === 1 ? '' : 's'}${text === '' ? '' : ` match ${idPattern(text)}`}.`}</p>}
      {found !== undefined && found.result.length > 0 && <Rows tenants={found.result} grants={grants} />}
      {found !== undefined && found.total > PAGE_SIZE && (
        <Pager what="tenants" position={`Tenants ${first + 1}–${first + found.result.length} of ${found.total}`}
          onPrevious={page > 0 ? () => go(text, page - 1) : undefined} onNext={first + PAGE_SIZE < found.total ? () => go(text, page + 1) : undefined} />
      )}
      {can(grants, 'tenants:create') && <CreateTenant grants={grants} />}
    </Page>
  );
}
