/** How values are shown: times in the browser's zone, sizes in binary units. */

/** `2030-01-01 12:00:05` in local time; '—' for nothing. */
export function when(iso: string | undefined): string {
  if (iso === undefined || iso === '') return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** `2030-01-01 12:00` in local time: a date in a table where seconds do not matter. */
export function day(iso: string | undefined): string {
  const text = when(iso);
  return text === '—' ? text : text.slice(0, 16);
}

/** `12:00:05` in local time. */
export function clock(iso: string): string {
  return when(iso).slice(11);
}

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** A number with at most `digits` decimals, and thin grouping. */
export function num(n: number, digits = 1): string {
  return n.toLocaleString('en', { maximumFractionDigits: digits });
}
