// Passkeys: a form marked data-passkey asks the authenticator (through @simplewebauthn/browser,
// served from /public/vendor/) and posts its answer in the hidden "response" field. The options
// are in data-options (registration, made with the page) or fetched from data-options-url (a
// sign-in or step-up challenge, made when the button is pressed). The server checks everything.
(function () {
  const webauthn = window.SimpleWebAuthnBrowser;

  function say(form, text) {
    const status = form.querySelector('[data-passkey-status]');
    if (!status) return;
    status.textContent = text;
    status.hidden = false;
  }

  async function optionsFor(form) {
    if (form.dataset.options) return JSON.parse(form.dataset.options);
    const res = await fetch(form.dataset.optionsUrl, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { accept: 'application/json', 'x-csrf-token': form.elements._csrf.value },
    });
    // The login or the step-up waiting for this answer is gone: the page says what to do now.
    if (!res.ok) {
      window.location.reload();
      return null;
    }
    return res.json();
  }

  document.querySelectorAll('form[data-passkey]').forEach((form) => {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!webauthn || !webauthn.browserSupportsWebAuthn()) return say(form, form.dataset.unsupported);
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        const optionsJSON = await optionsFor(form);
        if (!optionsJSON) return;
        const answer = form.dataset.passkey === 'register'
          ? await webauthn.startRegistration({ optionsJSON })
          : await webauthn.startAuthentication({ optionsJSON });
        form.elements.response.value = JSON.stringify(answer);
        form.submit();
      } catch (err) {
        // Cancelled, timed out, or this device already holds one of the person's passkeys.
        say(form, form.dataset.failed);
        button.disabled = false;
      }
    });
  });
})();
