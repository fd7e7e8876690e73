/** A small seeded pseudo-random generator (mulberry32), so injected faults fall on the same requests in every run
 *  with the same seed and the same request sequence. Not for anything secret. */
export class Prng {
  private state: number;

  /** `seed` is any safe integer; only its low 32 bits matter. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    this.state = seed >>> 0;
  }

  /** The next number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** True with probability `p` (0..1); draws one number whatever `p` is, so the sequence does not depend on it. */
  chance(p: number): boolean {
    return this.next() < p;
  }
}
