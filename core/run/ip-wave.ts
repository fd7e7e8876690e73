/** A fleet's first orders at a drop, against what one outgoing IP is allowed: every account's payers order at once
 *  when stock shows, and the accounts without a proxy all leave through this machine's address, those behind one
 *  proxy through the proxy's. */
import type { PerIpLimit } from '../store/rate-pools.js';

/** The first orders of a run at a drop: one per account and method of each target; with `routeOf` (an account's
 *  way out: its proxy as shown, or `direct`), only those of the accounts leaving through `route`. */
export function firstWave(
  targets: readonly { readonly accounts: readonly string[]; readonly methods: readonly string[] }[],
  routeOf: (account: string) => string = () => 'direct', route = 'direct',
): number {
  return targets.reduce((n, t) => n + t.accounts.filter((a) => routeOf(a) === route).length * t.methods.length, 0);
}

/** Why the first wave will not leave together through one IP, with what to do; null when it fits the burst. */
export function waveOverIp(wave: number, perIp: PerIpLimit, route = 'direct'): string | null {
  if (wave <= perIp.burst) return null;
  const lastAfterSec = (wave - perIp.burst) / perIp.perSec;
  const through = route === 'direct' ? 'one IP' : `the proxy ${route}`;
  return `${wave} first orders at a drop (accounts × methods) leave through ${through} whose limit is store.perIp.burst ${perIp.burst} `
    + `at ${perIp.perSec}/s: the last leaves about ${lastAfterSec.toFixed(1)} s after the first. Raise store.perIp if the store `
    + 'accepts more from one address, or run fewer accounts on this machine';
}
