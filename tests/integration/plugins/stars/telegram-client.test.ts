/** The Stars plugin's Telegram layer against the simulated Telegram, through the unchanged GramJS client: sessions,
 *  login with code and 2FA, web app login data, flood waits, and sessions Telegram no longer accepts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { Api } from 'telegram';
import { StringSession } from 'telegram/sessions/index.js';
import { AuthKey } from 'telegram/crypto/AuthKey.js';
import { startTelegram, type SimTelegram } from '../../../../sim/telegram/index.js';
import type { InvoiceDesk, InvoicePaymentVerdict, StarsInvoice } from '../../../../sim/stars-invoices.js';
import { checkWebAppData } from '../../../../sim/web-app-data.js';
import { starsConfigSchema, type StarsConfig } from '../../../../plugins/stars/config.js';
import { TelegramConnection } from '../../../../plugins/stars/telegram-connection.js';
import { describeSession, logIn, type LoginPrompts } from '../../../../plugins/stars/login.js';
import { requestInitData } from '../../../../plugins/stars/init-data.js';
import { AutomintError } from '../../../../core/errors.js';

const BOT_TOKEN = '7000001:sim-store-bot-token-for-tests';
const STORE_URL = 'https://stickerdom.store/';
const ALICE = { userId: 1001, phone: '+1 555 0001', firstName: 'Alice', username: 'alice', stars: 500n };
const BOB = { userId: 1002, phone: '+1 555 0002', firstName: 'Bob', password: 'correct horse battery', stars: 100n };
const CAROL = { userId: 1003, phone: '+1 555 0003', firstName: 'Carol', stars: 0n };

/** A store's invoices as the simulated Telegram reads them: in memory, paid once. */
class MemoryDesk implements InvoiceDesk {
  private readonly invoices = new Map<string, StarsInvoice>();
  private readonly paid = new Set<string>();
  add(invoice: StarsInvoice): void {
    this.invoices.set(invoice.slug, invoice);
  }
  find(slug: string): StarsInvoice | null {
    return this.invoices.get(slug) ?? null;
  }
  pay(slug: string): InvoicePaymentVerdict {
    const invoice = this.invoices.get(slug);
    if (invoice === undefined) return 'unknown';
    if (this.paid.has(slug)) return 'already-paid';
    this.paid.add(slug);
    return 'paid';
  }
}

/** Log lines as written, to prove no secret reaches them. */
function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
  return { log: pino({ level: 'trace' }, sink), lines };
}

/** Polls `check` until true (or fails after `ms`). */
async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A TCP relay in front of the simulated Telegram that can go away and come back on the same port. */
async function startRelay(targetPort: number): Promise<{ port: number; stop(): Promise<void>; start(): Promise<void> }> {
  let server: net.Server | undefined;
  const sockets = new Set<net.Socket>();
  let port = 0;
  const start = (): Promise<void> => new Promise((resolve) => {
    server = net.createServer((inbound) => {
      const outbound = net.connect(targetPort, '127.0.0.1');
      for (const s of [inbound, outbound]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => undefined); }
      inbound.pipe(outbound).pipe(inbound);
    });
    server.listen(port, '127.0.0.1', () => { port = (server!.address() as net.AddressInfo).port; resolve(); });
  });
  await start();
  return {
    get port() { return port; },
    start,
    stop: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server!.close(() => resolve());
    }),
  };
}

/** Every error a test saw, checked at the end for secrets. */
const seenErrors: unknown[] = [];
async function failure(work: Promise<unknown>): Promise<AutomintError> {
  const e = await work.then(() => undefined, (err: unknown) => err);
  seenErrors.push(e);
  expect(e).toBeInstanceOf(AutomintError);
  return e as AutomintError;
}

describe('Telegram client layer against the simulated Telegram', () => {
  let tg: SimTelegram;
  let config: StarsConfig;
  const { log, lines } = capturingLogger();
  const secrets: string[] = [BOT_TOKEN, BOB.password];
  const open = (account: string, session: string, overrides: Partial<StarsConfig> = {}) =>
    TelegramConnection.open({ account, session, config: { ...config, ...overrides }, log });

  /** Prompts answering from the simulated Telegram's sent codes; `codes` and `passwords` are tried in order. */
  function prompts(phone: string, answers: { codes?: (real: string) => string[]; passwords?: string[] } = {}): LoginPrompts & { asked: string[] } {
    const asked: string[] = [];
    let codeTry = 0;
    let passwordTry = 0;
    return {
      asked,
      phone: async () => { asked.push('phone'); return phone; },
      code: async () => {
        asked.push('code');
        const real = tg.codesSentTo(phone).at(-1)!;
        const list = answers.codes?.(real) ?? [real];
        return list[Math.min(codeTry++, list.length - 1)]!;
      },
      password: async (hint) => {
        asked.push(`password:${hint ?? ''}`);
        const list = answers.passwords ?? [BOB.password];
        return list[Math.min(passwordTry++, list.length - 1)]!;
      },
    };
  }

  beforeAll(async () => {
    tg = await startTelegram({
      users: [ALICE, BOB, CAROL],
      storeBot: { userId: 7000001, username: 'sticker_bot', token: BOT_TOKEN, webAppUrls: [STORE_URL] },
      invoices: new MemoryDesk(),
      host: '127.0.0.1',
      port: 0,
    });
    config = starsConfigSchema.parse({
      apiId: 12345,
      apiHash: '0123456789abcdef0123456789abcdef',
      server: { host: tg.host, port: tg.port, publicKey: tg.publicKeyPem },
      dcId: tg.dcId,
      connectTimeoutSec: 5,
      maxFloodWaitSec: 2,
    });
  });

  afterAll(async () => {
    await tg?.close();
  });

  it('opens a connection from an issued session without a new handshake and knows the user', async () => {
    const session = tg.issueSession(ALICE.userId);
    secrets.push(session);
    const conn = await open('alice', session);
    try {
      expect(conn.account).toBe('alice');
      expect(conn.userId).toBe(BigInt(ALICE.userId));
      const status = await conn.invoke(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() }));
      expect(BigInt((status.balance as Api.StarsAmount).amount.toString())).toBe(500n);
    } finally {
      await conn.close();
      await conn.close();
    }
    await expect(conn.invoke(new Api.updates.GetState())).rejects.toMatchObject({ code: 'TELEGRAM_UNAVAILABLE', details: { reason: 'closed', maybeApplied: false } });
  });

  it('logs in with the code Telegram sent and gives a session that connects', async () => {
    const ask = prompts(ALICE.phone);
    const result = await logIn({ config, prompts: ask, log, account: 'alice' });
    secrets.push(result.session);
    expect(result).toMatchObject({ userId: BigInt(ALICE.userId), username: 'alice', firstName: 'Alice' });
    expect(ask.asked).toEqual(['phone', 'code']);
    expect(describeSession(result.session)).toMatchObject({ dcId: tg.dcId, serverAddress: tg.host });
    const conn = await open('alice', result.session);
    expect(conn.userId).toBe(BigInt(ALICE.userId));
    await conn.close();
  });

  it('logs in with code and 2FA password', async () => {
    const ask = prompts(BOB.phone);
    const result = await logIn({ config, prompts: ask, log, account: 'bob' });
    secrets.push(result.session);
    expect(result.userId).toBe(BigInt(BOB.userId));
    expect(ask.asked.filter((a) => a.startsWith('password'))).toHaveLength(1);
  });

  it('asks again for a wrong code, then logs in', async () => {
    const ask = prompts(CAROL.phone, { codes: (real) => [real === '00000' ? '11111' : '00000', real] });
    const result = await logIn({ config, prompts: ask, log });
    secrets.push(result.session);
    expect(result.userId).toBe(BigInt(CAROL.userId));
    expect(ask.asked).toEqual(['phone', 'code', 'code']);
  });

  it('gives up after three wrong codes with a typed error', async () => {
    const ask = prompts(CAROL.phone, { codes: (real) => [real === '00000' ? '11111' : '00000'] });
    const e = await failure(logIn({ config, prompts: ask, log }));
    expect(e.code).toBe('TELEGRAM_LOGIN_CODE_REJECTED');
    expect(ask.asked).toEqual(['phone', 'code', 'code', 'code']);
  });

  it('asks again for a wrong 2FA password, then logs in; three wrong ones fail typed', async () => {
    const retry = prompts(BOB.phone, { passwords: ['wrong password', BOB.password] });
    const result = await logIn({ config, prompts: retry, log });
    secrets.push(result.session);
    expect(result.userId).toBe(BigInt(BOB.userId));
    expect(retry.asked.filter((a) => a.startsWith('password'))).toHaveLength(2);

    const wrong = prompts(BOB.phone, { passwords: ['wrong password'] });
    const e = await failure(logIn({ config, prompts: wrong, log }));
    expect(e.code).toBe('TELEGRAM_LOGIN_PASSWORD_REJECTED');
    expect(wrong.asked.filter((a) => a.startsWith('password'))).toHaveLength(3);
  });

  it('refuses an unknown phone number with a typed error', async () => {
    const e = await failure(logIn({ config, prompts: prompts('+1 555 9999'), log }));
    expect(e.code).toBe('TELEGRAM_LOGIN_PHONE_INVALID');
  });

  it('refuses to log in without the API application', async () => {
    const e = await failure(logIn({ config: { ...config, apiId: undefined }, prompts: prompts(ALICE.phone), log }));
    expect(e.code).toBe('TELEGRAM_NOT_CONFIGURED');
  });

  it('gets initData the store accepts from the store bot web app', async () => {
    const conn = await open('alice', tg.issueSession(ALICE.userId));
    try {
      const initData = await requestInitData(conn, { bot: 'sticker_bot', webAppUrls: [STORE_URL], platform: 'android' });
      secrets.push(initData);
      const check = checkWebAppData(BOT_TOKEN, initData, Math.floor(Date.now() / 1000), 300);
      expect(check).toMatchObject({ ok: true, user: { id: ALICE.userId } });
      expect(lines.join('')).not.toContain(initData);
    } finally {
      await conn.close();
    }
  });

  it('falls back to the main web app when the configured URLs are refused', async () => {
    const conn = await open('alice', tg.issueSession(ALICE.userId));
    try {
      const initData = await requestInitData(conn, { bot: 'sticker_bot', webAppUrls: ['https://elsewhere.example/'], platform: 'ios' });
      secrets.push(initData);
      expect(checkWebAppData(BOT_TOKEN, initData, Math.floor(Date.now() / 1000), 300)).toMatchObject({ ok: true });
    } finally {
      await conn.close();
    }
  });

  it('says which ways it tried when the bot gives no web app', async () => {
    const conn = await open('alice', tg.issueSession(ALICE.userId));
    try {
      const e = await failure(requestInitData(conn, { bot: 'no_such_bot', webAppUrls: [STORE_URL], platform: 'android' }));
      expect(e.code).toBe('WEB_APP_UNAVAILABLE');
      expect(e.details).toMatchObject({ bot: 'no_such_bot', tried: ['contacts.ResolveUsername'] });
    } finally {
      await conn.close();
    }
  });

  it('waits out a short FLOOD_WAIT and repeats the call once', async () => {
    const conn = await open('alice', tg.issueSession(ALICE.userId));
    try {
      const before = tg.stats().requests['payments.GetStarsStatus'] ?? 0;
      tg.injectFloodWait('payments.GetStarsStatus', 1);
      const status = await conn.invoke(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() }));
      expect(status).toBeInstanceOf(Api.payments.StarsStatus);
      expect((tg.stats().requests['payments.GetStarsStatus'] ?? 0) - before).toBe(2);
      expect(lines.some((l) => l.includes('flood wait'))).toBe(true);
    } finally {
      await conn.close();
    }
  });

  it('fails typed on a FLOOD_WAIT longer than allowed, or when told not to wait', async () => {
    const conn = await open('alice', tg.issueSession(ALICE.userId));
    try {
      tg.injectFloodWait('payments.GetStarsStatus', 3_600);
      const long = await failure(conn.invoke(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() })));
      expect(long).toMatchObject({ code: 'TELEGRAM_FLOOD_WAIT', details: { method: 'payments.GetStarsStatus', seconds: 3_600 } });

      tg.injectFloodWait('payments.GetStarsStatus', 1);
      const told = await failure(conn.invoke(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() }), { floodWait: 'fail' }));
      expect(told).toMatchObject({ code: 'TELEGRAM_FLOOD_WAIT', details: { seconds: 1 } });
    } finally {
      await conn.close();
    }
  });

  it('passes a second FLOOD_WAIT to the caller instead of waiting again', async () => {
    const conn = await open('alice', tg.issueSession(ALICE.userId));
    try {
      tg.injectFloodWait('payments.GetStarsStatus', 1, 2);
      const e = await failure(conn.invoke(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() })));
      expect(e.code).toBe('TELEGRAM_FLOOD_WAIT');
    } finally {
      await conn.close();
    }
  });

  it('reports a logged-out session as invalid, with the login advice', async () => {
    const session = tg.issueSession(CAROL.userId);
    const first = await open('carol', session);
    await first.invoke(new Api.auth.LogOut());
    await first.close();
    const e = await failure(open('carol', session));
    expect(e.code).toBe('TELEGRAM_SESSION_INVALID');
    expect(e.message).toContain('automint login --account carol');
  });

  it('reports a session whose key the server never knew as invalid, with the login advice', async () => {
    const session = new StringSession('');
    session.setDC(tg.dcId, tg.host, 443);
    const key = new AuthKey();
    await key.setKey(randomBytes(256));
    session.setAuthKey(key);
    const text = session.save();
    secrets.push(text);
    const e = await failure(open('dave', text));
    expect(e.code).toBe('TELEGRAM_SESSION_INVALID');
    expect(e.details).toMatchObject({ reason: 'AUTH_KEY_UNKNOWN' });
    expect(e.message).toContain('automint login --account dave');
    expect(lines.some((l) => l.includes('telegram transport error') && l.includes('404'))).toBe(true);
  });

  it('stops a call the caller gives up on, saying it may still have been executed', async () => {
    const conn = await open('alice', tg.issueSession(ALICE.userId));
    try {
      const before = tg.stats().requests['help.GetNearestDc'] ?? 0;
      tg.injectDisconnect('help.GetNearestDc', { afterWork: true });
      const stop = new AbortController();
      const call = failure(conn.invoke(new Api.help.GetNearestDc(), { signal: stop.signal }));
      await until(() => (tg.stats().requests['help.GetNearestDc'] ?? 0) > before);
      stop.abort();
      expect(await call).toMatchObject({ code: 'TELEGRAM_ABORTED', details: { method: 'help.GetNearestDc', maybeApplied: true } });
      // GramJS re-sends an unanswered call after reconnecting: the server sees it twice.
      await until(() => (tg.stats().requests['help.GetNearestDc'] ?? 0) >= before + 2);
    } finally {
      await conn.close();
    }
  });

  it('bounds a call that gets no answer by connectTimeoutSec', async () => {
    const conn = await open('alice', tg.issueSession(ALICE.userId), { connectTimeoutSec: 1 });
    try {
      const before = tg.stats().requests['help.GetNearestDc'] ?? 0;
      tg.injectDisconnect('help.GetNearestDc', { times: 3 });
      const e = await failure(conn.invoke(new Api.help.GetNearestDc()));
      expect(e).toMatchObject({ code: 'TELEGRAM_UNAVAILABLE', details: { reason: 'timeout', maybeApplied: true, timeoutMs: 1_000 } });
      await until(() => (tg.stats().requests['help.GetNearestDc'] ?? 0) >= before + 4);
    } finally {
      await conn.close();
    }
  });

  it('connects again on the next call after GramJS gave up reconnecting', async () => {
    const relay = await startRelay(tg.port);
    const conn = await open('alice', tg.issueSession(ALICE.userId), {
      server: { host: '127.0.0.1', port: relay.port, publicKey: tg.publicKeyPem }, connectTimeoutSec: 3,
    });
    try {
      expect(conn.state).toBe('connected');
      await relay.stop();
      await until(() => conn.state === 'disconnected');
      await relay.start();
      const status = await conn.invoke(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() }));
      expect(status).toBeInstanceOf(Api.payments.StarsStatus);
      expect(conn.state).toBe('connected');
    } finally {
      await conn.close();
      await relay.stop();
    }
    expect(conn.state).toBe('closed');
  });

  it('reports an unreachable server as unavailable', async () => {
    const e = await failure(open('alice', tg.issueSession(ALICE.userId), {
      server: { host: '127.0.0.1', port: 1, publicKey: tg.publicKeyPem }, connectTimeoutSec: 3,
    }));
    expect(e.code).toBe('TELEGRAM_UNAVAILABLE');
  });

  it('keeps working after the server drops its connections', async () => {
    const conn = await open('alice', tg.issueSession(ALICE.userId));
    try {
      tg.dropConnections();
      const status = await conn.invoke(new Api.payments.GetStarsStatus({ peer: new Api.InputPeerSelf() }));
      expect(status).toBeInstanceOf(Api.payments.StarsStatus);
    } finally {
      await conn.close();
    }
  });

  it('never lets a session, initData, bot token or password into an error or a log line', () => {
    expect(seenErrors.length).toBeGreaterThan(5);
    const texts = [
      ...seenErrors.map((e) => `${(e as Error).message} ${JSON.stringify((e as AutomintError).toJSON?.() ?? {})}`),
      lines.join('\n'),
    ];
    for (const secret of secrets) for (const text of texts) expect(text).not.toContain(secret);
  });
});
