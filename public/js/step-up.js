// After a step-up confirmation: posts the kept form again. Without this file the button does it.
const form = document.querySelector('form[data-auto-submit]');
if (form) form.submit();
