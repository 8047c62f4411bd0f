/**
 * Choosing a tenant: a caller limited to some tenants picks one of them; a caller of every tenant
 * types an id, offered the first tenants of the /v1 tenant search (when it may read tenants).
 */
import { useEffect, useState } from 'preact/hooks';
import { can, everyTenant, type Grants } from '../grants';
import { search } from '../v1';

const SUGGESTED = 100;

/** The first tenant ids, for a caller of every tenant that may read them (none otherwise). */
function useSuggestions(grants: Grants): readonly string[] {
  const [ids, setIds] = useState<readonly string[]>([]);
  useEffect(() => {
    if (!everyTenant(grants) || !can(grants, 'tenants:read')) return;
    let live = true;
    search<{ id: string }>('/v1/tenants', { pageSize: SUGGESTED }).then((found) => live && setIds(found.result.map((t) => t.id)), () => undefined);
    return () => void (live = false);
  }, []);
  return ids;
}

export interface TenantFieldProps {
  readonly grants: Grants;
  readonly value: string;
  readonly onInput: (tenant: string) => void;
  readonly id: string;
  readonly label?: string;
  readonly required?: boolean;
}

export function TenantField({ grants, value, onInput, id, label = 'Tenant', required = true }: TenantFieldProps) {
  const suggestions = useSuggestions(grants);
  if (!everyTenant(grants)) {
    return (
      <div class="field">
        <label for={id}>{label}</label>
        <select id={id} value={value} required={required} onChange={(e) => onInput(e.currentTarget.value)}>
          {!required && <option value="">Every tenant of the token</option>}
          {grants.tenants.map((t) => <option key={t} value={t}>{t}</option>)}
        </select>
      </div>
    );
  }
  return (
    <label class="field" for={id}>
      <span>{label}</span>
      <input id={id} value={value} required={required} list={`${id}-suggestions`} autocomplete="off" spellcheck={false} maxLength={256} onInput={(e) => onInput(e.currentTarget.value)} />
      <datalist id={`${id}-suggestions`}>{suggestions.map((t) => <option key={t} value={t} />)}</datalist>
    </label>
  );
}

/** The tenant a page starts with: the one in its URL, else the caller's first (when limited). */
export function initialTenant(grants: Grants, fromUrl: string | null): string {
  if (fromUrl !== null && fromUrl !== '') return fromUrl;
  return everyTenant(grants) ? '' : (grants.tenants[0] ?? '');
}
