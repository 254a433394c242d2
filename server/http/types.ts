import type { TFunction } from 'i18next';
import type { Locale } from '../i18n';

export type FlashMessage = { type: 'success' | 'error' | 'info'; key: string; params?: Record<string, unknown> };

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface User {
      id: number;
      email: string;
      name: string;
      locale: string | null;
    }
    interface Request {
      t: TFunction;
      locale: Locale;
    }
    interface Response {
      renderPage(view: string, locals?: Record<string, unknown>, status?: number): Promise<void>;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    flash?: FlashMessage[];
    returnTo?: string;
  }
}
