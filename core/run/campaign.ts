/** The campaign a ledger belongs to: what to buy and how much may be spent (targets and snipe filters with their
 *  packs, methods, accounts and budgets; the budgets per account and overall). The first run on a ledger records it; a later run
 *  whose config changed it stops with every change listed by key path, unless `--accept-config-change` says the
 *  change is meant. Money and packs already spent always count: a new budget is a new ceiling, never a reset. */
import type { Logger } from 'pino';
import { ConfigError, type ConfigIssue } from '../config/config-error.js';
import { formatPath } from '../config/config-path.js';
import type { AutomintConfig } from '../config/schema.js';
import type { Ledger } from '../ledger/ledger.js';
import { formatAmount, type Currency, type Units } from '../money.js';

type Amounts = Partial<Record<Currency, string>>;

/** One target as the campaign sees it (what changes the amount bought; `dropAt` and prices do not). */
export interface CampaignTarget {
  readonly packs: number;
  readonly methods: readonly string[];
  /** Buying accounts, sorted; null for "all accounts". */
  readonly accounts: readonly string[] | null;
  readonly budget: Amounts;
}

/** The campaign: targets by `collection:character`, snipe filters by index (each what it buys of a character it
 *  matches; left out of a config without filters, so such a campaign keeps its fingerprint), budgets per account and
 *  overall. */
export interface CampaignSpec {
  readonly targets: Readonly<Record<string, CampaignTarget>>;
  readonly snipe?: readonly CampaignTarget[];
  readonly accounts: Readonly<Record<string, Amounts>>;
  readonly budget: Amounts;
}

function amounts(budget: Partial<Record<Currency, Units>> | undefined): Amounts {
  const out: Amounts = {};
  for (const [c, value] of Object.entries(budget ?? {})) {
    if (value !== undefined) out[c] = formatAmount(c, value);
  }
  return out;
}

/** The currencies either side names, sorted: a budget in a plugin's currency is compared like TON's. */
function currenciesOf(...sides: (Amounts | undefined)[]): Currency[] {
  return [...new Set(sides.flatMap((s) => Object.keys(s ?? {})))].sort();
}

/** The campaign of a config. */
export function campaignSpec(config: AutomintConfig): CampaignSpec {
  const targets: Record<string, CampaignTarget> = {};
  for (const t of config.targets) {
    targets[`${t.collection}:${t.character}`] = {
      packs: t.packs, methods: [...t.methods].sort(), accounts: t.accounts ? [...t.accounts].sort() : null, budget: amounts(t.budget),
    };
  }
  const accounts: Record<string, Amounts> = {};
  for (const a of config.accounts) accounts[a.name] = amounts(a.budget);
  const snipe = config.snipe.map((f) => ({
    packs: f.packs, methods: [...f.methods].sort(), accounts: f.accounts ? [...f.accounts].sort() : null, budget: amounts(f.budget),
  }));
  return { targets, ...(snipe.length > 0 ? { snipe } : {}), accounts, budget: amounts(config.budget) };
}

/** JSON with object keys sorted, so one spec always has one text (and one fingerprint). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v);
}

const show = (v: unknown): string => (v === undefined ? 'not set' : Array.isArray(v) ? `[${v.join(', ')}]` : v === null ? 'all' : String(v));

/** Every difference between the recorded campaign and the config's, as config issues (key path, old → new). */
export function campaignChanges(before: CampaignSpec, config: AutomintConfig): ConfigIssue[] {
  const after = campaignSpec(config);
  const issues: ConfigIssue[] = [];
  const changed = (path: (string | number)[], what: string, was: unknown, now: unknown): void => {
    if (canonicalJson(was ?? null) !== canonicalJson(now ?? null)) issues.push({ path: formatPath(path), message: `${what} was ${show(was)} when this ledger's campaign started, now ${show(now)}` });
  };
  config.targets.forEach((t, i) => {
    const key = `${t.collection}:${t.character}`;
    const old = before.targets?.[key];
    const now = after.targets[key]!;
    if (old === undefined) {
      issues.push({ path: formatPath(['targets', i]), message: `target ${key} is new to this ledger's campaign` });
      return;
    }
    changed(['targets', i, 'packs'], 'packs', old.packs, now.packs);
    changed(['targets', i, 'methods'], 'methods', old.methods, now.methods);
    changed(['targets', i, 'accounts'], 'accounts', old.accounts, now.accounts);
    for (const c of currenciesOf(old.budget, now.budget)) changed(['targets', i, 'budget', c], `the ${c} budget`, old.budget?.[c], now.budget[c]);
  });
  for (const key of Object.keys(before.targets ?? {})) {
    if (after.targets[key] === undefined) issues.push({ path: 'targets', message: `target ${key} (${before.targets[key]!.packs} packs) of this ledger's campaign is no longer in the config` });
  }
  const filters = Math.max(before.snipe?.length ?? 0, after.snipe?.length ?? 0);
  for (let i = 0; i < filters; i++) {
    const old = before.snipe?.[i];
    const now = after.snipe?.[i];
    if (old === undefined) {
      issues.push({ path: formatPath(['snipe', i]), message: `snipe filter ${i} is new to this ledger's campaign` });
    } else if (now === undefined) {
      issues.push({ path: 'snipe', message: `snipe filter ${i} (${old.packs} packs a character) of this ledger's campaign is no longer in the config` });
    } else {
      changed(['snipe', i, 'packs'], 'packs', old.packs, now.packs);
      changed(['snipe', i, 'methods'], 'methods', old.methods, now.methods);
      changed(['snipe', i, 'accounts'], 'accounts', old.accounts, now.accounts);
      for (const c of currenciesOf(old.budget, now.budget)) changed(['snipe', i, 'budget', c], `the ${c} budget`, old.budget?.[c], now.budget[c]);
    }
  }
  config.accounts.forEach((a, i) => {
    const old = before.accounts?.[a.name];
    for (const c of currenciesOf(old, after.accounts[a.name])) changed(['accounts', i, 'budget', c], `the ${c} budget of account ${a.name}`, old?.[c], after.accounts[a.name]![c]);
  });
  for (const c of currenciesOf(before.budget, after.budget)) changed(['budget', c], `the ${c} budget`, before.budget?.[c], after.budget[c]);
  return issues;
}

export interface CampaignCheck {
  /** Take a changed campaign as the new one (`--accept-config-change`, or a dry run). */
  readonly accept: boolean;
  readonly log: Logger;
}

/** Records the config's campaign on a new ledger; on a used one, refuses a changed campaign (ConfigError, exit 2)
 *  unless accepted, then records the new one. */
export async function checkCampaign(ledger: Ledger, config: AutomintConfig, opts: CampaignCheck): Promise<void> {
  const spec = campaignSpec(config);
  const json = canonicalJson(spec);
  const stored = await ledger.campaign.get();
  if (stored === undefined) {
    await ledger.campaign.put(json);
    return;
  }
  if (canonicalJson(stored.spec) === json) return;
  const [first, ...rest] = campaignChanges(stored.spec as CampaignSpec, config);
  if (first === undefined) {
    await ledger.campaign.put(json);
    return;
  }
  if (!opts.accept) {
    throw new ConfigError('CONFIG_CAMPAIGN_CHANGED', [first, ...rest]);
  }
  opts.log.warn({ changes: [first, ...rest].map((c) => `${c.path}: ${c.message}`) }, 'campaign changed (accepted); packs and money already spent still count');
  await ledger.campaign.put(json);
}
