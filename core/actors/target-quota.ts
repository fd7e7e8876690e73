/** How many packs of one target are still to be bought, shared by every payer of every account of that target.
 *  A claim is taken synchronously before an order is created (JavaScript runs one claim at a time, so two payers
 *  can never claim the same pack) and is either settled (paid) or released (no order, refused, not paid). Packs
 *  whose payment outcome is unknown stay claimed. Seeded from the ledger at start, so a restart counts what was paid. */
export class TargetQuota {
  private paid: number;
  private claimed: number;

  constructor(readonly wanted: number, seed: { paid: number; inFlight: number } = { paid: 0, inFlight: 0 }) {
    this.paid = seed.paid;
    this.claimed = seed.inFlight;
  }

  /** Packs paid so far. */
  get paidPacks(): number {
    return this.paid;
  }

  /** True when every wanted pack is paid. */
  get reached(): boolean {
    return this.paid >= this.wanted;
  }

  /** Claims up to `max` packs; returns how many were claimed (0 when all are paid or in flight). */
  claim(max: number): number {
    const n = Math.max(0, Math.min(max, this.wanted - this.paid - this.claimed));
    this.claimed += n;
    return n;
  }

  /** `n` claimed packs were paid. */
  settle(n: number): void {
    this.claimed = Math.max(0, this.claimed - n);
    this.paid += n;
  }

  /** `n` claimed packs will not be bought by that claim. */
  release(n: number): void {
    this.claimed = Math.max(0, this.claimed - n);
  }
}
