/** A fleet's first orders at a drop, against what one outgoing IP is allowed: every account's payers order at once
 *  when stock shows, and all of them leave through the same address (automint has no per-account proxies yet). */
import type { PerIpLimit } from '../store/rate-pools.js';

/** The first orders of a run at a drop: one per account and method of each target. */
export function firstWave(targets: readonly { readonly accounts: readonly string[]; readonly methods: readonly string[] }[]): number {
  return targets.reduce((n, t) => n + t.accounts.length * t.methods.length, 0);
}

/** Why the first wave will not leave together through one IP, with what to do; null when it fits the burst. */
export function waveOverIp(wave: number, perIp: PerIpLimit): string | null {
  if (wave <= perIp.burst) return null;
  const lastAfterSec = (wave - perIp.burst) / perIp.perSec;
  return `${wave} first orders at a drop (accounts × methods) leave through one IP whose limit is store.perIp.burst ${perIp.burst} `
    + `at ${perIp.perSec}/s: the last leaves about ${lastAfterSec.toFixed(1)} s after the first. Raise store.perIp if the store `
    + 'accepts more from one address, or run fewer accounts on this machine';
}
