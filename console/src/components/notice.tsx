/**
 * Messages: an error is announced at once (role="alert"), news politely (role="status"). The
 * region is always in the page, so screen readers announce what is put into it.
 */
import type { ComponentChildren } from 'preact';

export interface NoticeState {
  readonly kind: 'error' | 'info';
  readonly text: string;
}

export function Notice({ notice, children }: { notice?: NoticeState | undefined; children?: ComponentChildren }) {
  const text = notice?.text;
  return (
    <div class="notices">
      <p role="alert" class={text !== undefined && notice?.kind === 'error' ? 'notice error' : 'notice empty'}>{notice?.kind === 'error' ? text : ''}</p>
      <p role="status" class={text !== undefined && notice?.kind === 'info' ? 'notice info' : 'notice empty'}>{notice?.kind === 'info' ? text : ''}{children}</p>
    </div>
  );
}
