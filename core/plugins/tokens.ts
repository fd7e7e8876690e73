/** What the host puts in the container for plugins to `@inject`. Tokens are global symbols so a plugin loaded from
 *  a path, with its own copy of this module, still finds them. */
import type { InjectionToken } from 'tsyringe';
import type { Logger } from 'pino';
import type { AutomintConfig } from '../config/schema.js';
import type { Ledger } from '../ledger/ledger.js';

/** The whole validated config (plugins read `wallets`, `accounts`, `dataDir`). */
export const CONFIG: InjectionToken<AutomintConfig> = Symbol.for('automint.config');
/** The run's pino logger; plugins make children of it. */
export const LOGGER: InjectionToken<Logger> = Symbol.for('automint.logger');
/** The ledger. */
export const LEDGER: InjectionToken<Ledger> = Symbol.for('automint.ledger');
/** The machine's clock (epoch ms). A run registers `Date.now`; a test registers a shifted one to play a machine whose
 *  clock is wrong. Plugins that compare against another party's clock (the chain's, the store's) measure the offset
 *  instead of trusting it. Optional: a plugin falls back to `Date.now` when the host registered none. */
export const LOCAL_CLOCK: InjectionToken<() => number> = Symbol.for('automint.local-clock');
