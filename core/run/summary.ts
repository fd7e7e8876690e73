/** The end of a run in numbers: orders and packs paid per method and per target against the packs wanted, money
 *  spent and fees per currency (from the ledger, the source of truth), latencies measured in-process, and whether
 *  the run did what it was asked (run-verdict.ts). */
import type { Ledger } from '../ledger/ledger.js';
import { formatKnownOrRaw, HOST_CURRENCIES, type Currency, type Units } from '../money.js';
import type { LatencyName, Percentiles, RunMetrics } from '../actors/run-metrics.js';
import type { PurchaseOutcome } from '../actors/sniper.js';
import { describeHeld, type HeldPayment } from '../actors/unknown-payments.js';
import { describeBlind, type BlindTarget } from '../actors/failed-polls.js';
import { runVerdict, shortfall } from './run-verdict.js';
import { targetResults, type RunPlan, type TargetResult } from './target-results.js';

export interface OrderLine {
  readonly orderId: string;
  readonly method: string;
  readonly account: string;
  readonly target: string;
  readonly count: number;
  readonly currency: Currency;
  readonly amount: Units;
  readonly fee: Units | null;
  readonly state: string;
  /** Why it was refused or failed (`CODE: message`), when it was. */
  readonly reason: string | null;
}

export interface RunSummary {
  /** True when every target has its packs (a dry run: nothing failed), no payment is unsettled and nobody stopped
   *  the run: the verdict (run-verdict.ts) is `complete`. A run that bought nothing is not ok. */
  readonly ok: boolean;
  readonly dryRun: boolean;
  /** Each wanted target: packs paid against packs wanted, and why it ended short. */
  readonly targets: readonly TargetResult[];
  readonly orders: readonly OrderLine[];
  /** Paid orders per payment method. */
  readonly paid: Readonly<Record<string, number>>;
  readonly packs: number;
  readonly spent: Readonly<Record<Currency, Units>>;
  readonly fees: Readonly<Record<Currency, Units>>;
  /** Orders whose payment is not settled (paying or unknown): reconciled at the next start. */
  readonly unknown: number;
  /** Those orders, each with its amount and why it is not settled (the last settlement's reason): their packs and
   *  money stay held until a start (or `automint reconcile`) settles them. */
  readonly held: readonly HeldPayment[];
  /** Per payment method, each latency (run-metrics.ts says what each one measures). */
  readonly latencyMs: Readonly<Record<string, Readonly<Record<LatencyName, Percentiles>>>>;
  /** The longest an order call was held before it went to the store (its lease, or the limiter's refusal). */
  readonly spendHeldMs: number;
  /** Per method, ms from the drop first seen buyable to the method's first confirmed payment. */
  readonly dropToFirstPaymentMs: Readonly<Record<string, number>>;
  readonly outcomes: readonly PurchaseOutcome[];
  readonly stopReason: string | null;
  /** The disk refused a ledger write (full, read-only, I/O error): what it said and where, and what to do. */
  readonly ledgerFault: string | null;
  /** Targets whose polls kept failing past the profile's limit: still blind at the end (exit 4), or seen again. */
  readonly blind: readonly BlindTarget[];
}

/** Builds the summary of the run from the ledger and the run's measurements; `plan` (the config) says what was wanted. */
export async function summarize(
  ledger: Ledger, metrics: RunMetrics, outcomes: readonly PurchaseOutcome[], stopReason: string | null, plan: RunPlan,
  blind: readonly BlindTarget[] = [],
): Promise<RunSummary> {
  const ledgerFault = ledger.storageFault?.message ?? null;
  const rows = await ledger.orders.list();
  const orders: OrderLine[] = [];
  const held: HeldPayment[] = [];
  for (const o of rows) {
    const intents = await ledger.intents.forOrder(o.orderId);
    const fee = intents.reduce<Units | null>((sum, i) => (i.fee === null ? sum : (sum ?? 0n) + i.fee), null);
    const target = `${o.collection}:${o.character}`;
    orders.push({ orderId: o.orderId, method: o.method, account: o.account, target,
      count: o.count, currency: o.currency, amount: o.amount, fee, state: o.state, reason: o.reason });
    if (o.state === 'unknown' || o.state === 'paying') {
      const reason = o.reason ?? intents.at(-1)?.reason ?? 'not settled when the run ended';
      held.push({ orderId: o.orderId, method: o.method, account: o.account, target, count: o.count, currency: o.currency, amount: o.amount, reason });
    }
  }
  const paidOrders = orders.filter((o) => o.state === 'paid');
  const paid: Record<string, number> = {};
  for (const o of paidOrders) paid[o.method] = (paid[o.method] ?? 0) + 1;
  // The host's currencies always appear (0 when unused); a plugin's currency appears once an order paid in it.
  const zero = (): Record<Currency, Units> => Object.fromEntries(HOST_CURRENCIES.map((c) => [c.code, 0n]));
  const spent = zero();
  const fees = zero();
  for (const o of paidOrders) {
    spent[o.currency] = (spent[o.currency] ?? 0n) + o.amount;
    fees[o.currency] = (fees[o.currency] ?? 0n) + (o.fee ?? 0n);
  }
  // Orders still paying or unknown may have moved money: the run is not a success until they are settled.
  const unknown = held.length;
  const targets = targetResults(plan, orders, outcomes);
  return {
    ok: runVerdict({ dryRun: plan.dryRun, targets, outcomes, unknown, stopReason, ledgerFault, blind }).kind === 'complete',
    dryRun: plan.dryRun, targets, orders, paid, packs: paidOrders.reduce((n, o) => n + o.count, 0), spent, fees, unknown, held,
    dropToFirstPaymentMs: metrics.dropToFirstPayment(),
    latencyMs: metrics.byMethod(),
    spendHeldMs: Math.round(metrics.spendHeldMs * 100) / 100,
    outcomes, stopReason, ledgerFault, blind,
  };
}

/** The summary as a table for a person. */
export function renderSummary(s: RunSummary): string {
  const lines: string[] = [];
  const pad = (cells: string[], widths: number[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  const header = ['order', 'method', 'account', 'target', 'packs', 'amount', 'fee', 'state'];
  const body = s.orders.map((o) => [o.orderId, o.method, o.account, o.target, String(o.count),
    `${formatKnownOrRaw(o.currency, o.amount)} ${o.currency}`, o.fee === null ? '-' : `${formatKnownOrRaw(o.currency, o.fee)} ${o.currency}`, o.state]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  lines.push(pad(header, widths), pad(widths.map((w) => '-'.repeat(w)), widths), ...body.map((r) => pad(r, widths)));
  if (body.length === 0) lines.push('(no orders)');
  lines.push('');
  const spent = Object.keys(s.spent).filter((c) => (s.spent[c] ?? 0n) > 0n || (s.fees[c] ?? 0n) > 0n)
    .map((c) => `${formatKnownOrRaw(c, s.spent[c] ?? 0n)} ${c} (fees ${formatKnownOrRaw(c, s.fees[c] ?? 0n)} ${c})`).join(', ') || 'nothing';
  lines.push(`paid orders: ${Object.entries(s.paid).map(([m, n]) => `${m} ${n}`).join(', ') || 'none'}   packs: ${s.packs}   spent: ${spent}`);
  for (const [method, l] of Object.entries(s.latencyMs)) {
    // A figure with no sample (e.g. no later order: every order was a first one) reads "none", not "0 / 0".
    const f = (p: Percentiles): string => (p.n === 0 ? 'none' : `${p.p50} / ${p.p99}`);
    lines.push(`latency ms ${method} (p50 / p99): detect→order on the wire ${f(l.detectToWire)} (handed to undici ${f(l.detectToHandoff)}), `
      + `later orders ${f(l.laterOrderToWire)}, order answer→payment sent ${f(l.answerToSend)}, sent→confirmed ${f(l.sendToConfirm)}`);
  }
  for (const t of s.targets) lines.push(targetLine(s, t));
  for (const b of s.blind) lines.push(describeBlind(b));
  for (const o of s.outcomes) lines.push(`${o.purchaseId}: ${o.outcome} (${o.reason || 'no reason'})`);
  if (s.unknown > 0) {
    lines.push(`WARNING: ${s.unknown} payment(s) not settled yet; the next \`automint run\` on this ledger reconciles them first`);
    lines.push('held (packs and money kept until they settle):', ...s.held.map((p) => `  ${describeHeld(p)}`));
  }
  if (s.stopReason) lines.push(`stopped: ${s.stopReason}`);
  if (s.ledgerFault) lines.push(`ERROR: ${s.ledgerFault}`);
  return lines.join('\n');
}

/** `target 1:1: 25 of 25 packs`, `target 1:2: 5 packs short (0 of 5): sold out`, or in a dry run, what it found. */
function targetLine(s: RunSummary, t: TargetResult): string {
  const why = t.why.length > 0 ? ` (${t.why.join('; ')})` : '';
  if (s.dryRun) return `target ${t.target}: dry run, ${t.paid} of ${t.packs} packs${why}`;
  return t.short > 0 ? shortfall(t) : `target ${t.target}: ${t.paid} of ${t.packs} packs`;
}
