/** A payment plugin loaded the way a run loads it (discovery, config validation, registration), on a running
 *  simulated world, with one buyer's account: what the contract suite and plugin tests start from. The built-in
 *  plugins are always found; others come as module paths (loaded as `plugins.paths` entries are) or as manifests. */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { container } from 'tsyringe';
import { Agent } from 'undici';
import { AutomintConfigSchema, pluginBlocks, type AutomintConfigInput } from '../../core/config/schema.js';
import { discoverPlugins, registerPlugins, type DiscoveredPlugin } from '../../core/plugins/host.js';
import type { PluginManifest } from '../../core/plugins/manifest.js';
import type { PaymentAccount, PaymentMethod } from '../../core/plugins/payment.js';
import { CONFIG, LOGGER } from '../../core/plugins/tokens.js';
import { StoreClient } from '../../core/store/store-client.js';
import { sessionPath, writeSession } from '../../plugins/stars/session-file.js';
import { givenManifest } from './given-manifest.js';
import type { World, WorldBuyer } from '../../sim/world.js';

/** Every call goes at once to the world's store: the limiter and endpoints are not what these tests are about. */
const OPEN_GATE = { acquire: async () => ({ settle: () => undefined, release: () => undefined }) };

export interface PluginOnWorld {
  readonly method: PaymentMethod;
  readonly account: PaymentAccount;
  readonly buyer: WorldBuyer;
  /** The config's `dataDir`: a fresh temporary folder holding the buyer's Telegram session. */
  readonly dataDir: string;
  /** Closes every payment method registered, each plugin (its manifest's `close`) and the account's connections. */
  close(): Promise<void>;
}

/** A plugin to load besides the built-ins: a module path (file, or folder with an index) or its manifest. */
export type PluginSource = string | PluginManifest;

/** `buyer`'s account on `world`, with a store client that calls the world's store directly with the buyer's token. */
export function worldAccount(world: World, buyer: WorldBuyer): { account: PaymentAccount; close(): Promise<void> } {
  const dispatcher = new Agent({ keepAliveTimeout: 10_000 });
  const store = new StoreClient({
    account: buyer.name, token: async () => buyer.token, gate: OPEN_GATE,
    endpoints: { resolve: async () => world.store.url, report: () => undefined },
    dispatcher, userAgent: 'automint-test', timeoutMs: 10_000,
  });
  return { account: { name: buyer.name, wallet: buyer.name, store }, close: () => dispatcher.close() };
}

/** The plugin `id` registered from a config naming the world's endpoints (its block: `extra`, over the world's own
 *  for `ton` and `stars`), and `buyer`'s account on it. `plugins` are loaded besides the built-ins. */
export async function pluginOnWorld(
  world: World, id: string, buyer: WorldBuyer, extra: Record<string, unknown> = {}, plugins: readonly PluginSource[] = [],
): Promise<PluginOnWorld> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-plugin-'));
  await writeSession(sessionPath(dataDir, buyer.name), buyer.session);
  const worldBlocks: Record<string, Record<string, unknown>> = {
    ton: { endpoint: world.chain.endpoint },
    stars: {
      apiId: 1, apiHash: '0123456789abcdef0123456789abcdef',
      server: { host: world.telegram.host, port: world.telegram.port, publicKey: world.telegram.publicKeyPem },
    },
  };
  const input: AutomintConfigInput = {
    dataDir,
    store: { baseUrl: world.store.url },
    accounts: [{ name: buyer.name, wallet: buyer.name }],
    wallets: [{ name: buyer.name, method: 'ton', mnemonic: buyer.mnemonic }],
    targets: [{ collection: 1, character: 1, packs: 1, methods: [id] }],
    plugins: { ...worldBlocks, [id]: { ...worldBlocks[id], ...extra } },
  };
  const config = AutomintConfigSchema.parse(input);
  const scope = container.createChildContainer();
  scope.register(CONFIG, { useValue: config });
  scope.register(LOGGER, { useValue: pino({ level: 'silent' }) });
  const paths = plugins.filter((p): p is string => typeof p === 'string');
  const given: DiscoveredPlugin[] = plugins.filter((p): p is PluginManifest => typeof p !== 'string').map((manifest) => givenManifest(manifest));
  const found = await discoverPlugins(paths);
  const clash = given.find((g) => found.some((f) => f.manifest.id === g.manifest.id));
  if (clash !== undefined) throw new Error(`two plugins claim the id "${clash.manifest.id}" (a given manifest and ${found.find((f) => f.manifest.id === clash.manifest.id)!.source})`);
  const registered = await registerPlugins(scope, [...found, ...given], pluginBlocks(config), new Set([id]));
  const { payments } = registered;
  const method = payments.find((p) => p.id === id);
  if (method === undefined) {
    await registered.close();
    throw new Error(`plugin ${id} registered no payment method with id "${id}" under PAYMENT_METHOD`);
  }
  const opened = worldAccount(world, buyer);
  return {
    method, buyer, dataDir, account: opened.account,
    // As a run ends: the methods, then each plugin's own close, then the connections.
    close: async () => {
      for (const p of payments) await p.close();
      await registered.close();
      await opened.close();
    },
  };
}
