// The contact form's country change (views/contacts/_field.ejs) redraws only the fields that depend
// on the country: the document and the area code. Whatever the person typed into those two while
// the answer travelled is put back once they are redrawn, so nothing typed is lost at any latency.
// The script tag lives in the page body (an HTMX history restore runs it again): listeners once.
(() => {
  if (window.portalContactFormReady) return;
  window.portalContactFormReady = true;
  const DEPENDENT = ['field-document', 'field-areaCode'];
  let typed = null;
  const fromCountry = (event) => {
    const config = event.detail && event.detail.requestConfig;
    return Boolean(config && config.elt && config.elt.id === 'f-country');
  };
  document.addEventListener('htmx:beforeSwap', (event) => {
    if (!fromCountry(event)) return;
    typed = new Map();
    for (const id of DEPENDENT) {
      const group = document.getElementById(id);
      if (group) for (const el of group.querySelectorAll('input[name]:not([type="hidden"]), select[name]')) typed.set(el.name, el.value);
    }
  });
  // Fired on each redrawn field (not on the select): the snapshot marks the country's answer.
  document.addEventListener('htmx:afterSwap', () => {
    if (!typed) return;
    for (const id of DEPENDENT) {
      const group = document.getElementById(id);
      if (!group) continue;
      for (const el of group.querySelectorAll('input[name]:not([type="hidden"]), select[name]')) {
        if (!typed.has(el.name)) continue;
        const value = typed.get(el.name);
        if (el.tagName === 'SELECT' && !Array.from(el.options).some((o) => o.value === value)) continue;
        el.value = value;
      }
    }
    typed = null;
  });
})();
