/** One voucher payment of one order: a redemption at the issuer under an id chosen here, before anything is sent, so
 *  sending twice, or finishing it after a crash (reconcile), can only ever pay once. */
import type { PaymentAttempt, Settlement, StoreOrder } from 'automint/plugin';
import type { IssuerClient, Redemption } from './issuer-client.js';

/** What the ledger keeps to reconcile the payment later: the invoice and our redemption id. Never the voucher code.
 *  A type, not an interface: only a type literal is assignable to the payload's `Record<string, unknown>`. */
export type VoucherPayload = {
  readonly slug: string;
  readonly redemptionId: string;
};

/** What a redemption settles to. */
export function settlementOf(r: Redemption): Settlement {
  return r.state === 'paid'
    ? { outcome: 'paid', txHash: r.chargeId, fee: 0n }
    : { outcome: 'not-paid', reason: `the voucher issuer refused redemption ${r.id}: ${r.reason}` };
}

export class VoucherAttempt implements PaymentAttempt {
  readonly idempotencyKey: string;
  readonly payload: VoucherPayload;
  private answered: Redemption | null = null;

  constructor(private readonly issuer: IssuerClient, order: StoreOrder, redemptionId: string) {
    this.payload = { slug: order.destination, redemptionId };
    this.idempotencyKey = `voucher:${order.orderId}:${redemptionId}`;
  }

  async send(signal: AbortSignal): Promise<void> {
    this.answered = await this.issuer.redeem(this.payload.redemptionId, this.payload.slug, signal);
  }

  async confirm(signal: AbortSignal): Promise<Settlement> {
    const r = this.answered ?? (await this.issuer.redemption(this.payload.redemptionId, signal));
    // No record: the redemption may still be on its way. Only reconciliation (which finishes it) may say more.
    return r === null ? { outcome: 'unknown', reason: `the voucher issuer has no redemption ${this.payload.redemptionId} yet` } : settlementOf(r);
  }

  dispose(): void {
    // Nothing held: the issuer keeps the voucher's balance, not this process.
  }
}
