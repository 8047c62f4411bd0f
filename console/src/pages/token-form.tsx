/**
 * Creating a token (POST /tokens): its scopes and tenants can only be the caller's own (the
 * registry refuses more), its lifetime is cut to the caller's. The value is shown once.
 */
import { useState } from 'preact/hooks';
import { api, messageOf } from '../api';
import { CopyField } from '../components/copy-field';
import { Notice, type NoticeState } from '../components/notice';
import { everyTenant, grantableScopes, type Grants } from '../grants';

const LIFETIMES: readonly [string, string][] = [['1h', '1 hour'], ['1d', '1 day'], ['7d', '7 days'], ['30d', '30 days'], ['90d', '90 days'], ['365d', '365 days']];

export interface CreatedToken { readonly id: string; readonly token: string; readonly expires: string }

function ScopeChoice({ grants, chosen, onToggle }: { grants: Grants; chosen: readonly string[]; onToggle: (scope: string) => void }) {
  return (
    <fieldset class="choices">
      <legend>Scopes</legend>
      {grantableScopes(grants).map((scope) => (
        <label key={scope} class="choice">
          <input type="checkbox" checked={chosen.includes(scope)} onChange={() => onToggle(scope)} />
          {scope === '*' ? '* (every scope)' : scope}
        </label>
      ))}
    </fieldset>
  );
}

function TenantChoice({ grants, tenants, onChange }: { grants: Grants; tenants: string; onChange: (tenants: string) => void }) {
  if (!everyTenant(grants)) {
    const chosen = tenants.split(' ').filter((t) => t !== '');
    const toggle = (t: string) => onChange((chosen.includes(t) ? chosen.filter((c) => c !== t) : [...chosen, t]).join(' '));
    return (
      <fieldset class="choices">
        <legend>Tenants</legend>
        {grants.tenants.map((t) => <label key={t} class="choice"><input type="checkbox" checked={chosen.includes(t)} onChange={() => toggle(t)} />{t}</label>)}
      </fieldset>
    );
  }
  const all = tenants === '*';
  return (
    <fieldset class="choices">
      <legend>Tenants</legend>
      <label class="choice"><input type="radio" name="token-tenants" checked={all} onChange={() => onChange('*')} />Every tenant</label>
      <label class="choice"><input type="radio" name="token-tenants" checked={!all} onChange={() => onChange('')} />Only these:</label>
      <label class="field" for="token-tenant-ids">
        <span>Tenant ids, separated by spaces</span>
        <input id="token-tenant-ids" value={all ? '' : tenants} disabled={all} spellcheck={false} autocomplete="off" onInput={(e) => onChange(e.currentTarget.value)} />
      </label>
    </fieldset>
  );
}

/** The form; `onCreated` gets the new token (value included) once. */
export function TokenForm({ grants, onCreated }: { grants: Grants; onCreated: (created: CreatedToken) => void }) {
  const [description, setDescription] = useState('');
  const [scopes, setScopes] = useState<readonly string[]>([]);
  const [tenants, setTenants] = useState(everyTenant(grants) ? '*' : '');
  const [lifetime, setLifetime] = useState('30d');
  const [notice, setNotice] = useState<NoticeState>();
  const toggle = (scope: string) => setScopes(scopes.includes(scope) ? scopes.filter((s) => s !== scope) : [...scopes, scope]);
  const submit = async (event: Event) => {
    event.preventDefault();
    const tenantList = tenants.split(/[\s,]+/).filter((t) => t !== '');
    if (scopes.length === 0) return setNotice({ kind: 'error', text: 'Choose at least one scope.' });
    if (tenantList.length === 0) return setNotice({ kind: 'error', text: 'Choose at least one tenant.' });
    try {
      const { body } = await api<CreatedToken>('POST', '/tokens', { description, scopes, tenants: tenantList, 'expires-in': lifetime });
      setNotice(undefined);
      setDescription('');
      setScopes([]);
      onCreated(body);
    } catch (err) {
      setNotice({ kind: 'error', text: messageOf(err) });
    }
  };
  return (
    <form class="card form" onSubmit={submit} aria-labelledby="create-token-title">
      <h2 id="create-token-title">Create a token</h2>
      <label class="field" for="token-description">
        <span>Description</span>
        <input id="token-description" value={description} maxLength={200} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <ScopeChoice grants={grants} chosen={scopes} onToggle={toggle} />
      <TenantChoice grants={grants} tenants={tenants} onChange={setTenants} />
      <div class="field">
        <label for="token-lifetime">Expires in</label>
        <select id="token-lifetime" value={lifetime} onChange={(e) => setLifetime(e.currentTarget.value)}>
          {LIFETIMES.map(([value, text]) => <option key={value} value={value}>{text}</option>)}
        </select>
      </div>
      <p class="hint">A token never grants more than yours, and never outlives it.</p>
      <button type="submit" class="primary">Create token</button>
      <Notice notice={notice} />
    </form>
  );
}

/** The new token's value, shown this once, with a copy button. */
export function NewToken({ created, onDone }: { created: CreatedToken; onDone: () => void }) {
  return (
    <section class="card new-token" aria-labelledby="new-token-title">
      <h2 id="new-token-title" tabIndex={-1} ref={(h) => h?.focus()}>Token {created.id} created</h2>
      <p><strong>Copy it now: it is shown only this once.</strong> The registry keeps only a hash of it.</p>
      <CopyField id="new-token-value" label="New token" value={created.token} />
      <button type="button" onClick={onDone}>Done</button>
    </section>
  );
}
