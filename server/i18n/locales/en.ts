import type { Catalog } from '../index';

export default {
  app: { name: 'Customer Portal', skipToContent: 'Skip to content' },
  common: {
    save: 'Save', cancel: 'Cancel', back: 'Back', confirm: 'Confirm', yes: 'Yes', no: 'No',
    saved: 'Record saved successfully!', removed: 'Record removed successfully!', actions: 'Actions',
    required: 'Required field', loading: 'Loading…', close: 'Close',
  },
  layout: { menu: 'Main menu', myProfile: 'My profile', logout: 'Sign out', switchAccount: 'Switch company', home: 'Home' },
  menu: { home: 'Home', contacts: 'System users', settings: 'Account settings' },
  auth: {
    title: 'Sign in to the portal', email: 'E-mail', password: 'Password', submit: 'Sign in',
    errors: {
      invalidCredentials: 'Invalid e-mail or password.',
      tooManyAttempts: 'Too many sign-in attempts. Try again in {{minutes}} minute(s).',
      noAccess: 'Your user has no active access to any company.',
      sessionEnded: 'Your session ended. Please sign in again.',
    },
    loggedOut: 'You have signed out.',
  },
  setup: {
    title: 'First-run setup', intro: 'Register the company and the portal\'s primary administrator.',
    company: 'Company', companyName: 'Company name', cnpj: 'CNPJ (optional)',
    admin: 'Primary administrator', name: 'Name', email: 'E-mail', password: 'Password',
    passwordConfirmation: 'Password confirmation', submit: 'Create company and administrator',
    done: 'Company created. Sign in with the administrator\'s e-mail and password.',
  },
  accounts: { pickerTitle: 'Choose the company', pickerIntro: 'Your user acts for more than one company.', open: 'Open', home: 'Welcome, {{name}}', homeIntro: 'Use the menu to reach the areas of the portal.' },
  me: {
    title: 'My profile', data: 'My details', name: 'Name', email: 'E-mail', language: 'Language',
    languageAuto: 'Automatic (browser)', saveProfile: 'Save details',
    passwordTitle: 'Change password', currentPassword: 'Current password', newPassword: 'New password',
    newPasswordConfirmation: 'New password confirmation', changePassword: 'Change password',
    passwordChanged: 'Password changed successfully!',
  },
  languages: { 'pt-BR': 'Português (Brasil)', es: 'Español', en: 'English' },
  validation: {
    required: 'Required field.',
    email: 'Enter a valid e-mail address.',
    tooLong: 'Use at most {{max}} characters.',
    passwordTooShort: 'The password must have at least {{min}} characters.',
    passwordMismatch: 'The passwords do not match.',
    passwordWrong: 'Current password is wrong.',
    cnpj: 'Invalid CNPJ.',
    locale: 'Invalid language.',
  },
  errors: {
    validation: 'Please correct the highlighted fields.',
    notFound: { title: 'Page not found', message: 'The page or record you are looking for does not exist.' },
    forbidden: { title: 'Access denied', message: 'You are not allowed to open this page.' },
    csrf: 'Your session expired or the form is old. Reload the page and try again.',
    server: { title: 'Internal error', message: 'Something unexpected went wrong. Try again shortly.' },
    conflict: 'The record was changed by someone else. Reload the page.',
    backHome: 'Back to home',
  },
} satisfies Catalog;
