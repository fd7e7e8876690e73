/** A payment plugin on a test world, loaded the way `automint run` loads it: found (a module path, as a
 *  `plugins.paths` entry, or its manifest), its brand and host version checked, its config block validated by its own
 *  schema, registered on a child container that holds the run's CONFIG and LOGGER; then its method resolved from
 *  PAYMENT_METHOD, with a buyer's account to pay from. */
import type { PluginManifest } from '../../core/plugins/manifest.js';
import type { PaymentAccount, PaymentMethod } from '../../core/plugins/payment.js';
import { pluginOnWorld } from './plugin-on-world.js';
import { simWorldOf, type TestBuyer, type TestWorld } from './test-world.js';

export interface LoadPaymentPluginOptions {
  /** The plugin: its manifest, or a module path (a file, or a folder with an index.js). Omitted: a built-in (`ton`,
   *  `stars`) named by `id`. */
  readonly plugin?: PluginManifest | string;
  /** The payment method's id; default the manifest's `id` (required with a path). */
  readonly id?: string;
  /** The plugin's config block (`plugins.<id>` in a config file). */
  readonly config?: Record<string, unknown>;
  /** Whose account pays; default the world's first buyer. */
  readonly buyer?: TestBuyer;
}

export interface LoadedPaymentPlugin {
  /** The method the plugin registered under PAYMENT_METHOD with the plugin's id. */
  readonly method: PaymentMethod;
  /** The buyer's account as the host hands it to the method. */
  readonly account: PaymentAccount;
  /** The run's `dataDir`: a fresh temporary folder. */
  readonly dataDir: string;
  /** Closes the plugin's payment methods and the account's connections (not the world). */
  close(): Promise<void>;
}

/** Loads and registers one payment plugin on `world`, as a run would. */
export async function loadPaymentPlugin(world: TestWorld, opts: LoadPaymentPluginOptions): Promise<LoadedPaymentPlugin> {
  const id = opts.id ?? (typeof opts.plugin === 'object' ? opts.plugin.id : undefined);
  if (id === undefined) throw new Error('loadPaymentPlugin: give `id` with a plugin path or a built-in');
  const { sim, simBuyer } = simWorldOf(world, opts.buyer);
  const loaded = await pluginOnWorld(sim, id, simBuyer, opts.config ?? {}, opts.plugin === undefined ? [] : [opts.plugin]);
  return { method: loaded.method, account: loaded.account, dataDir: loaded.dataDir, close: loaded.close };
}
