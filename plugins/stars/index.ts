/** The Stars payment plugin's manifest: Telegram login for the store and Stars payments, and the commands that log an
 *  account in to Telegram and look after its session. */
import { definePlugin } from '../../core/plugins/manifest.js';
import { PAYMENT_METHOD } from '../../core/plugins/payment.js';
import { WEB_APP_LOGIN } from '../../core/plugins/web-app-login.js';
import { commands } from './commands.js';
import { starsConfigSchema } from './config.js';
import { STARS_CONFIG } from './tokens.js';

export default definePlugin({
  kind: 'payment',
  id: 'stars',
  description: 'Logs accounts in to the store through Telegram (GramJS, web app initData) and pays Stars invoices with payments.sendStarsForm.',
  hostVersion: '^1',
  configSchema: starsConfigSchema,
  currencies: [{ code: 'XTR', decimals: 0, name: 'Telegram Stars' }],
  secretKeys: ['apiHash'],
  // `automint login` and `automint session info|logout`.
  commands,
  async register(container, config) {
    // Loaded here, not at the top: finding the plugin and checking its config block (config show, every command's
    // validation) must not pay for GramJS.
    const { StarsPayment } = await import('./stars-payment.js');
    container.register(STARS_CONFIG, { useValue: config });
    // One instance serves both roles, so login and payments share each account's connection.
    container.registerSingleton(StarsPayment);
    container.register(PAYMENT_METHOD, { useFactory: (c) => c.resolve(StarsPayment) });
    container.register(WEB_APP_LOGIN, { useFactory: (c) => c.resolve(StarsPayment) });
  },
});
