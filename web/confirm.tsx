// A confirmation dialog on the native <dialog> element (focus trap, Escape to cancel, for free).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

export interface ConfirmProps {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

export function ConfirmDialog(p: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return (
    <dialog ref={ref} class="confirm" onCancel={p.onCancel} aria-labelledby="confirm-title">
      <h3 id="confirm-title">{p.title}</h3>
      <div class="confirm-body">{p.children}</div>
      <div class="buttons">
        <button type="button" onClick={p.onCancel}>
          Cancel
        </button>
        <button type="button" class={p.danger ? 'danger' : 'primary'} onClick={p.onConfirm} autofocus>
          {p.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
