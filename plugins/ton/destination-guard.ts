/** Where TON orders may send money. A hostile or compromised store answer could name any wallet; with the store's
 *  wallets configured, only those are paid; without, a destination must at least be an active contract on chain (a
 *  store's receiving wallet is; a made-up or mistyped address is not), the first one seen in a run is pinned and a
 *  later, different one is refused (or, if so configured, only logged). */
import { Address } from '@ton/core';
import type { Logger } from 'pino';
import { TonPaymentError } from './ton-payment-error.js';

export type DestinationChangePolicy = 'refuse' | 'warn';

/** Whether an address holds an active contract on chain (null: could not tell). */
export type ActivityProbe = (address: Address) => Promise<boolean | null>;

export class DestinationGuard {
  private readonly allowed: readonly Address[];
  private pinned: Address | null = null;
  /** Addresses already seen active: a store wallet does not stop being one during a run. */
  private readonly active = new Set<string>();
  /** Probes under way, by address: orders arriving together at a drop share one look at the chain. */
  private readonly probing = new Map<string, Promise<boolean | null>>();

  constructor(
    storeWallets: readonly string[],
    private readonly onChange: DestinationChangePolicy,
    private readonly log: Logger,
    /** Checks a destination is an active contract when no allowlist says which wallets are the store's; null: never. */
    private readonly probe: ActivityProbe | null = null,
  ) {
    // The config schema has already checked that each one parses.
    this.allowed = storeWallets.map((w) => Address.parse(w));
  }

  /** Looks, before the drop, at store wallets paid in earlier runs (as the ledger has them): each found active is not
   *  looked at again when an order names it, so the first order of the drop pays without a round trip to the chain.
   *  Neither pinned nor allowed by this: an order naming another wallet is judged as before. Failures are let go. */
  async recall(destinations: readonly string[]): Promise<number> {
    if (this.allowed.length > 0 || this.probe === null) return 0;
    const looks = destinations.map(async (text) => {
      let address: Address;
      try {
        address = Address.parse(text);
      } catch {
        return false;
      }
      const key = address.toRawString();
      if (!this.active.has(key) && await this.lookAt(key, address).catch(() => null) === true) this.active.add(key);
      return this.active.has(key);
    });
    return (await Promise.all(looks)).filter(Boolean).length;
  }

  /** Why `destination` (of order `orderId`, as the store wrote it: `text`) must not be paid, or null to go on. */
  async judge(destination: Address, text: string, orderId: string): Promise<string | null> {
    if (this.allowed.length > 0) {
      return this.allowed.some((a) => a.equals(destination)) ? null : `destination ${text} is not an allowed store wallet`;
    }
    const inactive = await this.inactive(destination, text);
    if (inactive !== null) return inactive;
    if (this.pinned === null) {
      this.pinned = destination;
      this.log.warn({ orderId, destination: friendly(destination) },
        'ton store wallet pinned for this run from the first order (no plugins.ton.storeWallets configured: set it to the store\'s wallet to refuse any other)');
      return null;
    }
    if (this.pinned.equals(destination)) return null;
    const facts = { orderId, destination: friendly(destination), pinned: friendly(this.pinned) };
    if (this.onChange === 'warn') {
      // Paying anyway is what `warn` asks for; money sent to a wallet that is not the store's is lost, so it is loud.
      this.log.error(facts, 'ton store wallet differs from the one pinned for this run; paying it anyway (onDestinationChange: warn)');
      return null;
    }
    return `destination ${text} differs from the store wallet ${friendly(this.pinned)} pinned for this run (set storeWallets to allow several)`;
  }

  /** Why the destination must not be paid for not being an active contract, or null (active, or no probe); throws
   *  TON_DESTINATION_UNVERIFIED when the chain could not tell. */
  private async inactive(destination: Address, text: string): Promise<string | null> {
    const key = destination.toRawString();
    if (this.probe === null || this.active.has(key)) return null;
    const active = await this.lookAt(key, destination);
    if (active === true) {
      this.active.add(key);
      return null;
    }
    // Not known (toncenter failed or refused the look-up, e.g. a 429 at the drop): neither paid unchecked nor pinned
    // unverified; the host tries the check again.
    if (active === null) {
      throw new TonPaymentError('TON_DESTINATION_UNVERIFIED',
        `could not tell whether destination ${text} is an active contract on chain (toncenter did not answer): trying again`, { destination: text });
    }
    return `destination ${text} is not an active contract on chain (a store's receiving wallet is one): set plugins.ton.storeWallets to the store's wallet`;
  }

  /** One look at the chain per address at a time: callers arriving together share it. */
  private lookAt(key: string, address: Address): Promise<boolean | null> {
    let probing = this.probing.get(key);
    if (probing === undefined) {
      probing = this.probe!(address);
      this.probing.set(key, probing);
      void probing.finally(() => this.probing.delete(key)).catch(() => undefined);
    }
    return probing;
  }
}

function friendly(a: Address): string {
  return a.toString({ bounceable: false });
}
