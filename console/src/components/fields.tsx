/**
 * Form fields the /v1 pages share: an optional whole number, a JSON object typed as text (checked
 * as it is typed), and reading a PEM certificate from a chosen file.
 */
import { useState } from 'preact/hooks';
import { pemToDer, type Json } from '../v1';

/** A whole number; empty is "not set" (undefined). */
export function NumberField({ id, label, value, min, onChange }: { id: string; label: string; value: number | undefined; min?: number; onChange: (n: number | undefined) => void }) {
  return (
    <label class="field" for={id}>
      <span>{label}</span>
      <input id={id} type="number" step={1} min={min} value={value ?? ''} onInput={(e) => onChange(e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value))} />
    </label>
  );
}

/** A JSON object as text; `onChange` gets it when it parses (undefined when empty), `onValidity` whether it does. */
export function JsonField({ id, label, value, onChange, onValidity, rows = 4 }: {
  id: string; label: string; value: Json | undefined; onChange: (value: Json | undefined) => void; onValidity: (valid: boolean) => void; rows?: number;
}) {
  const [text, setText] = useState(() => (value === undefined ? '' : JSON.stringify(value, null, 2)));
  const [error, setError] = useState('');
  const input = (next: string) => {
    setText(next);
    let parsed: unknown;
    try {
      parsed = next.trim() === '' ? undefined : JSON.parse(next);
    } catch {
      parsed = null;
    }
    const ok = parsed === undefined || (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed));
    setError(ok ? '' : 'Not a JSON object: write it as {"name": "value"}.');
    onValidity(ok);
    if (ok) onChange(parsed as Json | undefined);
  };
  return (
    <label class="field" for={id}>
      <span>{label}</span>
      <textarea id={id} rows={rows} spellcheck={false} value={text} aria-invalid={error !== ''} aria-describedby={`${id}-error`} onInput={(e) => input(e.currentTarget.value)} />
      <span id={`${id}-error`} class="field-error">{error}</span>
    </label>
  );
}

/** The base64 DER of the PEM certificate in the file chosen in `input`; undefined when none. */
export async function readPem(input: HTMLInputElement): Promise<string | undefined> {
  const file = input.files?.[0];
  if (file === undefined || file.size > 65_536) return undefined;
  return pemToDer(await file.text());
}
