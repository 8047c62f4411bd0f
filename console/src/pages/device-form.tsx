/**
 * A device's registration as a form: enabled, its gateways (`via`), the groups that serve it
 * (`viaGroups`), the groups it is a gateway in (`memberOf`), auto-provisioning of its edge
 * devices, `defaults` and `ext` as JSON. Saved whole with PUT and If-Match.
 */
import { useState } from 'preact/hooks';
import { JsonField } from '../components/fields';
import { setIn, type Json } from '../v1';

const AUTO = 'auto-provisioning-enabled';

function IdList({ id, label, value, onChange }: { id: string; label: string; value: unknown; onChange: (ids: string[] | undefined) => void }) {
  const [text, setText] = useState(Array.isArray(value) ? value.join(' ') : '');
  return (
    <label class="field" for={id}>
      <span>{label}</span>
      <input id={id} value={text} autocomplete="off" spellcheck={false} onInput={(e) => {
        setText(e.currentTarget.value);
        const ids = e.currentTarget.value.split(/[\s,]+/).filter((s) => s !== '');
        onChange(ids.length === 0 ? undefined : ids);
      }} />
      <span class="hint">Ids separated by spaces.</span>
    </label>
  );
}

/** The form; `onSave` gets the device to PUT (without its read-only status). */
export function DeviceForm({ initial, onSave }: { initial: Json; onSave: (device: Json) => void }) {
  const { status: _status, id: _id, ...start } = initial;
  const [draft, setDraft] = useState<Json>(start);
  const [valid, setValid] = useState({ defaults: true, ext: true });
  const edit = (name: string, value: unknown) => setDraft((d) => setIn(d, [name], value));
  const authorities = Array.isArray(draft.authorities) ? (draft.authorities as string[]) : [];
  const auto = authorities.includes(AUTO);
  const ok = valid.defaults && valid.ext;
  return (
    <form class="card form" aria-label="Edit the device" onSubmit={(e) => (e.preventDefault(), ok && onSave(draft))}>
      <h2>Registration</h2>
      <label class="choice"><input type="checkbox" checked={draft.enabled !== false} onChange={(e) => edit('enabled', e.currentTarget.checked)} />Enabled</label>
      <IdList id="device-via" label="Gateways that may act for it (via)" value={draft.via} onChange={(ids) => edit('via', ids)} />
      <IdList id="device-via-groups" label="Gateway groups that may act for it (viaGroups)" value={draft.viaGroups} onChange={(ids) => edit('viaGroups', ids)} />
      <IdList id="device-member-of" label="Groups it is a gateway in (memberOf)" value={draft.memberOf} onChange={(ids) => edit('memberOf', ids)} />
      <label class="choice">
        <input type="checkbox" checked={auto} onChange={() => edit('authorities', auto ? (authorities.length > 1 ? authorities.filter((a) => a !== AUTO) : undefined) : [...authorities, AUTO])} />
        As a gateway, creates its unknown edge devices (auto-provisioning)
      </label>
      <JsonField id="device-defaults" label="defaults (JSON object)" value={draft.defaults as Json | undefined} onChange={(v) => edit('defaults', v)} onValidity={(v) => setValid((s) => ({ ...s, defaults: v }))} rows={3} />
      <JsonField id="device-ext" label="ext (JSON object)" value={draft.ext as Json | undefined} onChange={(v) => edit('ext', v)} onValidity={(v) => setValid((s) => ({ ...s, ext: v }))} />
      <button type="submit" class="primary" disabled={!ok}>Save device</button>
    </form>
  );
}
