/** Reconciliation during a run: payments whose outcome came back unknown hold their packs and money, and when they
 *  stand in a payer's way (its own, or every pack left of its target) the run settles them with the SAME code a start
 *  uses (reconcile.ts, reconcileOpenIntents), in rounds shared by every payer and paced by a cadence. What a round
 *  proves paid is counted as paid in the target's quota; what it proves not paid frees its packs, so the payers buy
 *  them again. A payer that is still held when its bound runs out ends and says what holds it; the summary lists them.
 *
 *  Only intents in state `unknown` are reconciled here: no payer of this run is still confirming one of those (its
 *  confirm step settled it unknown and moved on), so a round never races a live confirmation. Unlike a start, no
 *  sweep of orders without an intent follows: during a run those are live payers' orders in flight. */
import type { Logger } from 'pino';
import type { Ledger } from '../ledger/ledger.js';
import type { OrderRow } from '../ledger/orders.js';
import type { PaymentMethod } from '../plugins/payment.js';
import type { TargetQuota } from '../actors/target-quota.js';
import type { HeldPayment, OwnSettlements, PackScope, UnknownPayments } from '../actors/unknown-payments.js';
import { reconcileOpenIntents, type Reconciled } from './reconcile.js';
import { NO_RUN_EVENTS, type RunEventSink } from '../events/run-events.js';
import { noteTargetReached } from '../events/payer-events.js';
import { reconciledEvent } from './run-event-drafts.js';

/** When and for how long the run reconciles in-run.
 *  - A round starts at most every 20 s: the TON chain makes a block about every 5 s and a signed transfer lives 60 s
 *    by default (not paid is provable only once the chain's clock is past it), a Telegram or toncenter hiccup passes
 *    in seconds to a minute, and each round reads the chain and Telegram for every unknown payment (a TON watch
 *    reads the wallet every 300 ms while it runs): 20 s gives several chances per transfer lifetime while keeping the
 *    reads a small fraction of what the watchers poll.
 *  - A round may take 15 s: less than the cadence, so rounds never overlap; what is not settled by then stays
 *    unknown for the next round.
 *  - A payer gives up 2 minutes after unknown payments first held it: six rounds, and past the lifetime of a default
 *    TON transfer plus the chain's settling margin, so an unsent transfer is proven not paid in time when the chain
 *    can be read at all. */
export interface InRunTiming {
  readonly everyMs: number;
  readonly roundLimitMs: number;
  readonly giveUpAfterMs: number;
}

export const IN_RUN_RECONCILIATION: InRunTiming = { everyMs: 20_000, roundLimitMs: 15_000, giveUpAfterMs: 120_000 };

/** Time after a round's limit for its ledger writes, before a payer plans again. */
const ROUND_SLACK_MS = 250;

/** Orders that hold packs and money while their outcome is open: unknown ones, and those still paying through a method
 *  this run has not enabled (left as they were at start: nothing in this run can settle them). */
const UNSETTLED_STATES = ['unknown', 'paying'] as const;

/** `collection:character` of an order. */
const targetOf = (o: Pick<OrderRow, 'collection' | 'character'>): string => `${o.collection}:${o.character}`;

function heldPayment(o: OrderRow): HeldPayment {
  const disabled = `its payment method ${o.method} is not enabled in this run`;
  return {
    orderId: o.orderId, method: o.method, account: o.account, target: targetOf(o), count: o.count, currency: o.currency,
    amount: o.amount,
    reason: o.reason ?? (o.state === 'paying' ? disabled : 'outcome unknown'),
  };
}

interface Round {
  readonly targets: ReadonlySet<string>;
  /** When the round is over at the latest (epoch ms). */
  readonly endsBy: number;
  readonly done: Promise<void>;
}

export class InRunReconciliation implements UnknownPayments {
  readonly giveUpAfterMs: number;
  /** The quota of every target a payer asked a round for: a round reconciles those targets only, so every packs it
   *  settles are counted where they belong. */
  private readonly quotas = new Map<string, TargetQuota>();
  private running: Round | null = null;
  private next: { readonly at: number; readonly timer: NodeJS.Timeout } | null = null;
  private lastStart = -Infinity;
  private rounds = 0;
  /** Ends a round early when the run stops or closes; a kept controller (never AbortSignal.any: see reconcile.ts). */
  private readonly abort = new AbortController();
  private readonly enabled: ReadonlySet<string>;

  constructor(
    private readonly ledger: Ledger,
    private readonly methods: readonly PaymentMethod[],
    private readonly log: Logger,
    stop: AbortSignal,
    private readonly timing: InRunTiming = IN_RUN_RECONCILIATION,
    /** Where what a round settles is told (payment.paid / payment.not-paid, target.reached). */
    private readonly events: RunEventSink = NO_RUN_EVENTS,
  ) {
    this.giveUpAfterMs = timing.giveUpAfterMs;
    this.enabled = new Set(methods.map((m) => m.id));
    if (stop.aborted) this.abort.abort(stop.reason);
    else stop.addEventListener('abort', () => this.abort.abort(stop.reason), { once: true });
  }

  async holdingAll(scope: PackScope): Promise<{ share: boolean; payments: readonly HeldPayment[] } | null> {
    const unsettled = (await this.ledger.orders.list({ state: UNSETTLED_STATES }))
      .filter((o) => targetOf(o) === scope.target && (o.state === 'unknown' || !this.enabled.has(o.method)))
      .map(heldPayment);
    if (unsettled.length === 0) return null;
    const holds = async (method?: string): Promise<readonly HeldPayment[] | null> => {
      const limit = method === undefined ? scope.wanted : scope.methodCap!;
      const { paid } = await this.ledger.claims.tally(scope.target, method);
      const mine = method === undefined ? unsettled : unsettled.filter((p) => p.method === method);
      const held = mine.reduce((n, p) => n + p.count, 0);
      return limit - paid > 0 && held >= limit - paid ? mine : null;
    };
    const ofTarget = await holds();
    if (ofTarget !== null) return { share: false, payments: ofTarget };
    const ofShare = scope.methodCap === null ? null : await holds(scope.method);
    return ofShare === null ? null : { share: true, payments: ofShare };
  }

  async settlementsOf(orderIds: readonly string[]): Promise<OwnSettlements> {
    const rows = (await Promise.all(orderIds.map((id) => this.ledger.orders.get(id))))
      .filter((o): o is OrderRow => o !== undefined);
    return {
      held: rows.filter((o) => o.state === 'unknown').map(heldPayment),
      notPaid: rows.filter((o) => o.state === 'failed').map((o) => o.orderId),
    };
  }

  requestRound(target: string, quota: TargetQuota): number {
    this.quotas.set(target, quota);
    if (this.running?.targets.has(target)) return this.running.endsBy;
    const now = Date.now();
    if (this.next === null) {
      const at = Math.max(now, this.lastStart + this.timing.everyMs, this.running?.endsBy ?? 0);
      this.next = { at, timer: setTimeout(() => this.startRound(), at - now) };
    }
    return this.next.at + this.timing.roundLimitMs + ROUND_SLACK_MS;
  }

  /** Stops scheduling, ends a round in progress (what it has not settled stays unknown) and waits for its ledger
   *  writes: called before the ledger and the plugins close. */
  async close(): Promise<void> {
    if (this.next) clearTimeout(this.next.timer);
    this.next = null;
    this.abort.abort(new Error('the run ended'));
    await this.running?.done;
  }

  private startRound(): void {
    this.next = null;
    if (this.abort.signal.aborted) return;
    const targets = new Set(this.quotas.keys());
    this.lastStart = Date.now();
    const n = ++this.rounds;
    const round: Round = {
      targets, endsBy: this.lastStart + this.timing.roundLimitMs + ROUND_SLACK_MS,
      done: this.reconcile(n, targets)
        .catch((e: unknown) => this.log.error({ err: e, round: n }, 'in-run reconciliation round failed'))
        .finally(() => {
          if (this.running === round) this.running = null;
        }),
    };
    this.running = round;
  }

  /** One round: every unknown payment of `targets`, settled as a start would, each quota told at once. */
  private async reconcile(n: number, targets: ReadonlySet<string>): Promise<void> {
    const unknown = new Map((await this.ledger.orders.list({ state: 'unknown' }))
      .filter((o) => targets.has(targetOf(o))).map((o) => [o.orderId, o]));
    if (unknown.size === 0) return;
    this.log.info({ round: n, payments: unknown.size, targets: [...targets] },
      'reconciling payments whose outcome is unknown');
    const { roundLimitMs } = this.timing;
    const results = await reconcileOpenIntents(this.ledger, this.methods, this.log, this.abort.signal, roundLimitMs, {
      only: (intent) => intent.state === 'unknown' && unknown.has(intent.orderId),
      onSettled: (r) => this.count(r, unknown.get(r.orderId)!),
    });
    const tally = (outcome: Reconciled['outcome']): number => results.filter((r) => r.outcome === outcome).length;
    const unknownStill = tally('unknown') + tally('no-plugin');
    this.log.info({ round: n, paid: tally('paid'), notPaid: tally('not-paid'), unknown: unknownStill },
      'in-run reconciliation round done');
  }

  /** The target's quota learns what the ledger now says of the order's packs. */
  private count(r: Reconciled, order: OrderRow): void {
    const quota = this.quotas.get(targetOf(order))!;
    if (r.outcome === 'paid') quota.settle(order.count, order.method);
    else if (r.outcome === 'not-paid') quota.release(order.count, order.method);
    const event = reconciledEvent(r, order);
    if (event !== null) this.events.emit(event);
    if (r.outcome === 'paid') noteTargetReached(this.events, targetOf(order), quota);
  }
}
