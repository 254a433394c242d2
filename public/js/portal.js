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

// The main menu's <details> shows its list on wide screens by CSS (::details-content); a browser
// without that selector gets the <details> opened instead, so no one has to find the menu.
if (!CSS.supports('selector(::details-content)')) {
  const wide = window.matchMedia('(min-width: 761px)');
  const follow = () => document.querySelectorAll('.nav-menu').forEach((d) => { d.open = wide.matches; });
  follow();
  wide.addEventListener('change', follow);
}

// Row menus ("Ações"): Escape closes the open one and gives the focus back to its button; a click
// elsewhere closes it; opening one closes the others. Without this file they work as <details>.
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  const open = document.activeElement && document.activeElement.closest('details.row-menu[open]');
  if (!open) return;
  open.open = false;
  open.querySelector('summary').focus();
});
document.addEventListener('click', (event) => {
  const inside = event.target instanceof Element ? event.target.closest('details.row-menu') : null;
  document.querySelectorAll('details.row-menu[open]').forEach((d) => { if (d !== inside) d.open = false; });
});
