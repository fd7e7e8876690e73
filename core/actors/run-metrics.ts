/** Latency samples of one run, per payment method, measured in-process with the monotonic clock and ended where the
 *  request really leaves (wire-marks.ts), and their percentiles. */
import type { PaymentAttempt } from '../plugins/payment.js';
import type { OrderWire, SendWire } from '../telemetry/wire-marks.js';

/**
 * - detectToWire: the poll answer that showed stock → the order request it started written to the socket (only the
 *   first order on each stock observation: the next ones of a burst measure the payer, not detection);
 * - detectToHandoff: the same, ended where the order is handed to undici (the in-process mark; the gap to
 *   detectToWire is time spent queued for a connection and behind other work on the event loop);
 * - laterOrderToWire: a payer's later orders on the same observation, from the STOCK that started them;
 * - answerToSend: the order's answer read off the socket → its payment written (TON: the sendBoc request on the
 *   socket; a method whose transport is not observed, Stars over MTProto: handed to the plugin's send);
 * - sendToConfirm: the payment sent → its confirmation.
 */
export type LatencyName = 'detectToWire' | 'detectToHandoff' | 'laterOrderToWire' | 'answerToSend' | 'sendToConfirm';

export const LATENCY_NAMES: readonly LatencyName[] = ['detectToWire', 'detectToHandoff', 'laterOrderToWire', 'answerToSend', 'sendToConfirm'];

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly n: number;
}

export class RunMetrics {
  private readonly samples = new Map<string, Map<LatencyName, number[]>>();
  /** Per payer (its input), the stock observation its latest burst of orders started from. */
  private readonly burstOf = new WeakMap<object, number>();
  /** When each sent message was first written (see SendWire). */
  private readonly written = new Map<string, number>();
  /** performance.now() of the first moment the drop was seen buyable, and of the first payment sent. */
  firstStockSeenAt: number | null = null;
  firstPaymentSentAt: number | null = null;
  /** performance.now() of each method's first confirmed payment. */
  readonly firstPaidAt = new Map<string, number>();
  /** The longest an order call waited before it was handed to undici (token, endpoint, limiter lease), or was
   *  refused by the limiter for (until its retry time). */
  spendHeldMs = 0;

  /** Notes a confirmed payment of `method` (only the first one counts). */
  notePaid(method: string, at: number): void {
    if (!this.firstPaidAt.has(method)) this.firstPaidAt.set(method, at);
  }

  /** Per method, ms from the drop first seen buyable to its first confirmed payment. */
  dropToFirstPayment(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.firstStockSeenAt === null) return out;
    for (const [m, at] of this.firstPaidAt) out[m] = Math.round((at - this.firstStockSeenAt) * 100) / 100;
    return out;
  }

  /** Adds one sample in ms. */
  record(name: LatencyName, method: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    let names = this.samples.get(method);
    if (!names) this.samples.set(method, (names = new Map()));
    let list = names.get(name);
    if (!list) names.set(name, (list = []));
    list.push(ms);
  }

  /** An order call of `payer` (its input) was handed to undici at `handedAt`, after waiting since `askedAt`.
   *  `observedAt` is the fresh stock observation it is the first order on, or null for a later order of the same
   *  burst. Returns the mark that undici's diagnostics complete (wire-marks.ts). */
  orderHanded(payer: object, method: string, observedAt: number | null, askedAt: number, handedAt: number): OrderWire {
    this.noteSpendHeld(handedAt - askedAt);
    if (observedAt !== null) this.burstOf.set(payer, observedAt);
    const stockAt = observedAt ?? this.burstOf.get(payer) ?? null;
    return {
      wireAt: null,
      answerAt: null,
      onWire: (at) => {
        if (stockAt === null) return;
        if (observedAt === null) {
          this.record('laterOrderToWire', method, at - stockAt);
        } else {
          // Recorded together, so each order has both figures and detectToWire ≥ detectToHandoff order by order.
          this.record('detectToWire', method, at - stockAt);
          this.record('detectToHandoff', method, handedAt - stockAt);
        }
      },
    };
  }

  /** A spend call held back for `ms` (waiting for its lease, or refused by the limiter until its retry time). */
  noteSpendHeld(ms: number): void {
    if (Number.isFinite(ms) && ms > this.spendHeldMs) this.spendHeldMs = ms;
  }

  /** The mark of one payment send. Members of one TON batch carry the same signed message (`bocHash`), written once
   *  for all of them; any other attempt is its own group. */
  sendWire(attempt: PaymentAttempt): SendWire {
    const hash = (attempt.payload as Record<string, unknown>)['bocHash'];
    return { group: typeof hash === 'string' ? `boc:${hash}` : attempt.idempotencyKey, written: this.written };
  }

  /** p50 and p99 (nearest rank) of a latency of `method`, rounded to 0.01 ms; zeros when nothing was measured. */
  percentiles(name: LatencyName, method: string): Percentiles {
    const list = [...(this.samples.get(method)?.get(name) ?? [])].sort((a, b) => a - b);
    if (list.length === 0) return { p50: 0, p99: 0, n: 0 };
    const at = (q: number): number => list[Math.min(list.length - 1, Math.max(0, Math.ceil(q * list.length) - 1))]!;
    const round = (v: number): number => Math.round(v * 100) / 100;
    return { p50: round(at(0.5)), p99: round(at(0.99)), n: list.length };
  }

  /** Every latency of every method that measured something. */
  byMethod(): Record<string, Record<LatencyName, Percentiles>> {
    const out: Record<string, Record<LatencyName, Percentiles>> = {};
    for (const method of [...this.samples.keys()].sort()) {
      out[method] = Object.fromEntries(LATENCY_NAMES.map((n) => [n, this.percentiles(n, method)])) as Record<LatencyName, Percentiles>;
    }
    return out;
  }
}
