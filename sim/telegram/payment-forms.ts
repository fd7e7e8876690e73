/** Payment forms Telegram has shown: every payments.getPaymentForm issues a fresh form id for one user and one
 *  invoice slug, and payments.sendStarsForm accepts it once, while it is young. A used or unknown form id is what
 *  clients see as FORM_ID_EXPIRED, which makes re-sending a payment safe. */
import type { Clock } from '../store/clock.js';
import { randomLongId } from './tl.js';

/** Forms live ten minutes unless the server is told otherwise. */
export const DEFAULT_FORM_TTL_MS = 10 * 60 * 1000;

/** One form as issued. */
export interface PaymentForm {
  readonly formId: bigint;
  readonly userId: number;
  readonly slug: string;
  /** The price shown on the form (the invoice's amount then). */
  readonly amount: bigint;
  readonly issuedAt: number;
}

/** The forms issued and not yet used or forgotten. */
export class PaymentForms {
  // Insertion order is issue order, so expired forms sit at the front.
  private readonly live = new Map<bigint, PaymentForm>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  /** A fresh form for `userId` paying `slug` at `amount`. */
  issue(userId: number, slug: string, amount: bigint): PaymentForm {
    this.prune();
    const form: PaymentForm = { formId: randomLongId(), userId, slug, amount, issuedAt: this.clock() };
    this.live.set(form.formId, form);
    return form;
  }

  /** The form if `formId` was issued to `userId` for `slug`, is unused and still young; otherwise undefined. */
  find(formId: bigint, userId: number, slug: string): PaymentForm | undefined {
    const form = this.live.get(formId);
    if (!form || form.userId !== userId || form.slug !== slug) return undefined;
    if (this.clock() - form.issuedAt >= this.ttlMs) return undefined;
    return form;
  }

  /** Spends the form: it will never be accepted again. */
  use(form: PaymentForm): void {
    this.live.delete(form.formId);
  }

  private prune(): void {
    const now = this.clock();
    for (const [id, form] of this.live) {
      if (now - form.issuedAt < this.ttlMs) break;
      this.live.delete(id);
    }
  }
}
