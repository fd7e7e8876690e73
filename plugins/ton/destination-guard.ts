/** Where TON orders may send money. A hostile or compromised store answer could name any wallet; with the store's
 *  wallets configured, only those are paid; without, the first destination seen in a run is pinned and a later,
 *  different one is refused (or, if so configured, only logged). */
import { Address } from '@ton/core';
import type { Logger } from 'pino';

export type DestinationChangePolicy = 'refuse' | 'warn';

export class DestinationGuard {
  private readonly allowed: readonly Address[];
  private pinned: Address | null = null;

  constructor(storeWallets: readonly string[], private readonly onChange: DestinationChangePolicy, private readonly log: Logger) {
    // The config schema has already checked that each one parses.
    this.allowed = storeWallets.map((w) => Address.parse(w));
  }

  /** Why `destination` (of order `orderId`, as the store wrote it: `text`) must not be paid, or null to go on. */
  judge(destination: Address, text: string, orderId: string): string | null {
    if (this.allowed.length > 0) {
      return this.allowed.some((a) => a.equals(destination)) ? null : `destination ${text} is not an allowed store wallet`;
    }
    if (this.pinned === null) {
      this.pinned = destination;
      this.log.info({ orderId, destination: friendly(destination) }, 'ton store wallet pinned for this run');
      return null;
    }
    if (this.pinned.equals(destination)) return null;
    const facts = { orderId, destination: friendly(destination), pinned: friendly(this.pinned) };
    if (this.onChange === 'warn') {
      this.log.warn(facts, 'ton store wallet differs from the one pinned for this run');
      return null;
    }
    return `destination ${text} differs from the store wallet ${friendly(this.pinned)} pinned for this run (set storeWallets to allow several)`;
  }
}

function friendly(a: Address): string {
  return a.toString({ bounceable: false });
}
