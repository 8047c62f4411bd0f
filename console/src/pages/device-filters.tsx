/**
 * The filters of the device table, kept in the URL (`#/devices?tenant=t&id=s*&enabled=false`):
 * id (wildcards), enabled, gateways or not, a gateway it is connected through, a group that
 * serves it, any `ext` field; and the sort. Each becomes a /v1 search parameter.
 */
import { useState } from 'preact/hooks';
import { TenantField } from '../components/tenant-field';
import type { Grants } from '../grants';
import { idPattern, type Filter, type SearchRequest, type Sort } from '../v1';

/** The URL parameters the filters use. */
export const FILTER_PARAMS = ['id', 'enabled', 'gateway', 'via', 'group', 'extField', 'extValue'] as const;
export type FilterValues = Partial<Record<(typeof FILTER_PARAMS)[number], string>>;

/** A typed value as the search compares it: true/false and whole numbers as such, else a string. */
export function typedValue(text: string): string | number | boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  return /^-?\d{1,15}$/.test(text) ? Number(text) : text;
}

/** The search of the filters and sort, a page of `pageSize`. */
export function deviceSearch(values: FilterValues, sort: Sort, page: number, pageSize: number): SearchRequest {
  const filters: Filter[] = [];
  if (values.id) filters.push({ field: '/id', value: idPattern(values.id) });
  if (values.enabled) filters.push({ field: '/enabled', value: values.enabled === 'true' });
  if (values.via) filters.push({ field: '/via', value: values.via });
  if (values.group) filters.push({ field: '/viaGroups', value: values.group });
  if (values.extField && values.extValue !== undefined) {
    const field = values.extField.split('/').filter((s) => s !== '').map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
    filters.push({ field: `/ext/${field}`, value: typedValue(values.extValue) });
  }
  return { pageSize, pageOffset: page, filters, sort, ...(values.gateway ? { extra: { isGateway: values.gateway } } : {}) };
}

function Text({ id, label, value, onInput }: { id: string; label: string; value: string | undefined; onInput: (v: string) => void }) {
  return (
    <label class="field" for={id}>
      <span>{label}</span>
      <input id={id} value={value ?? ''} autocomplete="off" spellcheck={false} maxLength={256} onInput={(e) => onInput(e.currentTarget.value)} />
    </label>
  );
}

function Choice({ id, label, value, options, onChange }: { id: string; label: string; value: string | undefined; options: readonly [string, string][]; onChange: (v: string) => void }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={value ?? ''} onChange={(e) => onChange(e.currentTarget.value)}>
        {options.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
      </select>
    </div>
  );
}

/** The filter form; `onApply` gets the tenant and the filters when it is submitted. */
export function DeviceFilters({ grants, tenant, values, onApply }: { grants: Grants; tenant: string; values: FilterValues; onApply: (tenant: string, values: FilterValues) => void }) {
  const [draftTenant, setDraftTenant] = useState(tenant);
  const [draft, setDraft] = useState<FilterValues>(values);
  const set = (name: keyof FilterValues) => (value: string) => setDraft((d) => ({ ...d, [name]: value.trim() === '' ? undefined : value }));
  return (
    <form class="toolbar filters" role="search" aria-label="Filter devices" onSubmit={(e) => (e.preventDefault(), onApply(draftTenant.trim(), draft))}>
      <TenantField grants={grants} id="devices-tenant" value={draftTenant} onInput={setDraftTenant} />
      <Text id="filter-id" label="Device id (* and ? are wildcards)" value={draft.id} onInput={set('id')} />
      <Choice id="filter-enabled" label="Enabled" value={draft.enabled} onChange={set('enabled')} options={[['', 'Any'], ['true', 'Enabled'], ['false', 'Disabled']]} />
      <Choice id="filter-gateway" label="Gateways" value={draft.gateway} onChange={set('gateway')} options={[['', 'Any'], ['true', 'Only gateways'], ['false', 'No gateways']]} />
      <Text id="filter-via" label="Connected via gateway" value={draft.via} onInput={set('via')} />
      <Text id="filter-group" label="Served by group" value={draft.group} onInput={set('group')} />
      <Text id="filter-ext-field" label="ext field" value={draft.extField} onInput={set('extField')} />
      <Text id="filter-ext-value" label="ext value" value={draft.extValue} onInput={set('extValue')} />
      <button type="submit">Show devices</button>
    </form>
  );
}
