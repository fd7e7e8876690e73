/** The bot's config in `npm run bench:fleet`, as a fleet's user would write it: every buyer an account behind its
 *  own SOCKS5 proxy (`accounts[].proxy`), the `fast` profile, three targets that carry the drop's time (`dropAt`: the
 *  store announces its drops, and `fast` is the profile for a drop whose time is known) bought with TON and Stars
 *  racing, and one snipe filter (`title: "/dog/"`) that finds the collection nobody named. */
import { parseConfig } from '../core/config/load.js';
import type { AutomintConfig } from '../core/config/schema.js';
import { protectSecrets } from '../cli/session.js';
import type { WorldState } from '../cli/world.js';
import { TARGET_COLLECTIONS } from './fleet-drop.js';

/** Packs each target asks per account: two orders' worth across the fleet, so a good share of payers buys. */
const PACKS_PER_ACCOUNT = 2;

/** The config for a world's buyers (each behind `proxies[i]`), its ledger and sessions in `dataDir`. */
export function fleetConfig(state: WorldState, proxies: readonly string[], dropAt: number, dataDir: string): AutomintConfig {
  const n = state.buyers.length;
  const tree = {
    profile: 'fast',
    dataDir,
    store: { baseUrl: state.store.url },
    accounts: state.buyers.map((b, i) => ({ name: b.name, wallet: b.name, proxy: proxies[i] })),
    wallets: state.buyers.map((b) => ({ name: b.name, method: 'ton', mnemonic: b.mnemonic })),
    targets: TARGET_COLLECTIONS.map((collection) => ({
      collection, character: 1, packs: PACKS_PER_ACCOUNT * n, methods: ['ton', 'stars'],
      maxPricePerPack: { TON: '1', XTR: '100' }, dropAt: new Date(dropAt).toISOString(),
    })),
    snipe: [{
      match: { title: '/dog/', rarity: ['rare'] }, packs: 10, methods: ['ton'], maxPricePerPack: { TON: '1' },
    }],
    split: { policy: 'race' },
    budget: { TON: String(10 * n), XTR: String(1000 * n) },
    plugins: {
      ton: { endpoint: state.ton.endpoint, storeWallets: [state.store.wallet] },
      stars: {
        apiId: 1, apiHash: '0123456789abcdef0123456789abcdef',
        server: { host: state.telegram.host, port: state.telegram.port, publicKey: state.telegram.publicKey },
      },
    },
    telemetry: { logLevel: 'error' },
  };
  const { config } = parseConfig(JSON.stringify(tree), { env: {}, label: 'fleet bench config' });
  protectSecrets(config);
  return config;
}
