/**
 * The audit trail (GET /audit): newest first, filtered by tenant, paged towards older entries
 * (`before` the last entry shown). Only the tenants of the token are shown.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, query } from '../api';
import { Notice } from '../components/notice';
import { Page } from '../components/page';
import { useCursorPages } from '../components/paged';
import { Pager } from '../components/pager';
import { TableRegion } from '../components/table';
import { TenantField } from '../components/tenant-field';
import { when } from '../format';
import type { Grants } from '../grants';
import { href, navigate, type Location } from '../router';

const PAGE_SIZE = 50;

interface Entry { readonly id: string; readonly time: string; readonly token: string; readonly tenant?: string; readonly action: string; readonly target: string; readonly outcome: string }

function useAudit(tenant: string, before: string): { entries?: readonly Entry[]; error?: string } {
  const [state, setState] = useState<{ entries?: readonly Entry[]; error?: string }>({});
  useEffect(() => {
    let live = true;
    // One more than a page: whether there are older entries.
    api<Entry[]>('GET', `/audit${query({ tenant, limit: PAGE_SIZE + 1, before })}`).then(
      ({ body }) => live && setState({ entries: body }),
      (err: unknown) => live && setState({ error: messageOf(err) }),
    );
    return () => void (live = false);
  }, [tenant, before]);
  return state;
}

function Rows({ entries }: { entries: readonly Entry[] }) {
  return (
    <TableRegion label="Audit entries, newest first">
      <thead><tr><th scope="col">Time</th><th scope="col">Token</th><th scope="col">Tenant</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">Outcome</th></tr></thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.id}>
            <td class="when">{when(e.time)}</td>
            <td><code class="id">{e.token}</code></td>
            <td>{e.tenant ?? '—'}</td>
            <td>{e.action}</td>
            <td><code>{e.target}</code></td>
            <td class={Number(e.outcome) >= 400 ? 'outcome failed' : 'outcome'}>{e.outcome}</td>
          </tr>
        ))}
      </tbody>
    </TableRegion>
  );
}

export function Audit({ grants, where }: { grants: Grants; where: Location }) {
  const tenant = where.params.get('tenant') ?? '';
  const [draft, setDraft] = useState(tenant);
  const pages = useCursorPages();
  const { entries, error } = useAudit(tenant, pages.cursor);
  useEffect(() => {
    setDraft(tenant);
    pages.reset();
  }, [tenant]);
  const filter = (event: Event) => {
    event.preventDefault();
    navigate(href(['audit'], { tenant: draft.trim() }));
  };
  const shown = entries?.slice(0, PAGE_SIZE);
  const older = entries !== undefined && entries.length > PAGE_SIZE ? shown?.at(-1)?.id : undefined;
  return (
    <Page title="Audit" intro="Every change made through the management API, and every sign-in, newest first.">
      <form class="toolbar" onSubmit={filter} aria-label="Filter the audit trail">
        <TenantField grants={grants} id="audit-tenant" label="Tenant" required={false} value={draft} onInput={setDraft} />
        <button type="submit">Filter</button>
        {tenant !== '' && <button type="button" onClick={() => navigate(href(['audit']))}>Show every tenant</button>}
      </form>
      <Notice notice={error === undefined ? undefined : { kind: 'error', text: error }} />
      {shown !== undefined && shown.length === 0 && <p>No entries{tenant === '' ? '' : ` for tenant ${tenant}`}.</p>}
      {shown !== undefined && shown.length > 0 && <Rows entries={shown} />}
      {shown !== undefined && (pages.page > 1 || older !== undefined) && (
        <Pager what="audit entries" position={`Entries ${(pages.page - 1) * PAGE_SIZE + 1}–${(pages.page - 1) * PAGE_SIZE + shown.length}`}
          onPrevious={pages.back} onNext={older === undefined ? undefined : () => pages.forward(older)} />
      )}
    </Page>
  );
}
