// Small progressive enhancements; every page works without this file.
document.addEventListener('htmx:responseError', (event) => {
  // Error answers are not swapped (see the htmx-config meta tag): show their text in the live region.
  const region = document.getElementById('flash');
  if (!region) return;
  const p = document.createElement('p');
  p.className = 'flash flash-error';
  p.textContent = event.detail.xhr.responseText || 'Erro';
  region.replaceChildren(p);
});
