import type { Knex } from 'knex';
import { insertId } from '../db/knex';

type Q = Knex | Knex.Transaction;

export type ContactStatus = 'pending' | 'active' | 'deactivated';

export interface NewContact {
  account_id: number;
  user_id: number | null;
  status: ContactStatus;
  profile: string;
  name: string;
  email: string;
  country: string;
  document_type?: string | null;
  document_number?: string | null;
  area_code?: string | null;
  phone?: string | null;
  consulting_authorized?: boolean;
  created_by_contact_id?: number | null;
}

export class ContactRepository {
  insert(q: Q, contact: NewContact): Promise<number> {
    const now = new Date();
    return insertId(q, 'contacts', { ...contact, created_at: now, updated_at: now });
  }
}
