/**
 * Signing in: the token is sent once, in the body of POST /session, and exchanged for an HttpOnly
 * session cookie; the field is emptied at once, and the token is kept nowhere in the page.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, messageOf } from '../api';
import { Notice, type NoticeState } from '../components/notice';
import type { Grants } from '../grants';

function failure(err: unknown): string {
  if (!(err instanceof ApiError)) return messageOf(err);
  if (err.status === 401) return `Sign-in failed: ${err.message}. Check the token and try again.`;
  if (err.status === 429) return `Too many failed sign-ins from this address. Try again in ${err.retryAfter ?? 'a few'} seconds.`;
  return `Sign-in failed: ${err.message}`;
}

export function SignIn({ onSignedIn, ended }: { onSignedIn: (grants: Grants) => void; ended?: string | undefined }) {
  const input = useRef<HTMLInputElement>(null);
  const [notice, setNotice] = useState<NoticeState | undefined>(ended === undefined ? undefined : { kind: 'info', text: ended });
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = 'Sign in · Device Registry';
    input.current?.focus();
  }, []);
  const submit = async (event: Event) => {
    event.preventDefault();
    const field = input.current;
    const token = field?.value.trim() ?? '';
    if (field !== null) field.value = '';
    if (token === '') return setNotice({ kind: 'error', text: 'Enter a token.' });
    setBusy(true);
    try {
      const { body } = await api<Grants>('POST', '/session', { token }, { signingIn: true });
      onSignedIn(body);
    } catch (err) {
      setNotice({ kind: 'error', text: failure(err) });
      field?.focus();
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <form class="card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Device Registry</h1>
        <p>Sign in with a management API token. It is exchanged for a session that ends when you sign out, when it is left unused, or when the token is revoked; the browser never stores the token.</p>
        <label class="field" for="token">
          <span>Token</span>
          <input id="token" ref={input} type="password" autocomplete="off" spellcheck={false} required />
        </label>
        <button type="submit" class="primary" disabled={busy}>Sign in</button>
        <Notice notice={notice} />
      </form>
    </main>
  );
}
