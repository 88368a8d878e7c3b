import { type KeyboardEvent, type ReactNode, useLayoutEffect, useRef } from 'react';

const FOCUSABLE = 'button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])';

const focusables = (root: HTMLElement): HTMLElement[] => [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => !el.matches(':disabled') && el.getClientRects().length > 0);

/**
 * A modal dialog: the native <dialog> opened with showModal(), so the page behind it is inert and
 * Escape closes it; labelled by its heading (`labelledBy`). Focus moves into it on open (to the
 * element marked `data-autofocus`, else the browser's choice, its first control), Tab and Shift+Tab
 * wrap around its controls instead of leaving for the browser's own UI, and on close focus returns
 * to the control that had it when the dialog opened or, when that control is gone, to the first
 * control of the nearest still-present element around it.
 * Shown while mounted: the owner unmounts it in `onClose` (Escape, or its own buttons).
 */
export function Dialog({ labelledBy, onClose, children }: { labelledBy: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const around: HTMLElement[] = [];
    for (let el = opener?.parentElement; el && el !== document.body; el = el.parentElement) around.push(el);
    dialog.showModal();
    dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => {
      if (dialog.open) dialog.close();
      if (opener?.isConnected) return opener.focus();
      // The opener went with what the dialog did (a move removes its own button): the first control
      // of the nearest part of the page around it that is still there.
      for (const el of around) {
        const next = el.isConnected ? focusables(el)[0] : undefined;
        if (next) return next.focus();
      }
    };
  }, []);
  const onKeyDown = (e: KeyboardEvent<HTMLDialogElement>) => {
    if (e.key !== 'Tab' || !ref.current) return;
    const items = focusables(ref.current);
    const first = items[0];
    const last = items.at(-1);
    if (!first || !last) return;
    const active = document.activeElement;
    if (e.shiftKey && (active === first || !ref.current.contains(active))) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (active === last || !ref.current.contains(active))) {
      e.preventDefault();
      first.focus();
    }
  };
  return (
    // Escape fires `cancel`; the owner closes the dialog by unmounting it, so the browser's own close is not needed.
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={labelledBy}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClose={onClose}
      onKeyDown={onKeyDown}
    >
      {children}
    </dialog>
  );
}
