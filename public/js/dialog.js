// Confirmation dialogs: HTMX loads the confirmation into #dialog-body; this opens it as a modal.
// Without JavaScript the same link opens the confirmation as a page of its own.
(() => {
  const dialog = () => document.getElementById('dialog');
  document.addEventListener('htmx:afterSwap', (event) => {
    const d = dialog();
    if (d && event.detail.target.id === 'dialog-body' && !d.open) {
      d.showModal();
      const first = d.querySelector('button, a');
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
