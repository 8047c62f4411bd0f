/**
 * Paging a list by cursor (the registry's Link headers): the cursors of the pages seen so far are
 * kept, so Previous goes back without the registry having to page backwards.
 */
import { useState } from 'preact/hooks';

export interface CursorPages {
  /** The cursor of the page shown ('' for the first). */
  readonly cursor: string;
  /** 1-based. */
  readonly page: number;
  /** Goes to the page after the one shown, starting at `next`. */
  forward(next: string): void;
  /** Back one page; undefined on the first. */
  readonly back: (() => void) | undefined;
  /** To the first page (a new filter). */
  reset(): void;
}

export function useCursorPages(): CursorPages {
  const [stack, setStack] = useState<readonly string[]>(['']);
  return {
    cursor: stack[stack.length - 1] ?? '',
    page: stack.length,
    forward: (next) => setStack([...stack, next]),
    back: stack.length > 1 ? () => setStack(stack.slice(0, -1)) : undefined,
    reset: () => setStack(['']),
  };
}

/** The value of a query parameter of a Link target (`/denied-devices/t?cursor=x&limit=20` → x). */
export function linkParam(target: string | undefined, name: string): string | undefined {
  if (target === undefined) return undefined;
  return new URL(target, location.origin).searchParams.get(name) ?? undefined;
}
