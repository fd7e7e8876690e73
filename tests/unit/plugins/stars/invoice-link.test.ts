import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { invoiceLink, invoiceSlug, InvoiceSlugInvalid } from '../../../../plugins/stars/invoice-link.js';

const SLUG_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
const slugArb = fc.string({ unit: fc.constantFrom(...SLUG_CHARS), minLength: 1, maxLength: 128 });

describe('invoiceSlug', () => {
  it.each([
    ['https://t.me/$AbC_12-x', 'AbC_12-x'],
    ['t.me/$AbC_12-x', 'AbC_12-x'],
    ['https://t.me/invoice/AbC_12-x', 'AbC_12-x'],
    ['t.me/invoice/AbC_12-x', 'AbC_12-x'],
    ['tg://invoice?slug=AbC_12-x', 'AbC_12-x'],
    ['HTTPS://T.ME/$AbC', 'AbC'],
    ['  https://t.me/$padded  ', 'padded'],
  ])('reads the slug of %s', (link, slug) => {
    expect(invoiceSlug(link)).toBe(slug);
  });

  it.each([
    [''],
    ['https://t.me/$'],
    ['https://t.me/invoice/'],
    ['tg://invoice?slug='],
    ['https://evil.example/$abc'],
    ['https://t.me.evil.example/$abc'],
    ['https://evil.example/t.me/$abc'],
    ['http://t.me/$abc'],
    ['https://t.me/sticker_bot'],
    ['https://t.me/sticker_bot?start=abc'],
    ['https://t.me/$abc?x=1'],
    ['https://t.me/$abc#frag'],
    ['https://t.me/$abc/def'],
    ['https://t.me/$abc def'],
    ['https://t.me/$abc%20def'],
    ['tg://invoice?slug=abc&slug=def'],
    ['tg://invoice?slug=abc&start=1'],
    ['tg://resolve?domain=sticker_bot'],
    ['https://t.me/$' + 'a'.repeat(129)],
    ['abc'],
  ])('refuses %j', (link) => {
    expect(invoiceSlug(link)).toBeNull();
  });

  it('never returns a slug with characters outside [A-Za-z0-9_-] or longer than 128', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.constantFrom('', 'https://t.me/$', 't.me/$', 'https://t.me/invoice/', 'tg://invoice?slug='), (tail, prefix) => {
        const slug = invoiceSlug(prefix + tail);
        if (slug !== null) expect(slug).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every valid slug through every link shape', () => {
    fc.assert(
      fc.property(slugArb, (slug) => {
        expect(invoiceSlug(invoiceLink(slug))).toBe(slug);
        for (const link of [`t.me/$${slug}`, `https://t.me/invoice/${slug}`, `tg://invoice?slug=${slug}`]) expect(invoiceSlug(link)).toBe(slug);
      }),
    );
  });

  it('refuses to build a link from a malformed slug', () => {
    expect(() => invoiceLink('a/b')).toThrow(InvoiceSlugInvalid);
    expect(() => invoiceLink('')).toThrow(InvoiceSlugInvalid);
  });
});
