import type { Catalog } from '../index';

export default {
  app: { name: 'Portal del Cliente', skipToContent: 'Saltar al contenido' },
  common: {
    save: 'Guardar', cancel: 'Cancelar', back: 'Volver', confirm: 'Confirmar', yes: 'Sí', no: 'No',
    saved: '¡Registro guardado con éxito!', removed: '¡Registro eliminado con éxito!', actions: 'Acciones',
    required: 'Campo obligatorio', loading: 'Cargando…', close: 'Cerrar',
  },
  layout: { menu: 'Menú principal', myProfile: 'Mi perfil', logout: 'Salir', switchAccount: 'Cambiar de empresa', home: 'Inicio' },
  menu: { home: 'Inicio', contacts: 'Usuarios del sistema', settings: 'Configuración de la cuenta' },
  auth: {
    title: 'Ingresar al portal', email: 'Correo electrónico', password: 'Contraseña', submit: 'Ingresar',
    errors: {
      invalidCredentials: 'Correo electrónico o contraseña inválidos.',
      tooManyAttempts: 'Demasiados intentos. Inténtelo de nuevo en {{minutes}} minuto(s).',
      noAccess: 'Su usuario no tiene acceso activo a ninguna empresa.',
      sessionEnded: 'Su sesión terminó. Ingrese nuevamente.',
    },
    loggedOut: 'Usted salió del portal.',
  },
  setup: {
    title: 'Configuración inicial', intro: 'Registre la empresa y el administrador principal del portal.',
    company: 'Empresa', companyName: 'Nombre de la empresa', cnpj: 'CNPJ (opcional)',
    admin: 'Administrador principal', name: 'Nombre', email: 'Correo electrónico', password: 'Contraseña',
    passwordConfirmation: 'Confirmación de contraseña', submit: 'Crear empresa y administrador',
    done: 'Empresa creada. Ingrese con el correo y la contraseña del administrador.',
  },
  accounts: { pickerTitle: 'Elija la empresa', pickerIntro: 'Su usuario atiende a más de una empresa.', open: 'Ingresar', home: 'Bienvenido(a), {{name}}', homeIntro: 'Use el menú para acceder a las áreas del portal.' },
  me: {
    title: 'Mi perfil', data: 'Mis datos', name: 'Nombre', email: 'Correo electrónico', language: 'Idioma',
    languageAuto: 'Automático (navegador)', saveProfile: 'Guardar datos',
    passwordTitle: 'Cambiar contraseña', currentPassword: 'Contraseña actual', newPassword: 'Nueva contraseña',
    newPasswordConfirmation: 'Confirmación de la nueva contraseña', changePassword: 'Cambiar contraseña',
    passwordChanged: '¡Contraseña cambiada con éxito!',
  },
  languages: { 'pt-BR': 'Português (Brasil)', es: 'Español', en: 'English' },
  validation: {
    required: 'Campo obligatorio.',
    email: 'Ingrese un correo electrónico válido.',
    tooLong: 'Use como máximo {{max}} caracteres.',
    passwordTooShort: 'La contraseña debe tener al menos {{min}} caracteres.',
    passwordMismatch: 'Las contraseñas no coinciden.',
    passwordWrong: 'Contraseña actual incorrecta.',
    cnpj: 'CNPJ inválido.',
    locale: 'Idioma inválido.',
  },
  errors: {
    validation: 'Corrija los campos resaltados.',
    notFound: { title: 'Página no encontrada', message: 'La página o el registro que busca no existe.' },
    forbidden: { title: 'Acceso denegado', message: 'No tiene permiso para acceder a esta página.' },
    csrf: 'Su sesión expiró o el formulario es antiguo. Recargue la página e inténtelo de nuevo.',
    server: { title: 'Error interno', message: 'Ocurrió un error inesperado. Inténtelo de nuevo en unos instantes.' },
    conflict: 'El registro fue modificado por otra persona. Recargue la página.',
    backHome: 'Volver al inicio',
  },
} satisfies Catalog;
