/**
 * A secret shown once (a new token): read-only, selectable, with a button that copies it. The
 * value lives only in this component's props; it is gone from the page once dismissed.
 */
import { useRef, useState } from 'preact/hooks';

export function CopyField({ id, label, value }: { id: string; label: string; value: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<string>('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied to the clipboard.');
    } catch {
      // No clipboard (plain HTTP on another host): the value is selected for Ctrl+C instead.
      input.current?.select();
      setCopied('Selected: press Ctrl+C (⌘C) to copy.');
    }
  };
  return (
    <div class="copy-field">
      <label class="field" for={id}>
        <span>{label}</span>
        <input id={id} ref={input} value={value} readOnly spellcheck={false} autocomplete="off" onFocus={(e) => e.currentTarget.select()} />
      </label>
      <button type="button" onClick={copy}>Copy</button>
      <span role="status" class="hint">{copied}</span>
    </div>
  );
}
