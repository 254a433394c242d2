// Confirmation dialogs: HTMX loads the confirmation into #dialog-body; this opens it as a modal.
// Without JavaScript the same link opens the confirmation as a page of its own.
// The script tag lives in the page body, so an HTMX history restore (which swaps the body) runs it
// again: the listeners are installed once per document.
(() => {
  if (window.portalDialogReady) return;
  window.portalDialogReady = true;
  const dialog = () => document.getElementById('dialog');
  document.addEventListener('htmx:afterSwap', (event) => {
    // History restores swap the body without a target in the event's detail.
    const target = event.detail && event.detail.target;
    const d = dialog();
    if (d && target && target.id === 'dialog-body' && !d.open) {
      d.showModal();
      // A confirmation of something destructive starts on its safe way out (Cancelar), so that
      // Enter or Space pressed by habit does not delete; Escape closes the dialog too.
      const first = d.querySelector('[data-close-dialog]') || d.querySelector('button, a');
      if (first) first.focus();
    }
  });
  document.addEventListener('click', (event) => {
    const close = event.target.closest && event.target.closest('[data-close-dialog]');
    const d = dialog();
    if (close && d && d.open) {
      event.preventDefault();
      d.close();
    }
  });
})();
