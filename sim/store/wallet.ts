/** The store's receiving TON address: accepted raw or friendly, shown to buyers in friendly non-bounceable form (what
 *  a shop hands out for plain transfers), and matched against incoming transfers whatever form they name it in. */
import { Address } from '@ton/core';
import { StoreSetupInvalid } from './refusal.js';

export class StoreWallet {
  readonly address: Address;
  /** Friendly, url-safe, non-bounceable; test-only when the configured friendly address was. */
  readonly friendly: string;

  constructor(text: string) {
    try {
      this.address = Address.parse(text);
    } catch (cause) {
      throw new StoreSetupInvalid('the store wallet is not a TON address', { wallet: text, reason: String(cause) });
    }
    const testOnly = Address.isFriendly(text) ? Address.parseFriendly(text).isTestOnly : false;
    this.friendly = this.address.toString({ urlSafe: true, bounceable: false, testOnly });
  }

  /** True when `to` (raw or friendly) is this wallet. */
  receives(to: string): boolean {
    try {
      return Address.parse(to).equals(this.address);
    } catch {
      return false;
    }
  }
}
