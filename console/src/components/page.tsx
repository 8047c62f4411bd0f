/**
 * A page's frame: its heading takes the focus when the page opens (screen readers announce it,
 * and Tab starts from there) and names the document.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export function Page({ title, children, intro }: { title: string; children: ComponentChildren; intro?: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Device Registry`;
    heading.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <h1 id="page-title" tabIndex={-1} ref={heading}>{title}</h1>
      {intro !== undefined && <p class="intro">{intro}</p>}
      {children}
    </section>
  );
}
