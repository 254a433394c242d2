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

// Marks the menu entry of the current section (the longest link that prefixes the path; the
// account home and the footer links only on themselves), for sight (CSS) and for screen readers.
function markCurrentMenuEntry() {
  const links = Array.from(document.querySelectorAll('.sidebar a[href]'));
  const here = window.location.pathname.replace(/\/+$/, '') || '/';
  let best = null;
  links.forEach((a, i) => {
    const href = new URL(a.href).pathname.replace(/\/+$/, '') || '/';
    const section = i > 0 && !a.closest('.sidebar-footer');
    const matches = href === here || (section && here.startsWith(href + '/'));
    if (matches && (!best || href.length > best.href.length)) best = { a, href };
    a.removeAttribute('aria-current');
  });
  if (best) best.a.setAttribute('aria-current', 'page');
}
markCurrentMenuEntry();
document.addEventListener('htmx:pushedIntoHistory', markCurrentMenuEntry);
window.addEventListener('popstate', markCurrentMenuEntry);
