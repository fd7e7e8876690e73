/** The configuration schema: every key automint reads, with its description and default. Amounts are written as
 *  decimal strings and come out as bigint (nanotons for TON, whole stars for XTR, a plugin currency's smallest unit);
 *  budgets and price caps are keyed by any currency declared when the file is read (core/config/amount-keys.ts).
 *  docs/configuration.md and config/schema.json are generated from this file. */
import { z } from 'zod';
import { parseProxy, ProxyUrlInvalid } from '../store/proxy.js';
import { currencyAmounts, starsAmount } from './amount-keys.js';
import type { CurrencyAmounts, Nano, Stars } from '../money.js';
import { formatPath } from './config-path.js';
import { PROFILE_NAMES } from './profiles.js';
import { matchIssues, SnipeMatchSchema } from './snipe-schema.js';
import { IP_POOL } from '../store/rate-pools.js';

/** Account and wallet names: short, safe in file names, span attributes and actor ids. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/i;
/** Plugin ids, as listed in `targets[].methods` and as keys of `plugins`. */
export const PLUGIN_ID_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** A browser-like User-Agent: the store is a web app and bots that sent library UAs stood out. */
export const DEFAULT_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

const MNEMONIC_WORDS = 24;
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

const name = (what: string) =>
  z.string().regex(NAME_PATTERN, { error: `must be 1-32 letters, digits, "_" or "-", starting with a letter or digit` }).describe(what);

const mnemonic = z
  .string()
  .superRefine((text, ctx) => {
    // Messages state the shape only: the words themselves must never reach an error, a log or a span.
    const words = text.trim().split(/\s+/).filter(Boolean);
    if (words.length !== MNEMONIC_WORDS) {
      ctx.addIssue({ code: 'custom', message: `must be ${MNEMONIC_WORDS} words separated by spaces (found ${words.length})` });
    } else if (words.some((word) => !/^[a-z]+$/.test(word))) {
      const position = words.findIndex((word) => !/^[a-z]+$/.test(word)) + 1;
      ctx.addIssue({ code: 'custom', message: `every word must be lowercase letters a-z (word ${position} is not)` });
    }
  })
  .meta({ pattern: `^\\s*[a-z]+(\\s+[a-z]+){${MNEMONIC_WORDS - 1}}\\s*$` })
  .transform((text) => text.trim().split(/\s+/).join(' '));

/** A proxy URL automint can use (core/store/proxy.ts); the issue never echoes the URL, which may hold a password. */
const proxyUrl = z.string().superRefine((value, ctx) => {
  try {
    parseProxy(value);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof ProxyUrlInvalid ? `not a usable proxy: ${e.why}` : 'not a usable proxy URL' });
  }
});

const AccountSchema = z
  .object({
    name: name('Unique account name, used in logs, traces, the ledger and `targets[].accounts`.'),
    storeToken: z
      .string()
      .regex(JWT_SHAPE, { error: 'must be a JWT (three dot-separated base64url parts), pasted without "Bearer "' })
      .optional()
      .describe(
        'Stickerdom JWT for this account, copied from the store web app (lives about 60 minutes). Write it as ${STORE_TOKEN} and keep it in the environment.',
      ),
    wallet: z
      .string()
      .optional()
      .describe('Name of the entry in `wallets` this account pays TON from. Leave out for an account that does not pay in TON.'),
    budget: currencyAmounts('Most this account may spend')
      .optional()
      .describe('Most this account may spend, per currency, across all its targets (on top of the overall `budget`). A currency left out has only the overall limit.'),
    proxy: proxyUrl.optional().describe(
      'Proxy every call of this account goes out through: `socks5://user:pass@host:port` (the store and Telegram) or `http://host:port` / `https://user:pass@host:port` (the store; Telegram cannot use an HTTP proxy and goes direct, with a warning at start). Accounts behind one proxy share its per-IP limit. The password is never shown. Write it as ${PROXY_1} and keep it in the environment.',
    ),
  })
  .strict()
  .describe('A store account (one Telegram user).');

const WalletSchema = z
  .object({
    name: name('Unique wallet name, referred to by `accounts[].wallet`.'),
    method: z.enum(['ton']).describe('Kind of wallet: `ton` (a WalletV5R1 derived from a 24-word mnemonic).'),
    mnemonic: mnemonic.describe('The wallet\'s 24 lowercase words. Write it as ${TON_MNEMONIC} and keep it in the environment.'),
  })
  .strict()
  .describe('A wallet that pays orders.');

const SPLIT_POLICIES = ['race', 'cheapest', 'split'] as const;

const SplitSchema = z
  .object({
    policy: z
      .enum(SPLIT_POLICIES)
      .default('race')
      .describe(
        'How a target\'s methods share its packs: `race` (every method buys until the target count), `cheapest` (the method with the lowest price per pack buys; the next takes over when it fails), `split` (fixed shares, see `shares`).',
      ),
    shares: z
      .record(z.string().regex(PLUGIN_ID_PATTERN, { error: 'must be a payment plugin id such as "ton" or "stars"' }), z.number().int().min(0).max(1_000))
      .optional()
      .describe('For `split`: the weight of each method, e.g. {ton: 3, stars: 1} buys three quarters of the packs with TON.'),
    starsPerTon: starsAmount('What one TON is worth').optional().describe(
      'For `cheapest` across currencies: how many Stars one TON is worth to you, to compare a TON price with a Stars price (whole-number string, e.g. "300").',
    ),
  })
  .strict();

/** A target's split: every key optional, so what it leaves out comes from the top-level `split`. */
const TargetSplitSchema = z
  .object({
    policy: z.enum(SPLIT_POLICIES).optional().describe('As `split.policy`, for this target.'),
    shares: SplitSchema.shape.shares,
    starsPerTon: SplitSchema.shape.starsPerTon,
  })
  .strict();

/** What to buy and how, shared by a target and a snipe filter (each filter's matched character is bought like a
 *  target with these keys). */
const BuyingShape = {
  packs: z.number().int().positive().describe('Packs wanted in total for this target, across all its accounts and methods.'),
  maxPricePerPack: currencyAmounts('Highest price per pack')
    .prefault({})
    .describe('Highest price per pack, per currency code (TON, XTR, or a currency a payment plugin declares). An order above it is refused; a currency left out has no cap besides `budget`.'),
  methods: z
    .array(z.string().regex(PLUGIN_ID_PATTERN, { error: 'must be a payment plugin id such as "ton" or "stars"' }))
    .min(1, { error: 'list at least one payment method' })
    .describe('Payment plugin ids to buy with, in parallel (e.g. [ton] or [ton, stars]).'),
  accounts: z
    .array(z.string())
    .min(1, { error: 'list at least one account, or leave the key out for all accounts' })
    .optional()
    .describe('Names of the accounts that buy this target. Leave out for all accounts.'),
  split: TargetSplitSchema.optional().describe(
    'How this target\'s methods share its packs: keys set here replace the top-level `split`\'s, the others are inherited.',
  ),
  budget: currencyAmounts('Most this target may cost')
    .optional()
    .describe('Most this target may cost, per currency, across all its accounts (on top of the overall `budget`). A currency left out has only the overall limit.'),
};

const TargetSchema = z
  .object({
    collection: z.number().int().positive().describe('Stickerdom collection id.'),
    character: z.number().int().positive().describe('Character id within the collection.'),
    ...BuyingShape,
    dropAt: z.iso
      .datetime({ offset: true, error: 'must be an ISO 8601 time with a zone, e.g. 2026-12-01T12:00:00Z' })
      .optional()
      .describe('When the drop is expected (ISO 8601 with zone). The bot arms at start either way; with it, the target is polled slowly until 60 s before the drop and as fast as the store\'s limits allow from then to 10 min after, and the connections the first orders need are opened from 10 s before it. Without it, the target is polled at the profile\'s interval from the start and connections are opened by the orders.'),
  })
  .strict()
  .describe('A character to buy.');

const SnipeFilterSchema = z
  .object({
    match: SnipeMatchSchema,
    ...BuyingShape,
    packs: BuyingShape.packs.describe('Packs wanted of each character the filter matches, across its accounts and methods (each matched character is bought as a target of its own).'),
    accounts: BuyingShape.accounts.describe('Names of the accounts that buy what the filter matches (and poll the store\'s listing for it). Leave out for all accounts.'),
    split: BuyingShape.split.describe('How the filter\'s methods share each matched character\'s packs: keys set here replace the top-level `split`\'s.'),
    budget: BuyingShape.budget.describe('Most each matched character may cost, per currency, across the filter\'s accounts (on top of the overall and account budgets).'),
  })
  .strict()
  .describe('A snipe filter: buys the characters of collections listed after the first run started that `match` takes, each like a target.');

/** The overall budget: TON and XTR always present (0 when left out, as every currency left out is), so a campaign
 *  recorded before plugin currencies existed keeps its fingerprint. */
const BudgetSchema = currencyAmounts('Most this ledger may spend').transform(
  (amounts): CurrencyAmounts & { readonly TON: Nano; readonly XTR: Stars } => ({ TON: 0n as Nano, XTR: 0n as Stars, ...amounts }),
);

const PluginsSchema = z
  .object({
    paths: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Extra plugin modules to load: file or folder paths (starting with `./`, `../` or `/`, or ending in `.js`, `.mjs`, `.cjs` or `.ts`; relative to the configuration file\'s folder, or to the working directory when set by `--set` or the environment) or installed package names (ES module or CommonJS), resolved from that same folder as Node resolves `require(name)` there.',
      ),
  })
  .catchall(z.record(z.string(), z.unknown()).describe("A plugin's configuration block, keyed by plugin id; the plugin's own schema checks it."))
  .prefault({});

const StoreSchema = z
  .object({
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .default('https://api.stickerdom.store')
      .describe('Base URL of the Stickerdom API.'),
    mirrors: z
      .array(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }))
      .default([])
      .describe('Further base URLs serving the same API, tried when the base URL fails at the transport level.'),
    userAgent: z.string().min(1).default(DEFAULT_USER_AGENT).describe('User-Agent header sent to the store.'),
    perIp: z
      .object({
        burst: z.number().int().min(1).max(100_000).default(IP_POOL.capacity).describe('Most calls at once from one outgoing IP, shared by every account behind it.'),
        perSec: z.number().positive().max(100_000).default(IP_POOL.refillPerSec).describe('Sustained calls per second from one outgoing IP.'),
        inFlight: z.number().int().min(1).max(10_000).default(IP_POOL.maxInFlight ?? 32).describe('Most calls out at once from one outgoing IP.'),
      })
      .strict()
      .prefault({})
      .describe(
        'What the store is assumed to accept from one outgoing IP, every account behind it together. The store publishes no per-IP limit: the defaults are a guess. A fleet\'s first orders at a drop (accounts × methods) leave together only when they fit in `burst`; the rest follow at `perSec`. Raise them if you know the store allows more; a 429 still slows every account behind the IP.',
      ),
  })
  .strict()
  .prefault({});

const TelemetrySchema = z
  .object({
    serviceName: z.string().min(1).default('automint').describe('OpenTelemetry service name of the spans.'),
    logLevel: z
      .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
      .default('info')
      .describe('Lowest log level written.'),
    logFormat: z
      .enum(['auto', 'json', 'pretty'])
      .default('auto')
      .describe('Log format: `json` lines, `pretty` text, or `auto` (pretty on a terminal, JSON otherwise).'),
  })
  .strict()
  .prefault({});

type Shape = z.output<typeof ShapeSchema>;

const ShapeSchema = z
  .object({
    profile: z
      .enum(PROFILE_NAMES)
      .default('balanced')
      .describe('Speed profile: polling interval, timeouts, retries and circuit breaker (see the profile table).'),
    dryRun: z.boolean().default(false).describe('Watch and evaluate only: create no orders and move no money. Uses its own ledger file.'),
    stopWhenBlind: z
      .boolean()
      .default(false)
      .describe(
        "Stop buying a target once it is blind: its polls of the store kept failing (malformed, unexpected status, too large, too slow) past the profile's limit (see the profile table). Its purchases stop and the run exits 4. Off: the run keeps polling, warns every 30 s, and still exits 4 if the target is blind when the run ends.",
      ),
    dataDir: z
      .string()
      .min(1)
      .default('./data')
      .describe(
        'Directory of the ledger and secret files. Relative to the configuration file\'s folder; from `--data-dir`, `--set` or the environment, relative to the working directory.',
      ),
    store: StoreSchema.describe('The Stickerdom API.'),
    accounts: z.array(AccountSchema).min(1, { error: 'configure at least one account' }).describe('Store accounts that buy.'),
    wallets: z.array(WalletSchema).default([]).describe('Wallets that pay; referred to by `accounts[].wallet`.'),
    targets: z.array(TargetSchema).default([]).describe('What to buy: known collections and characters. At least one target or one `snipe` filter.'),
    snipe: z
      .array(SnipeFilterSchema)
      .default([])
      .describe('Buy drops nobody named: filters over collections the store lists after this ledger\'s first run started (docs/snipe.md).'),
    split: SplitSchema.prefault({}).describe('How the payment methods of a target share its packs (a target may set its own).'),
    budget: BudgetSchema.prefault({}).describe(
      'Most this ledger (one campaign) may spend, per currency code (TON, XTR, or a currency a payment plugin declares). A currency left out is 0: nothing is bought with it.',
    ),
    plugins: PluginsSchema.describe('Plugin configuration: `paths` to load, and one block per plugin id (e.g. `ton: {…}`).'),
    telemetry: TelemetrySchema.describe('Logs and traces.'),
  })
  .strict();

function duplicates(values: readonly string[]): Map<number, number> {
  const first = new Map<string, number>();
  const dupes = new Map<number, number>();
  values.forEach((value, i) => {
    const seen = first.get(value);
    if (seen === undefined) first.set(value, i);
    else dupes.set(i, seen);
  });
  return dupes;
}

/** Checks across keys: unique names and targets, and every reference pointing at something that exists. */
function crossCheck(cfg: Shape, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  for (const [i, j] of duplicates(cfg.accounts.map((a) => a.name))) {
    issue(['accounts', i, 'name'], `duplicate account name "${cfg.accounts[i]!.name}" (also at ${formatPath(['accounts', j])})`);
  }
  for (const [i, j] of duplicates(cfg.wallets.map((w) => w.name))) {
    issue(['wallets', i, 'name'], `duplicate wallet name "${cfg.wallets[i]!.name}" (also at ${formatPath(['wallets', j])})`);
  }
  const walletNames = cfg.wallets.map((w) => w.name);
  cfg.accounts.forEach((account, i) => {
    if (account.wallet !== undefined && !walletNames.includes(account.wallet)) {
      const known = walletNames.length ? `wallets: ${walletNames.join(', ')}` : 'no wallets are configured';
      issue(['accounts', i, 'wallet'], `no wallet named "${account.wallet}" (${known})`);
    }
  });
  for (const [i, j] of duplicates(cfg.targets.map((t) => `${t.collection}/${t.character}`))) {
    issue(['targets', i], `same collection and character as ${formatPath(['targets', j])}; merge them into one target`);
  }
  if (cfg.targets.length === 0 && cfg.snipe.length === 0) issue(['targets'], 'configure at least one target or one snipe filter');
  cfg.targets.forEach((target, i) => checkBuying(cfg, ['targets', i], target, issue));
  cfg.snipe.forEach((filter, i) => {
    checkBuying(cfg, ['snipe', i], filter, issue);
    for (const [path, message] of matchIssues(filter.match)) issue(['snipe', i, 'match', ...path], message);
  });
  for (const id of Object.keys(cfg.plugins)) {
    if (id !== 'paths' && !PLUGIN_ID_PATTERN.test(id)) {
      issue(['plugins', id], 'plugin ids are lowercase letters, digits and "-", starting with a letter');
    }
  }
}

type Buying = Pick<Shape['targets'][number], 'accounts' | 'methods' | 'split'>;

/** The checks a target and a snipe filter share: accounts that exist, methods listed once, a split that can share. */
function checkBuying(cfg: Shape, at: (string | number)[], buying: Buying, issue: (path: (string | number)[], message: string) => void): void {
  const accountNames = cfg.accounts.map((a) => a.name);
  buying.accounts?.forEach((account, k) => {
    if (!accountNames.includes(account)) issue([...at, 'accounts', k], `no account named "${account}" (accounts: ${accountNames.join(', ')})`);
  });
  if (buying.methods.length === 0) issue([...at, 'methods'], 'list at least one payment method');
  for (const [k, j] of duplicates(buying.methods)) {
    issue([...at, 'methods', k], `"${buying.methods[k]}" is listed twice (also at ${formatPath([...at, 'methods', j])})`);
  }
  const split = mergedSplit(cfg.split, buying.split);
  const where = buying.split ? [...at, 'split'] : ['split'];
  if (split.policy === 'split') {
    const missing = buying.methods.filter((m) => split.shares?.[m] === undefined);
    if (missing.length > 0) issue([...where, 'shares'], `policy split needs a share for every method of ${formatPath(at)} (missing: ${missing.join(', ')})`);
    else if (buying.methods.every((m) => split.shares![m] === 0)) issue([...where, 'shares'], 'at least one share must be above 0');
  }
  if (split.policy === 'cheapest' && buying.methods.length > 1 && split.starsPerTon === undefined) {
    issue([...where, 'starsPerTon'], `policy cheapest compares prices across currencies: set starsPerTon (used by ${formatPath(at)})`);
  }
}

/** The whole configuration file. */
export const AutomintConfigSchema = ShapeSchema.superRefine(crossCheck);

/** The validated configuration: defaults filled in, amounts as bigint. */
export type AutomintConfig = z.output<typeof AutomintConfigSchema>;
/** What a configuration file may contain, before defaults and parsing. */
export type AutomintConfigInput = z.input<typeof AutomintConfigSchema>;
export type AccountConfig = AutomintConfig['accounts'][number];
export type WalletConfig = AutomintConfig['wallets'][number];
export type TargetConfig = AutomintConfig['targets'][number];
export type BudgetConfig = AutomintConfig['budget'];
export type SplitConfig = AutomintConfig['split'];
export type SnipeFilterConfig = AutomintConfig['snipe'][number];

/** The split a target follows: the top-level one with the target's own keys over it. */
export function targetSplit(cfg: AutomintConfig, target: Pick<TargetConfig, 'split'>): SplitConfig {
  return mergedSplit(cfg.split, target.split);
}

function mergedSplit(top: Shape['split'], own: Shape['targets'][number]['split']): Shape['split'] {
  if (!own) return top;
  return {
    policy: own.policy ?? top.policy,
    ...(own.shares ?? top.shares ? { shares: own.shares ?? top.shares } : {}),
    ...(own.starsPerTon ?? top.starsPerTon ? { starsPerTon: own.starsPerTon ?? top.starsPerTon } : {}),
  };
}

/** Every payment method a target or a snipe filter buys with: the plugins the run needs. */
export function methodsInUse(cfg: Pick<AutomintConfig, 'targets' | 'snipe'>): Set<string> {
  return new Set([...cfg.targets, ...cfg.snipe].flatMap((t) => t.methods));
}

/** The configuration blocks of plugins by id (everything under `plugins` except `paths`). */
export function pluginBlocks(cfg: AutomintConfig): Record<string, Record<string, unknown>> {
  const { paths: _paths, ...blocks } = cfg.plugins;
  return blocks;
}

/** The accounts that buy a target: its `accounts` list, or all accounts. */
export function targetAccounts(cfg: AutomintConfig, target: Pick<TargetConfig, 'accounts'>): AccountConfig[] {
  return target.accounts ? cfg.accounts.filter((a) => target.accounts!.includes(a.name)) : [...cfg.accounts];
}
