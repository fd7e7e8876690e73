/** The payment contract every automint payment plugin passes, run on the test kit's simulated world with a fake
 *  voucher issuer in front of the store's invoices. */
import { describePaymentContract, loadPaymentPlugin, startTestWorld } from 'automint/plugin/testing';
import plugin from '../src/index.js';
import { startFakeIssuer } from './fake-issuer.js';

const CODE = 'VCH-CONTRACT-0001';

describePaymentContract('voucher', async () => {
  const world = await startTestWorld();
  const issuer = await startFakeIssuer(world.invoices, { [CODE]: 10_000n });
  const loaded = await loadPaymentPlugin(world, { plugin, config: { issuerUrl: issuer.url, code: CODE } });
  return {
    method: loaded.method,
    account: loaded.account,
    target: world.target(1, 1),
    // Our order id is the invoice slug; the store counts the payments it accepted for it.
    storePayments: async (slug) => world.storePayments(slug),
    overpriceNextOrder: async () => world.overpriceNextOrder('XTR'),
    drainBalance: async () => issuer.setBalance(CODE, 100n),
    close: async () => {
      await loaded.close();
      await issuer.close();
      await world.close();
    },
  };
});
