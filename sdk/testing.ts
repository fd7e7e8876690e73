/** `automint/plugin/testing`: the kit a plugin's tests are written with. The payment contract suite every payment
 *  plugin passes (`describePaymentContract`), a simulated world to run it on (`startTestWorld`: store, TON chain,
 *  Telegram, funded buyers), a loader that registers a payment plugin on it the way a run does
 *  (`loadPaymentPlugin`), and one that subscribes a notifier plugin to a bus of run events the test emits on
 *  (`loadNotifierPlugin`).
 *  It imports vitest (a peer dependency): use it from vitest test files only, never from a plugin's runtime code. */
// tsyringe, which the loader uses, needs the Reflect metadata API before it is evaluated.
import 'reflect-metadata';

export { describePaymentContract, type ContractHarness } from '../core/plugins/contract-tests.js';
export { startTestWorld, type TestWorld, type TestWorldOptions, type TestBuyer } from './testing/test-world.js';
export { loadPaymentPlugin, type LoadPaymentPluginOptions, type LoadedPaymentPlugin } from './testing/load-payment-plugin.js';
export { loadNotifierPlugin, type LoadNotifierPluginOptions, type LoadedNotifier } from './testing/load-notifier-plugin.js';
export type { RunEventDraft } from '../core/events/run-event.js';
export type { InvoiceDesk, StarsInvoice, InvoicePaymentVerdict } from '../sim/stars-invoices.js';
export type { StoreOrder as SimStoreOrder, TonOrder as SimTonOrder, StarsOrder as SimStarsOrder } from '../sim/store/index.js';
