/** The TON payment plugin's manifest. */
import { definePlugin } from '../../core/plugins/manifest.js';
import { PAYMENT_METHOD } from '../../core/plugins/payment.js';
import { tonConfigSchema } from './config.js';
import { TON_CONFIG } from './tokens.js';
import { TonPayment } from './ton-payment.js';

export default definePlugin({
  kind: 'payment',
  id: 'ton',
  description: 'Pays TON orders from a WalletV5R1 (24-word mnemonic) through toncenter v2; confirms on chain.',
  hostVersion: '^1',
  configSchema: tonConfigSchema,
  register(container, config) {
    container.register(TON_CONFIG, { useValue: config });
    container.registerSingleton(PAYMENT_METHOD, TonPayment);
  },
});
