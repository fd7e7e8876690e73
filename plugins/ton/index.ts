/** The TON payment plugin's manifest. */
import { definePlugin } from '../../core/plugins/manifest.js';
import { PAYMENT_METHOD } from '../../core/plugins/payment.js';
import { LEDGER } from '../../core/plugins/tokens.js';
import { tonConfigSchema } from './config.js';
import type { IntentRecords } from './intent-records.js';
import { TON_CONFIG, TON_INTENT_RECORDS } from './tokens.js';

export default definePlugin({
  kind: 'payment',
  id: 'ton',
  description: 'Pays TON orders from a WalletV5R1 (24-word mnemonic) through toncenter v2, several orders of a wallet in one message; confirms on chain.',
  hostVersion: '^1',
  configSchema: tonConfigSchema,
  // The host knows TON too (the store prices in it); declared here all the same, as every payment plugin declares
  // what it settles in.
  currencies: [{ code: 'TON', decimals: 9, name: 'Toncoin' }],
  secretKeys: ['apiKey'],
  async register(container, config) {
    // Loaded here, not at the top: finding the plugin and checking its config block (config show, every command's
    // validation) must not pay for the TON client.
    const { TonPayment } = await import('./ton-payment.js');
    container.register(TON_CONFIG, { useValue: config });
    // A run registers the ledger before the plugins; a harness without one gets none, and batches are never re-sent.
    container.register(TON_INTENT_RECORDS, {
      useFactory: (c): IntentRecords => ({ intents: c.isRegistered(LEDGER, true) ? c.resolve(LEDGER).intents : null }),
    });
    container.registerSingleton(PAYMENT_METHOD, TonPayment);
  },
});
