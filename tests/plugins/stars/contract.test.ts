import { describePaymentContract } from '../../../core/plugins/contract-tests.js';
import { startWorld } from '../../../sim/world.js';
import { DEMO_SCENARIO } from '../../../sim/scenarios.js';
import { pluginOnWorld } from '../../support/world-plugin.js';
import { onSaleNow } from '../../support/on-sale-now.js';

describePaymentContract('stars', async () => {
  const world = await startWorld({ scenario: onSaleNow(DEMO_SCENARIO), blockIntervalMs: 200 });
  const buyer = world.buyers[1]!;
  const plugin = await pluginOnWorld(world, 'stars', buyer);
  return {
    method: plugin.method,
    account: plugin.account,
    target: { key: '1:1', collection: 1, character: 1 },
    storePayments: async (orderId) => {
      // A Stars order is named by its invoice slug on our side.
      const order = world.store.orders().find((o) => o.currency === 'XTR' && o.invoiceSlug === orderId);
      return order ? order.payments.filter((p) => p.verdict === 'paid').length : 0;
    },
    overpriceNextOrder: async () => world.store.setFaults({ starsOverprice: { burst: 1 } }),
    drainBalance: async () => world.telegram.setStars(buyer.userId, 100n),
    close: async () => {
      await plugin.close();
      await world.close();
    },
  };
});
