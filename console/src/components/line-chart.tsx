/**
 * A small line chart in SVG (no library, no inline style: colours come from the style sheet by
 * class). Screen readers get a sentence with the latest and highest values instead of the drawing.
 */
import { clock, num } from '../format';

export interface Series {
  readonly name: string;
  /** One value per time; null where there is none (no lookups in that interval). */
  readonly values: readonly (number | null)[];
  /** `series-a`, `series-b`: the colour. */
  readonly className: string;
}

const WIDTH = 600;
const HEIGHT = 180;
const LEFT = 56;
const BOTTOM = 24;
const TOP = 10;

/** A round upper end for the axis: 1, 2, 5 × 10^n at or above the highest value. */
export function axisTop(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return ([1, 2, 5, 10].find((m) => m * power >= max) ?? 10) * power;
}

/** The runs of a series without a gap, as points `x,y`. */
function runs(values: readonly (number | null)[], x: (i: number) => number, y: (v: number) => number): string[][] {
  const found: string[][] = [];
  let current: string[] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length > 0) found.push(current);
      current = [];
    } else current.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  });
  if (current.length > 0) found.push(current);
  return found;
}

/** A run as a line, or as a dot when it is a single point (one interval with values between gaps). */
function Run({ points, className }: { points: readonly string[]; className: string }) {
  if (points.length > 1) return <polyline class={`line ${className}`} points={points.join(' ')} />;
  const [cx = '0', cy = '0'] = (points[0] ?? '').split(',');
  return <circle class={`dot ${className}`} cx={cx} cy={cy} r="3" />;
}

function summary(title: string, unit: string, series: readonly Series[]): string {
  const parts = series.map((s) => {
    const present = s.values.filter((v): v is number => v !== null);
    const latest = present.at(-1);
    return latest === undefined ? `${s.name}: no data` : `${s.name}: latest ${num(latest, 2)} ${unit}, highest ${num(Math.max(...present), 2)} ${unit}`;
  });
  return `${title}. ${parts.join('; ')}.`;
}

export function LineChart({ title, unit, times, series }: { title: string; unit: string; times: readonly string[]; series: readonly Series[] }) {
  const top = axisTop(Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const span = Math.max(1, times.length - 1);
  const x = (i: number) => LEFT + ((WIDTH - LEFT - 8) * i) / span;
  const y = (v: number) => TOP + (HEIGHT - TOP - BOTTOM) * (1 - v / top);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary(title, unit, series)}>
        <line class="axis" x1={LEFT} y1={y(0)} x2={WIDTH - 8} y2={y(0)} />
        <line class="grid" x1={LEFT} y1={y(top / 2)} x2={WIDTH - 8} y2={y(top / 2)} />
        <line class="grid" x1={LEFT} y1={y(top)} x2={WIDTH - 8} y2={y(top)} />
        <text class="label" x={LEFT - 6} y={y(top) + 4} text-anchor="end">{num(top, 3)}</text>
        <text class="label" x={LEFT - 6} y={y(top / 2) + 4} text-anchor="end">{num(top / 2, 3)}</text>
        <text class="label" x={LEFT - 6} y={y(0) + 4} text-anchor="end">0</text>
        {times.length > 0 && <text class="label" x={LEFT} y={HEIGHT - 6}>{clock(times[0] as string)}</text>}
        {times.length > 1 && <text class="label" x={WIDTH - 8} y={HEIGHT - 6} text-anchor="end">{clock(times[times.length - 1] as string)}</text>}
        {series.map((s) => runs(s.values, x, y).map((points, i) => <Run key={`${s.name}-${i}`} points={points} className={s.className} />))}
      </svg>
      <ul class="legend">
        {series.map((s) => <li key={s.name}><span class={`swatch ${s.className}`} aria-hidden="true" />{s.name} ({unit})</li>)}
      </ul>
    </figure>
  );
}
