/** `automint/plugin`: everything a plugin is written against, in one import. The manifest (definePlugin) and the
 *  command contract (a plugin's own `automint` sub-commands), the payment,
 *  notifier and store-login contracts (with the run's events), the container tokens the host registers, the account's
 *  store client as an interface (units on every member), money and error helpers, and zod (the host's own copy, so a
 *  plugin's config schema is read by the same zod that checks it). Types and small pure helpers only: importing it
 *  starts nothing. */

// The manifest: a plugin module's default export.
export { definePlugin, isPluginManifest, PLUGIN_BRAND, HOST_VERSION } from '../core/plugins/manifest.js';
export type { PluginManifest, PluginKind, DefinedPlugin } from '../core/plugins/manifest.js';
export { PLUGIN_KINDS } from './plugin-kinds.js';

// Commands: `automint` sub-commands a plugin contributes (the manifest's `commands`), each module loaded when it runs.
export type { PluginCommand, PluginCommandModule, CommandKit, ConfigCommandOptions } from '../core/plugins/command.js';

// The payment contract: what a `kind: 'payment'` plugin registers under PAYMENT_METHOD.
export { PAYMENT_METHOD } from '../core/plugins/payment.js';
export type {
  PaymentMethod, PaymentSteps, PaymentAttempt, PaymentAccount, StoreOrder, Settlement, OpenIntent, TargetSpec,
} from '../core/plugins/payment.js';

// The notifier contract: what a `kind: 'notifier'` plugin registers under NOTIFIER, and the run's events it hears.
export { NOTIFIER, RUN_EVENTS, NOTIFIER_CALL_LIMIT_MS, RUN_EVENT_TYPES, LOGIN_NEEDED_DETAIL } from '../core/plugins/notifier.js';
export type {
  Notifier, RunEvent, RunEventType, RunEventOf, RunEventBase, OrderParty, Amount, SettledBy, TargetTally,
  RunEventSource, Subscription, SubscribeOptions, SubscriberStats, EventHandler,
} from '../core/plugins/notifier.js';

// Store login without a pasted token (what the Stars plugin provides through Telegram).
export { WEB_APP_LOGIN } from '../core/plugins/web-app-login.js';
export type { WebAppLogin } from '../core/plugins/web-app-login.js';

// What the host puts in the container for plugins.
export { CONFIG, LOGGER, LEDGER, LOCAL_CLOCK } from '../core/plugins/tokens.js';
// The logger LOGGER resolves to (pino's), so a plugin types its children without depending on pino itself.
export type { Logger } from 'pino';

// The account's store client (`PaymentAccount.store`) and the answers it gives.
export type { StoreApi, BuyRequest, BuyOptions } from '../core/store/store-api.js';
export type { ShopSettings, TonOrder, StarsInvoiceAnswer } from '../core/store/responses.js';
export type { CollectionView, Collection, Character } from '../core/store/collection-answer.js';
export type { CollectionListing, ListedCollection } from '../core/store/collections-answer.js';
export type { Priority } from '../core/store/request-gate.js';

// Money: integers in each currency's smallest unit, parsed and formatted in one place.
export { AmountError, parseAmount, formatAmount, toNano, formatTon, stars, currencyDecimals, knownCurrencies } from '../core/money.js';
import { CURRENCIES as HOST_CURRENCY_CODES } from '../core/money.js';
/** The host's own currency codes, TON and XTR, only.
 *  @deprecated A plugin may declare its own currencies: use `knownCurrencies()` for every currency declared. */
export const CURRENCIES = HOST_CURRENCY_CODES;
export type { Currency, CurrencyDeclaration, Units, Nano, Stars } from '../core/money.js';

// Errors: a stable code and facts; the helpers read an error from any copy of automint, by shape.
export { AutomintError, isAutomintError, hasCode, isPermanent, retryAtOf, isRateLimited, errorFacts } from '../core/errors.js';

export { z } from 'zod';
