/**
 * Choosing a tenant: a caller limited to some tenants picks one of them; a caller of every tenant
 * types an id, with `suggestions` offered (part 2 fills them from the /v1 tenant search).
 */
import { everyTenant, type Grants } from '../grants';

export interface TenantFieldProps {
  readonly grants: Grants;
  readonly value: string;
  readonly onInput: (tenant: string) => void;
  readonly id: string;
  readonly label?: string;
  readonly required?: boolean;
  /** Ids offered to a caller of every tenant. */
  readonly suggestions?: readonly string[];
}

export function TenantField({ grants, value, onInput, id, label = 'Tenant', required = true, suggestions = [] }: TenantFieldProps) {
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
