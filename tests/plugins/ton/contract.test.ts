import { describePaymentContract } from '../../../core/plugins/contract-tests.js';
import { toNano } from '../../../core/money.js';
import { startWorld } from '../../../sim/world.js';
import { DEMO_SCENARIO } from '../../../sim/scenarios.js';
import { pluginOnWorld } from '../../support/world-plugin.js';
import { onSaleNow } from '../../support/on-sale-now.js';

describePaymentContract('ton', async () => {
  const world = await startWorld({ scenario: onSaleNow(DEMO_SCENARIO), blockIntervalMs: 200 });
  const buyer = world.buyers[0]!;
  const plugin = await pluginOnWorld(world, 'ton', buyer, { validForSec: 10, confirmTimeoutSec: 40, confirmPollMs: 100 });
  return {
    method: plugin.method,
    account: plugin.account,
    target: { key: '1:1', collection: 1, character: 1 },
    storePayments: async (orderId) => {
      const order = world.store.orders().find((o) => o.id === orderId);
      return order ? order.payments.filter((p) => p.verdict === 'paid' || p.verdict === 'duplicate').length : 0;
    },
    overpriceNextOrder: async () => world.store.setFaults({ tonOverprice: { burst: 1 } }),
    // Everything but a little gas goes back to the treasury: less than one pack (2.5 TON) is left.
    drainBalance: async () => {
      (await world.chain.blockchain.getContract(buyer.address)).balance = toNano('1');
    },
    close: async () => {
      await plugin.close();
      await world.close();
    },
  };
});
