/**
 * One /v1 resource on a page (a tenant, a device, a credentials set): read with its version (ETag),
 * written only with `If-Match` of that version. When someone else changed it meanwhile (412) the
 * page says so and offers to reload; nothing is overwritten silently.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, changedMeanwhile, messageOf } from '../api';

export interface Loaded<T> { readonly body: T; readonly etag: string }

export interface Resource<T> {
  readonly loaded?: Loaded<T>;
  /** A failure to read it (404 …). */
  readonly error?: string;
  /** True after a 412: the page offers to reload. */
  readonly conflict: boolean;
  reload(): void;
  /**
   * Sends a change with If-Match of the version read (`PUT`, `PATCH` with a merge patch, `DELETE`);
   * resolves to true when it was made, after reading the new state (`reread: false` for a DELETE).
   */
  write(method: 'PUT' | 'PATCH' | 'DELETE', body?: unknown, reread?: boolean): Promise<boolean>;
  /** The message of the last failed write ('' when none). */
  readonly failure: string;
}

export function useResource<T>(path: string): Resource<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>();
  const [error, setError] = useState<string>();
  const [conflict, setConflict] = useState(false);
  const [failure, setFailure] = useState('');
  const [reads, setReads] = useState(0);
  useEffect(() => {
    let live = true;
    api<T>('GET', path).then(
      ({ body, etag }) => live && (setLoaded({ body, etag: etag ?? '*' }), setError(undefined)),
      (err: unknown) => live && setError(messageOf(err)),
    );
    return () => void (live = false);
  }, [path, reads]);
  const reload = () => {
    setConflict(false);
    setFailure('');
    setReads((n) => n + 1);
  };
  const write = async (method: 'PUT' | 'PATCH' | 'DELETE', body?: unknown, reread = true) => {
    try {
      await api(method, path, body, { ifMatch: loaded?.etag ?? '*', ...(method === 'PATCH' ? { contentType: 'application/merge-patch+json' } : {}) });
      setFailure('');
      if (reread) setReads((n) => n + 1);
      return true;
    } catch (err) {
      setConflict(changedMeanwhile(err));
      setFailure(messageOf(err));
      return false;
    }
  };
  return { ...(loaded === undefined ? {} : { loaded }), ...(error === undefined ? {} : { error }), conflict, failure, reload, write };
}

/** The failure of the last write; after a 412 with a button that reloads what is stored now. */
export function WriteFailure({ resource, what }: { resource: Resource<unknown>; what: string }) {
  if (resource.failure === '') return <p role="alert" class="notice empty" />;
  return (
    <div role="alert" class="notice error">
      {resource.conflict ? `Someone else changed this ${what} meanwhile: your change was not saved. Reload to see theirs, then make yours again.` : resource.failure}
      {resource.conflict && <> <button type="button" onClick={resource.reload}>Reload</button></>}
    </div>
  );
}
