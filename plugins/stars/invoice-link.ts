/** Telegram invoice links and the slug inside them. The store hands out a link for each Stars order; only the slug
 *  goes to Telegram (`InputInvoiceSlug`), so the link is read strictly: a link of another shape, host or bot, or with
 *  anything after the slug, yields no slug at all rather than a guess. */
import { AutomintError } from '../../core/errors.js';

/** A slug as Telegram issues them: URL-safe base64 characters, bounded. */
const SLUG = /^[A-Za-z0-9_-]{1,128}$/;

/** The link shapes Telegram uses for an invoice, each followed directly by the slug and nothing else. */
const PREFIXES = ['https://t.me/$', 't.me/$', 'https://t.me/invoice/', 't.me/invoice/', 'tg://invoice?slug='] as const;

/** The slug of an invoice link (`https://t.me/$<slug>`, `t.me/$<slug>`, `https://t.me/invoice/<slug>`,
 *  `tg://invoice?slug=<slug>`), or null for anything else. */
export function invoiceSlug(link: string): string | null {
  const text = link.trim();
  for (const prefix of PREFIXES) {
    // Scheme and host are case-insensitive in a URL; the slug is not.
    if (text.length > prefix.length && text.slice(0, prefix.length).toLowerCase() === prefix) {
      const slug = text.slice(prefix.length);
      return SLUG.test(slug) ? slug : null;
    }
  }
  return null;
}

/** The canonical link (`https://t.me/$<slug>`) for a slug; throws InvoiceSlugInvalid for a malformed slug. */
export function invoiceLink(slug: string): string {
  if (!SLUG.test(slug)) throw new InvoiceSlugInvalid(slug.length);
  return `https://t.me/$${slug}`;
}

/** A slug with characters or a length Telegram never issues. */
export class InvoiceSlugInvalid extends AutomintError {
  constructor(length: number) {
    super('INVOICE_SLUG_INVALID', `an invoice slug must be 1-128 letters, digits, "_" or "-" (got ${length} characters)`, { length });
  }
}
