/**
 * Editing a tenant as /v1 shows it: general members, adapters, trusted CAs (a PEM certificate
 * uploaded is sent as `cert`: the registry keeps its subject DN, key and validity), limits and
 * `ext` (JSON). The whole tenant is sent back with PUT and If-Match.
 */
import { useState } from 'preact/hooks';
import { JsonField, NumberField, readPem } from '../components/fields';
import { getIn, setIn, type Json } from '../v1';

type Edit = (path: readonly string[], value: unknown) => void;

function General({ draft, edit }: { draft: Json; edit: Edit }) {
  return (
    <fieldset class="choices">
      <legend>General</legend>
      <label class="choice"><input type="checkbox" checked={draft.enabled !== false} onChange={(e) => edit(['enabled'], e.currentTarget.checked)} />Enabled</label>
      <label class="field" for="tenant-alias">
        <span>Alias</span>
        <input id="tenant-alias" value={String(draft.alias ?? '')} pattern="[a-z0-9\-]+" maxLength={63} autocomplete="off" spellcheck={false} onInput={(e) => edit(['alias'], e.currentTarget.value === '' ? undefined : e.currentTarget.value)} />
      </label>
    </fieldset>
  );
}

function Adapters({ draft, edit }: { draft: Json; edit: Edit }) {
  const adapters = (draft.adapters as Json[] | undefined) ?? [];
  const [type, setType] = useState('');
  const set = (list: Json[]) => edit(['adapters'], list.length === 0 ? undefined : list);
  const change = (i: number, member: string, value: boolean) => set(adapters.map((a, j) => (j === i ? { ...a, [member]: value } : a)));
  return (
    <fieldset class="choices">
      <legend>Adapters</legend>
      {adapters.length === 0 && <p class="hint">None listed: every adapter may serve the tenant's devices.</p>}
      {adapters.map((a, i) => (
        <div class="item" key={String(a.type)}>
          <code>{String(a.type)}</code>
          <label class="choice"><input type="checkbox" checked={a.enabled === true} onChange={(e) => change(i, 'enabled', e.currentTarget.checked)} />Enabled<span class="visually-hidden"> {String(a.type)}</span></label>
          <label class="choice"><input type="checkbox" checked={a['device-authentication-required'] !== false} onChange={(e) => change(i, 'device-authentication-required', e.currentTarget.checked)} />Devices authenticate<span class="visually-hidden"> to {String(a.type)}</span></label>
          <button type="button" onClick={() => set(adapters.filter((_, j) => j !== i))} aria-label={`Remove adapter ${String(a.type)}`}>Remove</button>
        </div>
      ))}
      <div class="item">
        <label class="field" for="adapter-type"><span>Adapter type</span>
          <input id="adapter-type" value={type} placeholder="hono-mqtt" autocomplete="off" spellcheck={false} onInput={(e) => setType(e.currentTarget.value)} />
        </label>
        <button type="button" disabled={type.trim() === '' || adapters.some((a) => a.type === type.trim())} onClick={() => (set([...adapters, { type: type.trim(), enabled: true }]), setType(''))}>Add adapter</button>
      </div>
    </fieldset>
  );
}

function TrustedCas({ draft, edit }: { draft: Json; edit: Edit }) {
  const cas = (draft['trusted-ca'] as Json[] | undefined) ?? [];
  const [error, setError] = useState('');
  const set = (list: Json[]) => edit(['trusted-ca'], list.length === 0 ? undefined : list);
  const upload = async (input: HTMLInputElement) => {
    const cert = await readPem(input);
    setError(cert === undefined ? 'That file holds no PEM certificate (-----BEGIN CERTIFICATE-----).' : '');
    if (cert !== undefined) set([...cas, { cert }]);
    input.value = '';
  };
  return (
    <fieldset class="choices">
      <legend>Trusted CAs</legend>
      {cas.map((ca, i) => {
        const name = typeof ca['subject-dn'] === 'string' ? ca['subject-dn'] : 'new certificate (its subject DN is read on saving)';
        return (
          <div class="item" key={String(ca.id ?? `new-${i}`)}>
            <span><code>{name}</code>{typeof ca['not-after'] === 'string' && <span class="hint"> valid until {ca['not-after']}</span>}</span>
            <button type="button" onClick={() => set(cas.filter((_, j) => j !== i))} aria-label={`Remove trusted CA ${name}`}>Remove</button>
          </div>
        );
      })}
      <label class="field" for="ca-pem"><span>Add a CA certificate (PEM file)</span>
        <input id="ca-pem" type="file" accept=".pem,.crt,.cer,application/x-pem-file" onChange={(e) => void upload(e.currentTarget)} />
      </label>
      {error !== '' && <p class="notice error">{error}</p>}
    </fieldset>
  );
}

const LIMITS: readonly [readonly string[], string][] = [
  [['registration-limits', 'max-devices'], 'Most devices'],
  [['registration-limits', 'max-credentials-per-device'], 'Most credentials per device'],
  [['resource-limits', 'max-connections'], 'Most connections'],
  [['resource-limits', 'max-ttl'], 'Longest time to live (s)'],
];

function Limits({ draft, edit }: { draft: Json; edit: Edit }) {
  return (
    <fieldset class="choices compact">
      <legend>Limits (-1 or empty: none)</legend>
      {LIMITS.map(([path, label]) => (
        <NumberField key={path.join('/')} id={`limit-${path[1]}`} label={label} min={-1} value={getIn(draft, path) as number | undefined} onChange={(n) => edit(path, n)} />
      ))}
    </fieldset>
  );
}

/** The form; `onSave` gets the tenant to PUT. */
export function TenantForm({ initial, onSave }: { initial: Json; onSave: (tenant: Json) => void }) {
  const [draft, setDraft] = useState<Json>(initial);
  const [extValid, setExtValid] = useState(true);
  const edit: Edit = (path, value) => setDraft((d) => setIn(d, path, value));
  return (
    <form class="card form" aria-label="Edit the tenant" onSubmit={(e) => (e.preventDefault(), extValid && onSave(draft))}>
      <h2>Edit</h2>
      <General draft={draft} edit={edit} />
      <Adapters draft={draft} edit={edit} />
      <TrustedCas draft={draft} edit={edit} />
      <Limits draft={draft} edit={edit} />
      <JsonField id="tenant-ext" label="ext (JSON object)" value={draft.ext as Json | undefined} onChange={(ext) => edit(['ext'], ext)} onValidity={setExtValid} />
      <button type="submit" class="primary" disabled={!extValid}>Save tenant</button>
    </form>
  );
}
