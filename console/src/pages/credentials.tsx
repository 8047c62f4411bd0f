/**
 * A device's credentials (/v1/credentials/{tenant}/{device}): listed as the registry shows them
 * (never a hash, key or password), added (a password the registry hashes and never shows again,
 * a pre-shared key, an X.509 certificate from a PEM file whose subject DN becomes the auth-id) and
 * removed. Each change sends the whole set back with If-Match of the version shown: stored
 * secrets travel by their ids only.
 */
import { useState } from 'preact/hooks';
import { seg } from '../api';
import { ConfirmDialog, type ConfirmRequest } from '../components/confirm';
import { readPem } from '../components/fields';
import { Notice, type NoticeState } from '../components/notice';
import { useResource, WriteFailure } from '../components/resource';
import { TableRegion } from '../components/table';
import { day } from '../format';
import { can, type Grants } from '../grants';
import type { Json } from '../v1';

type Kind = 'hashed-password' | 'psk' | 'x509-cert';
const KINDS: readonly [Kind, string][] = [['hashed-password', 'Password'], ['psk', 'Pre-shared key'], ['x509-cert', 'X.509 certificate']];

/** The set with the new credential: a secret more for an existing type and auth-id, else a new entry. */
function withNew(set: readonly Json[], entry: Json): Json[] {
  const at = set.findIndex((c) => c.type === entry.type && c['auth-id'] === entry['auth-id'] && entry['auth-id'] !== undefined);
  if (at < 0) return [...set, entry];
  return set.map((c, i) => (i === at ? { ...c, secrets: [...((c.secrets as Json[] | undefined) ?? []), ...(entry.secrets as Json[])] } : c));
}

function AddCredential({ onAdd }: { onAdd: (entry: Json) => Promise<boolean> }) {
  const [kind, setKind] = useState<Kind>('hashed-password');
  const [authId, setAuthId] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    let entry: Json;
    if (kind === 'x509-cert') {
      const cert = await readPem(form.querySelector<HTMLInputElement>('#credential-pem') as HTMLInputElement);
      if (cert === undefined) return setError('Choose a PEM file with a certificate (-----BEGIN CERTIFICATE-----).');
      entry = { type: kind, cert };
    } else {
      entry = { type: kind, 'auth-id': authId.trim(), secrets: [kind === 'psk' ? { key: secret.trim() } : { 'pwd-plain': secret }] };
    }
    setError('');
    // The password or key leaves the page with the request and is not kept in it.
    if (await onAdd(entry)) {
      setSecret('');
      setAuthId('');
      form.reset();
    }
  };
  return (
    <form class="form" aria-label="Add credentials" onSubmit={(e) => void submit(e)}>
      <h3>Add credentials</h3>
      <div class="field">
        <label for="credential-type">Type</label>
        <select id="credential-type" value={kind} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
          {KINDS.map(([value, text]) => <option key={value} value={value}>{text}</option>)}
        </select>
      </div>
      {kind === 'x509-cert' ? (
        <label class="field" for="credential-pem"><span>Device certificate (PEM file; its subject DN becomes the auth-id)</span>
          <input id="credential-pem" type="file" accept=".pem,.crt,.cer,application/x-pem-file" required />
        </label>
      ) : (
        <>
          <label class="field" for="credential-auth-id"><span>Auth-id</span>
            <input id="credential-auth-id" value={authId} required autocomplete="off" spellcheck={false} onInput={(e) => setAuthId(e.currentTarget.value)} />
          </label>
          <label class="field" for="credential-secret"><span>{kind === 'psk' ? 'Key (Base64)' : 'Password (hashed by the registry, never shown again)'}</span>
            <input id="credential-secret" type="password" value={secret} required autocomplete="new-password" spellcheck={false} onInput={(e) => setSecret(e.currentTarget.value)} />
          </label>
        </>
      )}
      {error !== '' && <p class="notice error">{error}</p>}
      <button type="submit" class="primary">Add credentials</button>
    </form>
  );
}

function validity(c: Json): string {
  const secrets = (c.secrets as Json[] | undefined) ?? [];
  const until = secrets.map((s) => s['not-after']).filter((t): t is string => typeof t === 'string').sort().at(-1);
  return `${secrets.length} secret${secrets.length === 1 ? '' : 's'}${until === undefined ? '' : `, valid until ${day(until)}`}`;
}

export function Credentials({ grants, tenant, device }: { grants: Grants; tenant: string; device: string }) {
  const set = useResource<Json[]>(`/v1/credentials/${seg(tenant)}/${seg(device)}`);
  const [notice, setNotice] = useState<NoticeState>();
  const [confirm, setConfirm] = useState<ConfirmRequest>();
  const writes = can(grants, 'credentials:write');
  const entries = set.loaded?.body ?? [];
  const add = async (entry: Json) => {
    const done = await set.write('PUT', withNew(entries, entry));
    if (done) setNotice({ kind: 'info', text: `Added ${entry.type as string} credentials${typeof entry['auth-id'] === 'string' ? ` for ${entry['auth-id']}` : ''}.` });
    return done;
  };
  const remove = (c: Json) => setConfirm({
    title: `Remove ${c.type as string} ${c['auth-id'] as string}?`, action: 'Remove',
    text: `The device can no longer authenticate with these credentials.`,
    onConfirm: () => void set.write('PUT', entries.filter((e) => e !== c)).then((done) => done && setNotice({ kind: 'info', text: `Removed ${c.type as string} ${c['auth-id'] as string}.` })),
  });
  return (
    <section class="card" aria-labelledby="credentials-title">
      <h2 id="credentials-title">Credentials</h2>
      <Notice notice={set.error !== undefined ? { kind: 'error', text: set.error } : notice} />
      <WriteFailure resource={set} what="device's credentials" />
      {set.loaded !== undefined && entries.length === 0 && <p>No credentials: the device cannot authenticate itself.</p>}
      {entries.length > 0 && (
        <TableRegion label={`Credentials of ${device}`}>
          <thead><tr><th scope="col">Type</th><th scope="col">Auth-id</th><th scope="col">Enabled</th><th scope="col">Secrets</th>{writes && <th scope="col">Actions</th>}</tr></thead>
          <tbody>
            {entries.map((c) => (
              <tr key={`${c.type as string} ${c['auth-id'] as string}`}>
                <td>{String(c.type)}</td><td><code>{String(c['auth-id'])}</code></td><td>{c.enabled === false ? 'no' : 'yes'}</td><td>{validity(c)}</td>
                {writes && <td><button type="button" class="danger" onClick={() => remove(c)} aria-label={`Remove ${c.type as string} ${c['auth-id'] as string}`}>Remove</button></td>}
              </tr>
            ))}
          </tbody>
        </TableRegion>
      )}
      {writes && set.loaded !== undefined && <AddCredential key={set.loaded.etag} onAdd={add} />}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
    </section>
  );
}
