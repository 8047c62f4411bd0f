/**
 * The device table: sortable columns (a button in each header, aria-sort on the sorted one),
 * a checkbox per row and one for the page, and each device's gateways, groups and status.
 */
import { TableRegion } from '../components/table';
import { day } from '../format';
import { href } from '../router';
import type { Json, Sort } from '../v1';

export interface Device extends Json { readonly id: string; readonly status?: Json }

const COLUMNS: readonly [string, string | undefined][] = [
  ['Device', '/id'], ['Enabled', '/enabled'], ['Via', undefined], ['Groups', undefined], ['Member of', undefined], ['Created', '/status/created'], ['Updated', '/status/updated'],
];

function list(value: unknown): string {
  return Array.isArray(value) && value.length > 0 ? value.map(String).join(', ') : '—';
}

function Header({ text, field, sort, onSort }: { text: string; field: string | undefined; sort: Sort; onSort: (sort: Sort) => void }) {
  if (field === undefined) return <th scope="col">{text}</th>;
  const sorted = sort.field === field;
  const next: Sort = { field, direction: sorted && sort.direction === 'asc' ? 'desc' : 'asc' };
  return (
    <th scope="col" aria-sort={sorted ? (sort.direction === 'asc' ? 'ascending' : 'descending') : undefined}>
      <button type="button" class="sort" onClick={() => onSort(next)} aria-label={`Sort by ${text.toLowerCase()}, ${next.direction === 'asc' ? 'ascending' : 'descending'}`}>
        {text}{sorted ? (sort.direction === 'asc' ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
}

export interface DeviceRowsProps {
  readonly tenant: string;
  readonly devices: readonly Device[];
  readonly sort: Sort;
  readonly onSort: (sort: Sort) => void;
  readonly selectable: boolean;
  readonly selected: ReadonlySet<string>;
  readonly onSelect: (selected: ReadonlySet<string>) => void;
}

export function DeviceRows({ tenant, devices, sort, onSort, selectable, selected, onSelect }: DeviceRowsProps) {
  const all = devices.length > 0 && devices.every((d) => selected.has(d.id));
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (!next.delete(id)) next.add(id);
    onSelect(next);
  };
  return (
    <TableRegion label={`Devices of tenant ${tenant}`}>
      <thead>
        <tr>
          {selectable && <th scope="col"><input type="checkbox" checked={all} aria-label="Select every device on this page" onChange={() => onSelect(new Set(all ? [] : devices.map((d) => d.id)))} /></th>}
          {COLUMNS.map(([text, field]) => <Header key={text} text={text} field={field} sort={sort} onSort={onSort} />)}
        </tr>
      </thead>
      <tbody>
        {devices.map((d) => (
          <tr key={d.id}>
            {selectable && <td><input type="checkbox" checked={selected.has(d.id)} aria-label={`Select ${d.id}`} onChange={() => toggle(d.id)} /></td>}
            <td><a href={href(['devices', tenant, d.id])}><code class="id">{d.id}</code></a></td>
            <td>{d.enabled === false ? 'no' : 'yes'}</td>
            <td>{list(d.via)}</td>
            <td>{list(d.viaGroups)}</td>
            <td>{list(d.memberOf)}</td>
            <td class="when">{day(d.status?.created as string | undefined)}</td>
            <td class="when">{day(d.status?.updated as string | undefined)}</td>
          </tr>
        ))}
      </tbody>
    </TableRegion>
  );
}
