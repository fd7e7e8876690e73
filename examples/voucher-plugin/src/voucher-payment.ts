/** The voucher payment method: pays the store's Stars invoices from a prepaid voucher at a voucher issuer. Budgets and
 *  price caps are in Stars (XTR), the currency of the invoices it pays. */
import type { Logger, OpenIntent, PaymentAccount, PaymentMethod, PaymentSteps, Settlement, Units } from 'automint/plugin';
import type { VoucherConfig } from './config.js';
import { IssuerClient } from './issuer-client.js';
import { settlementOf } from './voucher-attempt.js';
import { VoucherSteps } from './voucher-steps.js';

export class VoucherPayment implements PaymentMethod {
  readonly id = 'voucher';
  readonly currency = 'XTR';
  // The issuer pays at once (no blocks to wait for) and charges no fee on top of the invoice.
  readonly orderPolicy = { toleranceBps: 0, expiryMarginMs: 2_000, feeAllowance: 0n };
  private readonly issuer: IssuerClient;

  constructor(config: VoucherConfig, private readonly log: Pick<Logger, 'info' | 'warn'>) {
    this.issuer = new IssuerClient(config);
  }

  async prepare(account: PaymentAccount, signal: AbortSignal): Promise<void> {
    // Reaches the issuer with the code once while arming: a refused voucher fails now, not at the drop.
    const balance = await this.issuer.balance(signal);
    this.log.info({ account: account.name, balance: balance.toString() }, 'voucher ready');
  }

  async capacity(_account: PaymentAccount, signal: AbortSignal): Promise<Units> {
    return this.issuer.balance(signal);
  }

  steps(account: PaymentAccount): PaymentSteps {
    return new VoucherSteps(account, this.issuer);
  }

  async reconcile(intent: OpenIntent, signal: AbortSignal): Promise<Settlement> {
    const { slug, redemptionId } = intent.payload as { slug?: unknown; redemptionId?: unknown };
    if (typeof slug !== 'string' || typeof redemptionId !== 'string') return { outcome: 'unknown', reason: `intent ${intent.idempotencyKey} carries no redemption` };
    // Redeeming under the recorded id finishes a payment that was never sent and answers the first one if it was:
    // the issuer pays once per id, so this never pays twice.
    const settled = settlementOf(await this.issuer.redeem(redemptionId, slug, signal));
    this.log.info({ order: intent.orderId, redemption: redemptionId, outcome: settled.outcome }, 'voucher payment reconciled');
    return settled;
  }

  async close(): Promise<void> {
    // fetch keeps no connection of ours open.
  }
}
