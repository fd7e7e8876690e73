/** The whole simulated world in one call: a TON chain (toncenter v2 over @ton/sandbox), a Stickerdom store that
 *  confirms orders from it and from Telegram, and a Telegram (an MTProto server the unchanged GramJS client talks to)
 *  whose store bot signs web-app login data and serves the store's Stars invoices; plus the buyers of a scenario with
 *  store tokens, funded WalletV5R1 wallets, Telegram sessions and Stars. Used by `automint demo`, tests and benchmarks. */
import { randomBytes, randomInt } from 'node:crypto';
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import type { Address } from '@ton/core';
import { toNano } from '../core/money.js';
import { startChain, type SimChain } from './chain/index.js';
import { startStore, type SimStore } from './store/index.js';
import { startTelegram, type SimTelegram } from './telegram/index.js';
import { DEMO_SCENARIO, withBuyers, type WorldScenario } from './scenarios.js';

/** A buyer as the world made it. `token`, `mnemonic`, `session` and `password` are secrets of the simulated world. */
export interface WorldBuyer {
  readonly name: string;
  readonly userId: number;
  readonly token: string;
  readonly mnemonic: string;
  readonly address: Address;
  /** Telegram login phone. */
  readonly phone: string;
  /** A GramJS StringSession logged in as the buyer (what `automint login` would save). */
  readonly session: string;
  readonly password: string | undefined;
}

/** A buyer's Telegram first name as people write them: `&`, `+`, `%`, spaces and an emoji, which initData carries
 *  URL-encoded, so a client that decodes it twice is refused by the store's login in every world. */
function oddName(name: string): string {
  return `${name[0]!.toUpperCase()}${name.slice(1)} & Co +1 100% 🐱`;
}

/** A buyer's Telegram username with the same `&`, `+`, `%`, spaces and emoji. Telegram's own usernames are letters,
 *  digits and `_`; but the store reads the one in initData's `user` JSON, which a client must carry byte for byte
 *  whatever it holds, so every world tests that too. Unique per buyer (by name), as Telegram's are. */
export function oddUsername(name: string): string {
  return `${name} & co+1 100% 🐱_${randomInt(1000, 9999)}`;
}

/** The store's Telegram bot: it signs the web app's initData and issues Stars invoices. */
export const STORE_BOT = { userId: 7_000_001, username: 'sticker_bot', webAppUrls: ['https://stickerdom.store/'] } as const;

export interface World {
  readonly scenario: WorldScenario;
  readonly chain: SimChain;
  readonly store: SimStore;
  readonly telegram: SimTelegram;
  /** The store's receiving wallet. */
  readonly storeWallet: Address;
  readonly buyers: readonly WorldBuyer[];
  /** Time the world started (epoch ms); the scenario's drop times count from it. */
  readonly startedAt: number;
  close(): Promise<void>;
}

export interface WorldOptions {
  readonly scenario?: WorldScenario;
  /** Overrides the scenario's block interval (tests use short blocks). */
  readonly blockIntervalMs?: number;
  /** How many buyers to mint instead of the scenario's own (scenarios.ts `withBuyers`: its own first, then fleet ones). */
  readonly buyers?: number;
}

/** Starts chain, store and Telegram on loopback ports chosen by the OS. */
export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const scenario = opts.buyers === undefined ? opts.scenario ?? DEMO_SCENARIO : withBuyers(opts.scenario ?? DEMO_SCENARIO, opts.buyers);
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  try {
    const chain = await startChain({ blockIntervalMs: opts.blockIntervalMs ?? scenario.blockIntervalMs });
    closers.push(() => chain.close());
    const storeWallet = await chain.treasury('stickerdom-store');
    const funded: Omit<WorldBuyer, 'token' | 'session'>[] = [];
    for (const [i, spec] of scenario.buyers.entries()) {
      const words = await mnemonicNew(24);
      const keys = await mnemonicToPrivateKey(words);
      const address = await chain.fundWalletV5R1(keys.publicKey, toNano(spec.fundTon));
      funded.push({ name: spec.name, userId: 1000 + i, mnemonic: words.join(' '), address, phone: `+1555000${1000 + i}`, password: spec.password });
    }
    // A bot token has the Bot API shape: "<bot id>:<35 random characters>".
    const botToken = `${STORE_BOT.userId}:${randomBytes(27).toString('base64url')}`;
    const startedAt = Date.now();
    const store = await startStore({
      scenario: scenario.store(startedAt), payments: chain, wallet: storeWallet.toString(),
      telegramBot: { username: STORE_BOT.username, token: botToken },
    });
    closers.push(() => store.close());
    const telegram = await startTelegram({
      users: scenario.buyers.map((spec, i) => ({
        userId: funded[i]!.userId, phone: funded[i]!.phone, firstName: oddName(spec.name), username: oddUsername(spec.name),
        ...(spec.password === undefined ? {} : { password: spec.password }),
        stars: BigInt(spec.fundStars ?? '0'), ...(spec.requireVerification ? { requireVerification: true } : {}),
      })),
      storeBot: { userId: STORE_BOT.userId, username: STORE_BOT.username, token: botToken, webAppUrls: STORE_BOT.webAppUrls },
      invoices: store.invoices,
    });
    closers.push(() => telegram.close());
    const buyers = funded.map((b) => ({ ...b, token: store.issueToken(b.userId), session: telegram.issueSession(b.userId) }));
    return { scenario, chain, store, telegram, storeWallet, buyers, startedAt, close: closeAll };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
