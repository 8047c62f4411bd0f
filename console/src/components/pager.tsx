/** Previous and next page of a list that pages by cursor (the registry's Link headers). */

export interface PagerProps {
  /** What the list shows (`denied devices`), for the buttons' accessible names. */
  readonly what: string;
  readonly onPrevious?: (() => void) | undefined;
  readonly onNext?: (() => void) | undefined;
  /** `Page 2` or `Entries 51–100`. */
  readonly position: string;
}

export function Pager({ what, onPrevious, onNext, position }: PagerProps) {
  return (
    <nav class="pager" aria-label={`Pages of ${what}`}>
      <button type="button" onClick={onPrevious} disabled={onPrevious === undefined} aria-label={`Previous page of ${what}`}>← Previous</button>
      <span aria-live="polite">{position}</span>
      <button type="button" onClick={onNext} disabled={onNext === undefined} aria-label={`Next page of ${what}`}>Next →</button>
    </nav>
  );
}
