/** The slug of a Telegram invoice link, the name the store's invoice goes by: `https://t.me/$<slug>` (what the store
 *  answers), or `t.me/invoice/<slug>`. Null when the link carries none (the order can never be paid). */
export function invoiceSlug(link: string): string | null {
  const m = /^(?:https?:\/\/)?t\.me\/(?:\$|invoice\/)([A-Za-z0-9_-]{1,128})$/.exec(link.trim());
  return m?.[1] ?? null;
}
