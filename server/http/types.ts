import type { TFunction } from 'i18next';
import type { MemberContext } from '../accounts/member-context.repository';
import type { Locale } from '../i18n';

/** The current account as the signed-in contact sees it; loaded once per request. */
export interface AccountContext {
  account: {
    id: number;
    name: string;
    ownerContactId: number | null;
    seatLimit: number;
    /** Per-status counters as of this request (pending + active use seats). */
    counts: { active: number; pending: number; deactivated: number };
  };
  contact: { id: number; name: string; profile: string };
  isOwner: boolean;
  permissions: ReadonlySet<string>;
  can(key: string): boolean;
}

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
      ctx?: AccountContext;
      /** Read with the session, in the same statement, for an account page (SessionStore.get). */
      prefetchedMember?: { accountId: number; userId: number; member: MemberContext };
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
