import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkWebAppData, signWebAppData, TELEGRAM_SIGNING_KEY } from '../../../sim/web-app-data.js';
import { oddUsername } from '../../../sim/world.js';

const BOT_TOKEN = '7000001:secret-token-of-the-store-bot';
const USER = { id: 1001, first_name: 'Ann & Bob +1 100% 🐱', username: 'ann' };

describe('initData as the simulated Telegram signs it', () => {
  it('carries an Ed25519 signature of every field but hash, which a third party checks with Telegram\'s public key', () => {
    const fields = new URLSearchParams(signWebAppData(BOT_TOKEN, USER, { authDate: 1_700_000_000, queryId: 'q1' }));
    const signature = fields.get('signature');
    expect(signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    fields.delete('hash');
    fields.delete('signature');
    const data = [...fields.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('\n');
    const publicKey = createPublicKey(TELEGRAM_SIGNING_KEY);
    expect(verify(null, Buffer.from(`7000001:WebAppData\n${data}`), publicKey, Buffer.from(signature!, 'base64url'))).toBe(true);
  });

  it('has a hash over every field but itself, the signature included: a changed signature fails the bot-token check', () => {
    const initData = signWebAppData(BOT_TOKEN, USER, { authDate: 1_700_000_000, queryId: 'q1' });
    expect(checkWebAppData(BOT_TOKEN, initData, 1_700_000_010, 3600)).toMatchObject({ ok: true, user: USER });
    const fields = new URLSearchParams(initData);
    fields.set('signature', 'A'.repeat(86));
    expect(checkWebAppData(BOT_TOKEN, fields.toString(), 1_700_000_010, 3600)).toEqual({ ok: false, reason: 'bad-hash' });
    // A client that URL-decodes the data twice turns `+` into a space and `%..` into other bytes: refused.
    expect(checkWebAppData(BOT_TOKEN, decodeURIComponent(initData), 1_700_000_010, 3600)).toMatchObject({ ok: false });
  });

  it("carries a world buyer's username with &, +, %, spaces and an emoji through the fragment and one decode unchanged", () => {
    const username = oddUsername('alice');
    for (const c of ['&', '+', '%', ' ', '🐱']) expect(username).toContain(c);
    const user = { ...USER, username };
    const initData = signWebAppData(BOT_TOKEN, user, { authDate: 1_700_000_000, queryId: 'q1' });
    // As Telegram hands it over (a URL fragment), decoded once as a client must.
    const fragment = `tgWebAppData=${encodeURIComponent(initData)}&tgWebAppVersion=8.0`;
    const once = new URLSearchParams(fragment).get('tgWebAppData')!;
    expect(checkWebAppData(BOT_TOKEN, once, 1_700_000_010, 3600)).toEqual({ ok: true, user, authDate: 1_700_000_000 });
    expect(checkWebAppData(BOT_TOKEN, decodeURIComponent(once), 1_700_000_010, 3600)).toMatchObject({ ok: false });
  });
});
