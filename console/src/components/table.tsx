/**
 * A table in a scrollable region: on a narrow screen the table scrolls sideways inside it, and the
 * region takes the keyboard focus so it can be scrolled without a mouse.
 */
import type { ComponentChildren } from 'preact';

export function TableRegion({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-wrap" role="region" aria-label={label} tabIndex={0}>
      <table>
        <caption class="visually-hidden">{label}</caption>
        {children}
      </table>
    </div>
  );
}
