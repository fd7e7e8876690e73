/** The voucher plugin's manifest: what automint loads from `plugins.paths` (a path or this package's name). */
import { definePlugin, LOGGER, PAYMENT_METHOD } from 'automint/plugin';
import { voucherConfigSchema } from './config.js';
import { VoucherPayment } from './voucher-payment.js';

export default definePlugin({
  kind: 'payment',
  id: 'voucher',
  description: 'Pays Stars invoices of the Stickerdom store from a prepaid voucher at a voucher issuer.',
  hostVersion: '^1',
  configSchema: voucherConfigSchema,
  // The host shows these as [redacted] in `config show` and scrubs their values from errors and log lines.
  secretKeys: ['code'],
  register(container, config) {
    container.register(PAYMENT_METHOD, {
      useFactory: (c) => new VoucherPayment(config, c.resolve(LOGGER).child({ plugin: 'voucher' })),
    });
  },
});
