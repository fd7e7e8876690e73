/** How many packs of one target are still to be bought, shared by every payer of every account of that target.
 *  A claim is taken synchronously before an order is created (JavaScript runs one claim at a time, so two payers
 *  can never claim the same pack) and is either settled (paid) or released (no order, refused, not paid). Packs
 *  whose payment outcome is unknown stay claimed. Seeded from the ledger at start, so a restart counts what was paid.
 *  Under the `split` policy each method also has a fixed share of the packs it may never exceed. */

/** Packs paid and in flight, for a target or one of its methods. */
export interface PackCount {
  readonly paid: number;
  readonly inFlight: number;
}

export interface QuotaSeed extends PackCount {
  /** The same per payment method (needed for shares). */
  readonly byMethod?: Readonly<Record<string, PackCount>>;
}

interface Tally {
  paid: number;
  claimed: number;
}

export class TargetQuota {
  private readonly total: Tally;
  private readonly methods = new Map<string, Tally>();
  private readonly caps: ReadonlyMap<string, number>;

  /** `shares`: weight per method (policy `split`); without it, any method may buy every pack. */
  constructor(readonly wanted: number, seed: QuotaSeed = { paid: 0, inFlight: 0 }, shares?: Readonly<Record<string, number>>) {
    this.total = { paid: seed.paid, claimed: seed.inFlight };
    for (const [m, c] of Object.entries(seed.byMethod ?? {})) this.methods.set(m, { paid: c.paid, claimed: c.inFlight });
    this.caps = shares ? shareOut(wanted, shares) : new Map();
  }

  /** Packs paid so far. */
  get paidPacks(): number {
    return this.total.paid;
  }

  /** True when every wanted pack is paid. */
  get reached(): boolean {
    return this.total.paid >= this.wanted;
  }

  /** The most packs `method` may buy (its share), or null when it is not capped. */
  capOf(method: string): number | null {
    return this.caps.get(method) ?? (this.caps.size > 0 ? 0 : null);
  }

  /** True when `method` has paid its whole share (always false without shares). */
  shareReached(method: string): boolean {
    const cap = this.capOf(method);
    return cap !== null && this.tally(method).paid >= cap;
  }

  /** Claims up to `max` packs for `method`; returns how many were claimed (0 when all are paid or in flight). */
  claim(max: number, method = ''): number {
    const m = this.tally(method);
    const cap = this.capOf(method);
    const forMethod = cap === null ? Infinity : cap - m.paid - m.claimed;
    const n = Math.max(0, Math.min(max, this.wanted - this.total.paid - this.total.claimed, forMethod));
    this.total.claimed += n;
    m.claimed += n;
    return n;
  }

  /** `n` claimed packs were paid. */
  settle(n: number, method = ''): void {
    for (const t of [this.total, this.tally(method)]) {
      t.claimed = Math.max(0, t.claimed - n);
      t.paid += n;
    }
  }

  /** `n` claimed packs will not be bought by that claim. */
  release(n: number, method = ''): void {
    for (const t of [this.total, this.tally(method)]) t.claimed = Math.max(0, t.claimed - n);
  }

  private tally(method: string): Tally {
    let t = this.methods.get(method);
    if (!t) {
      t = { paid: 0, claimed: 0 };
      this.methods.set(method, t);
    }
    return t;
  }
}

/** `wanted` packs shared out by weight, the remainder to the largest fractions (ties: the order given), so the shares
 *  always add up to `wanted` exactly. */
export function shareOut(wanted: number, shares: Readonly<Record<string, number>>): Map<string, number> {
  const entries = Object.entries(shares);
  const weight = entries.reduce((sum, [, w]) => sum + w, 0);
  const out = new Map<string, number>();
  if (weight === 0) {
    for (const [m] of entries) out.set(m, 0);
    return out;
  }
  const exact = entries.map(([m, w]) => ({ m, whole: Math.floor((wanted * w) / weight), frac: (wanted * w) % weight }));
  let left = wanted - exact.reduce((sum, e) => sum + e.whole, 0);
  for (const e of [...exact].sort((a, b) => b.frac - a.frac)) {
    if (left === 0) break;
    if (e.frac > 0) {
      e.whole += 1;
      left -= 1;
    }
  }
  for (const e of exact) out.set(e.m, e.whole);
  return out;
}
