/**
 * Pages are addressed by the URL's fragment (`#/denied?tenant=t1`): the registry serves one page
 * at /console, every view is a fragment of it, and a reload or a bookmark comes back to the view.
 * Only ids go into it (tenants, devices, cursors), never a token.
 */
import { useEffect, useState } from 'preact/hooks';

export interface Location {
  /** Path segments, decoded: `#/tenants/t1` → ['tenants', 't1']; the overview is []. */
  readonly segments: readonly string[];
  readonly params: URLSearchParams;
}

export function parseLocation(hash: string): Location {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?', 2);
  const segments = path.split('/').filter((s) => s !== '').map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { segments, params: new URLSearchParams(search) };
}

/** The fragment of a view: `href(['denied'], {tenant: 't1'})` → `#/denied?tenant=t1`. */
export function href(segments: readonly string[], params: Record<string, string | undefined> = {}): string {
  const defined = Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  const search = defined.length === 0 ? '' : `?${new URLSearchParams(defined).toString()}`;
  return `#/${segments.map(encodeURIComponent).join('/')}${search}`;
}

/** Goes to a view (a new history entry, so Back returns). */
export function navigate(to: string): void {
  if (location.hash !== to) location.hash = to;
}

/** The current view; re-renders on every change of the fragment. */
export function useLocation(): Location {
  const [current, setCurrent] = useState(() => parseLocation(location.hash));
  useEffect(() => {
    const update = () => setCurrent(parseLocation(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return current;
}
