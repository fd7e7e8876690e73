/** How each account's store calls leave the machine: accounts without a proxy share the run's Agent (and its warm
 *  sockets); an account with a proxy gets a dispatcher through it, shared by every account naming the same proxy (one
 *  set of connections per proxy, as the limiter's `ip:` pool counts them). Closed with the run. */
import type { Dispatcher } from 'undici';
import { parseProxy, type AccountProxy } from '../store/proxy.js';
import { proxyDispatcher } from '../store/proxy-dispatcher.js';

/** One account's way out. */
export interface AccountRoute {
  readonly dispatcher: Dispatcher;
  readonly proxy?: AccountProxy;
}

export class AccountRoutes {
  private readonly routes = new Map<string, AccountRoute>();
  private readonly proxied = new Map<string, Dispatcher>();

  constructor(
    accounts: readonly { readonly name: string; readonly proxy?: string | undefined }[],
    private readonly direct: Dispatcher,
    opts: { readonly connections: number; readonly keepAliveTimeout: number },
  ) {
    for (const a of accounts) {
      if (a.proxy === undefined) continue;
      const proxy = parseProxy(a.proxy);
      let dispatcher = this.proxied.get(proxy.url);
      if (dispatcher === undefined) {
        dispatcher = proxyDispatcher(proxy, opts);
        this.proxied.set(proxy.url, dispatcher);
      }
      this.routes.set(a.name, { dispatcher, proxy });
    }
  }

  /** The account's route: its proxy's dispatcher, or the shared direct one. */
  of(account: string): AccountRoute {
    return this.routes.get(account) ?? { dispatcher: this.direct };
  }

  /** Closes the proxies' dispatchers (the direct one belongs to the run). */
  async close(): Promise<void> {
    await Promise.all([...this.proxied.values()].map((d) => d.close().catch(() => undefined)));
  }
}
