import { formatCpf, formatPhone } from './identity';

/** View helpers (app.locals): how Brazilians read documents and phones. */
export const contactFormatters = {
  formatDocument(c: { document_type?: string | null; document_number?: string | null }): string {
    if (!c.document_number) return '';
    return c.document_type === 'cpf' ? formatCpf(c.document_number) : c.document_number;
  },
  formatPhoneOf(c: { country: string; area_code?: string | null; phone?: string | null }): string {
    return c.phone ? formatPhone(c.country, c.area_code ?? undefined, c.phone) : '';
  },
  countryName(code: string, locale: string): string {
    try {
      return new Intl.DisplayNames([locale], { type: 'region' }).of(code) ?? code;
    } catch {
      return code;
    }
  },
};
