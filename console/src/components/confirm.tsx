/**
 * A confirmation before something that cannot be undone: a modal <dialog> (focus stays inside,
 * Escape cancels, focus returns to what opened it). The question names what goes.
 */
import { useEffect, useId, useRef } from 'preact/hooks';

export interface ConfirmRequest {
  readonly title: string;
  readonly text: string;
  /** Label of the confirming button (`Purge`, `Revoke`). */
  readonly action: string;
  readonly onConfirm: () => void;
}

export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | undefined; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  // A page may hold more than one (a device's and its credentials').
  const id = useId();
  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    if (request !== undefined && !element.open) {
      element.showModal();
      // The safe choice has the focus: Enter does not destroy anything by accident.
      cancel.current?.focus();
    }
    if (request === undefined && element.open) element.close();
  }, [request]);
  const confirm = () => {
    request?.onConfirm();
    onClose();
  };
  return (
    <dialog ref={dialog} class="confirm" aria-labelledby={`${id}-title`} aria-describedby={`${id}-text`} onClose={onClose}>
      <h2 id={`${id}-title`}>{request?.title}</h2>
      <p id={`${id}-text`}>{request?.text}</p>
      <div class="actions">
        <button type="button" ref={cancel} onClick={onClose}>Cancel</button>
        <button type="button" class="danger" onClick={confirm}>{request?.action}</button>
      </div>
    </dialog>
  );
}
