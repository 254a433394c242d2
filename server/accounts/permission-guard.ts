import type { NextFunction, Request, Response } from 'express';
import { Forbidden } from '../errors';

/** The one route guard: 403 unless the current contact holds `key` in this account (after accountContext). */
export function requirePermission(key: string) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.ctx?.can(key)) throw new Forbidden();
    next();
  };
}
