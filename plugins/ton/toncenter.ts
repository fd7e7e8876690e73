/** toncenter v2 as the TON plugin uses it: TonClient (axios) for every read, and its own undici connections for the
 *  one call on a drop's hot path, the broadcast (boc-sender.ts). */
import { TonClient } from '@ton/ton';
import { BocSender } from './boc-sender.js';

export interface Toncenter {
  readonly client: TonClient;
  readonly sender: BocSender;
}

/** The reads and the send for one endpoint (and API key). */
export function connectToncenter(opts: { endpoint: string; apiKey?: string | undefined; timeout?: number }): Toncenter {
  return {
    client: new TonClient({ endpoint: opts.endpoint, apiKey: opts.apiKey, timeout: opts.timeout ?? 15_000 }),
    sender: new BocSender(opts.endpoint, opts.apiKey),
  };
}
