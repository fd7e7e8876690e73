/** Every ledger migration, in code (nothing is read from disk at run time). Names sort in the order they run;
 *  add a new `NNN-name.ts` here and never edit one that has shipped. */
import type { Migration, MigrationProvider } from 'kysely';
import { initial } from './001-initial.js';
import { limiterState } from './002-limiter-state.js';
import { endpointStats } from './003-endpoint-stats.js';
import { campaign } from './004-campaign.js';
import { snipeSeen } from './005-snipe-seen.js';
import { ghostOrders } from './006-ghost-orders.js';
import { pluginCurrencies } from './007-plugin-currencies.js';

export const LEDGER_MIGRATIONS: Readonly<Record<string, Migration>> = {
  '001-initial': initial,
  '002-limiter-state': limiterState,
  '003-endpoint-stats': endpointStats,
  '004-campaign': campaign,
  '005-snipe-seen': snipeSeen,
  '006-ghost-orders': ghostOrders,
  '007-plugin-currencies': pluginCurrencies,
};

/** kysely's Migrator reads the migrations from here. */
export const ledgerMigrationProvider: MigrationProvider = {
  async getMigrations() {
    return { ...LEDGER_MIGRATIONS };
  },
};
