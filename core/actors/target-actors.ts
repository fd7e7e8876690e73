/** The actors of one target: one purchase per account (sharing the target's pack quota) and the watcher that polls
 *  its collection through those accounts in turn. The sniper spawns them for every configured target at the start,
 *  and for every character a snipe filter matches during the run, by this one function: a sniped character is bought
 *  exactly as a configured target is. Once all of a target's purchases have ended its watcher is stopped and leaves
 *  its accounts' shared pace (`targetEnded`, `releaseWatcher`): the others' pollers read the count live. */
import type { AnyActorRef } from 'xstate';
import type { StoreClient } from '../store/store-client.js';
import type { Currency, Units } from '../money.js';
import type { PurchaseInput, SplitPolicy } from './purchase.js';
import type { SniperInput } from './sniper.js';
import { TargetQuota, type QuotaSeed } from './target-quota.js';
import type { PollPace, WatcherInput, WatcherPoller } from './watcher.js';
import { DEFAULT_BLIND_LIMIT, type BlindLimit } from './failed-polls.js';

/** One target as the run sees it, with the accounts that buy it. */
export interface RunTarget {
  readonly collection: number;
  readonly character: number;
  readonly packs: number;
  readonly maxPricePerPack: Partial<Record<Currency, Units>>;
  readonly methods: readonly string[];
  readonly accounts: readonly string[];
  /** When the drop is expected (epoch ms): the watcher polls slowly before the window around it. */
  readonly dropAt?: number;
  /** Packs already paid / in flight for this target in the ledger (a restarted run goes on from there). */
  readonly seed: QuotaSeed;
  /** Most this target may cost, per currency, across its accounts (where set). */
  readonly budget?: Partial<Record<Currency, Units>>;
  /** How its methods share the packs. */
  readonly split: { readonly policy: SplitPolicy; readonly shares?: Readonly<Record<string, number>>; readonly starsPerTon?: bigint };
}

/** What the run built once and every target's actors use. */
export interface RunWiring {
  /** One store client per account. */
  readonly clients: ReadonlyMap<string, StoreClient>;
  readonly pace: PollPace;
  /** How many watchers poll through each account (the listing watcher counted once per account it polls through): an
   *  account's pace is shared by them. Grows as targets are armed, shrinks as they end; pollers read it live. */
  readonly sharedBy: Map<string, number>;
}

/** Spawns the sniper's children (the sniper's `spawn`, bound to each kind). */
export interface TargetSpawners {
  purchase(id: string, input: PurchaseInput): AnyActorRef;
  watcher(id: string, input: WatcherInput): AnyActorRef;
}

/** `collection:character`, the stable key of a target. */
export const targetKey = (t: { collection: number; character: number }): string => `${t.collection}:${t.character}`;
/** The purchase's id and systemId. */
export const purchaseId = (t: { collection: number; character: number }, account: string): string => `purchase:${targetKey(t)}:${account}`;

/** The profile's blind limit, as far as the run was given it. */
const blindLimit = (l: { blindAfterPolls?: number; blindAfterMs?: number }): BlindLimit =>
  ({ polls: l.blindAfterPolls ?? DEFAULT_BLIND_LIMIT.polls, ms: l.blindAfterMs ?? DEFAULT_BLIND_LIMIT.ms });

/** Counts the watchers each account carries. */
export function countWatchers(sharedBy: Map<string, number>, targets: readonly Pick<RunTarget, 'accounts'>[]): void {
  for (const t of targets) for (const a of t.accounts) sharedBy.set(a, (sharedBy.get(a) ?? 0) + 1);
}

/** A watcher that stopped leaves the pace of the accounts it polled through to the others. */
export function releaseWatcher(sharedBy: Map<string, number>, accounts: readonly string[]): void {
  for (const a of accounts) {
    const left = (sharedBy.get(a) ?? 0) - 1;
    if (left > 0) sharedBy.set(a, left);
    else sharedBy.delete(a);
  }
}

/** When purchase `ended` was the last of its target's to end (every id of `purchaseIds` with its target's prefix is in
 *  `over`): the target's watcher id and accounts, for the sniper to stop the watcher and release its accounts. */
export function targetEnded(
  ended: string, purchaseIds: readonly string[], over: ReadonlySet<string>,
): { watcherId: string; accounts: string[] } | null {
  const [kind, collection, character] = ended.split(':');
  if (kind !== 'purchase' || collection === undefined || character === undefined) return null;
  const prefix = `purchase:${collection}:${character}:`;
  const ids = purchaseIds.filter((id) => id.startsWith(prefix));
  if (!ids.includes(ended) || !ids.every((id) => over.has(id))) return null;
  return { watcherId: `watcher:${collection}:${character}`, accounts: ids.map((id) => id.slice(prefix.length)) };
}

/** A watcher's poller whose `sharedBy` is the run's count at each read, not at the watcher's spawn. */
function livePoller(account: string, wiring: RunWiring): WatcherPoller {
  return {
    account, store: wiring.clients.get(account)!,
    get sharedBy(): number {
      return wiring.sharedBy.get(account) ?? 1;
    },
  };
}

/** Spawns one target's purchases and watcher; returns them with the purchases' ids. */
export function spawnTarget(
  t: RunTarget, input: SniperInput, wiring: RunWiring, spawn: TargetSpawners,
): { children: AnyActorRef[]; purchaseIds: string[] } {
  const key = targetKey(t);
  // Only the target's own methods share its packs: a share named for a method it does not use would strand packs.
  const shares = t.split.policy === 'split' && t.split.shares
    ? Object.fromEntries(Object.entries(t.split.shares).filter(([m]) => t.methods.includes(m)))
    : undefined;
  const quota = new TargetQuota(t.packs, t.seed, shares);
  // In the configured order: under `cheapest` it breaks ties and orders the fallbacks.
  const methods = t.methods.flatMap((id) => input.payments.filter((m) => m.id === id));
  const ids: string[] = [];
  const children: AnyActorRef[] = [];
  const watcherId = `watcher:${key}`;
  for (const accountName of t.accounts) {
    const account = input.accounts.find((a) => a.name === accountName)!;
    const id = purchaseId(t, accountName);
    ids.push(id);
    children.push(spawn.purchase(id, {
      purchaseId: id, account: { name: account.name, wallet: account.wallet, store: wiring.clients.get(account.name)! },
      target: { key, collection: t.collection, character: t.character, packsWanted: t.packs, maxPricePerPack: t.maxPricePerPack },
      methods, quota, ledger: input.ledger, budget: input.budget, accountBudget: account.budget, targetBudget: t.budget,
      policy: input.policy, watcherId, metrics: input.metrics,
      log: input.log.child({ purchase: id, account: account.name }), dryRun: input.dryRun,
      split: { policy: t.split.policy, starsPerTon: t.split.starsPerTon }, unknownPayments: input.unknownPayments, events: input.events,
    }));
  }
  children.push(spawn.watcher(watcherId, {
    target: { key, collection: t.collection, character: t.character },
    pollers: t.accounts.map((a) => livePoller(a, wiring)), pace: wiring.pace,
    purchases: ids, pollIntervalMs: input.limits.pollIntervalMs, maxWaitMs: input.limits.maxWaitMs, dropAt: t.dropAt, metrics: input.metrics,
    log: input.log.child({ watcher: key }), blindAfter: blindLimit(input.limits), events: input.events,
  }));
  return { children, purchaseIds: ids };
}
