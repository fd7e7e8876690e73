/** The whole simulated world in one call: a TON chain (toncenter v2 over @ton/sandbox) and a Stickerdom store that
 *  confirms orders from it, plus the buyers of a scenario with store tokens and funded WalletV5R1 wallets. Used by
 *  `automint demo`, tests and benchmarks. */
import { mnemonicNew, mnemonicToPrivateKey } from '@ton/crypto';
import type { Address } from '@ton/core';
import { toNano } from '../core/money.js';
import { startChain, type SimChain } from './chain/index.js';
import { startStore, type SimStore } from './store/index.js';
import { DEMO_SCENARIO, type WorldScenario } from './scenarios.js';

/** A buyer as the world made it. `token` and `mnemonic` are secrets of the simulated world. */
export interface WorldBuyer {
  readonly name: string;
  readonly userId: number;
  readonly token: string;
  readonly mnemonic: string;
  readonly address: Address;
}

export interface World {
  readonly scenario: WorldScenario;
  readonly chain: SimChain;
  readonly store: SimStore;
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
}

/** Starts chain and store on loopback ports chosen by the OS. */
export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  const scenario = opts.scenario ?? DEMO_SCENARIO;
  const chain = await startChain({ blockIntervalMs: opts.blockIntervalMs ?? scenario.blockIntervalMs });
  try {
    const storeWallet = await chain.treasury('stickerdom-store');
    const buyers: WorldBuyer[] = [];
    for (const [i, spec] of scenario.buyers.entries()) {
      const words = await mnemonicNew(24);
      const keys = await mnemonicToPrivateKey(words);
      const address = await chain.fundWalletV5R1(keys.publicKey, toNano(spec.fundTon));
      buyers.push({ name: spec.name, userId: 1000 + i, token: '', mnemonic: words.join(' '), address });
    }
    const startedAt = Date.now();
    const store = await startStore({ scenario: scenario.store(startedAt), payments: chain, wallet: storeWallet.toString() });
    const withTokens = buyers.map((b) => ({ ...b, token: store.issueToken(b.userId) }));
    return {
      scenario, chain, store, storeWallet, buyers: withTokens, startedAt,
      close: async () => {
        await store.close();
        await chain.close();
      },
    };
  } catch (e) {
    await chain.close();
    throw e;
  }
}
