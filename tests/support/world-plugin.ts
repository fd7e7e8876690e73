/** A payment plugin loaded the way a run loads it (discovery, config validation, registration), on a running world,
 *  with one buyer's account: what the contract suite and plugin tests start from. */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { container } from 'tsyringe';
import { Agent } from 'undici';
import { AutomintConfigSchema, pluginBlocks, type AutomintConfigInput } from '../../core/config/schema.js';
import { discoverPlugins, registerPlugins } from '../../core/plugins/host.js';
import type { PaymentAccount, PaymentMethod } from '../../core/plugins/payment.js';
import { CONFIG, LOGGER } from '../../core/plugins/tokens.js';
import { StoreClient } from '../../core/store/store-client.js';
import { sessionPath, writeSession } from '../../plugins/stars/session-file.js';
import type { World, WorldBuyer } from '../../sim/world.js';

/** Every call goes at once to the world's store: the limiter and endpoints are not what these tests are about. */
const OPEN_GATE = { acquire: async () => ({ settle: () => undefined, release: () => undefined }) };

export interface PluginOnWorld {
  readonly method: PaymentMethod;
  readonly account: PaymentAccount;
  readonly buyer: WorldBuyer;
  readonly dataDir: string;
  close(): Promise<void>;
}

/** The plugin `id` registered from a config naming the world's endpoints, and `buyer`'s account on it. */
export async function pluginOnWorld(world: World, id: 'ton' | 'stars', buyer: WorldBuyer, extra: Record<string, unknown> = {}): Promise<PluginOnWorld> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-plugin-'));
  await writeSession(sessionPath(dataDir, buyer.name), buyer.session);
  const input: AutomintConfigInput = {
    dataDir,
    store: { baseUrl: world.store.url },
    accounts: [{ name: buyer.name, wallet: buyer.name }],
    wallets: [{ name: buyer.name, method: 'ton', mnemonic: buyer.mnemonic }],
    targets: [{ collection: 1, character: 1, packs: 1, methods: [id] }],
    plugins: {
      ton: { endpoint: world.chain.endpoint, ...(id === 'ton' ? extra : {}) },
      stars: {
        apiId: 1, apiHash: '0123456789abcdef0123456789abcdef',
        server: { host: world.telegram.host, port: world.telegram.port, publicKey: world.telegram.publicKeyPem },
        ...(id === 'stars' ? extra : {}),
      },
    },
  };
  const config = AutomintConfigSchema.parse(input);
  const scope = container.createChildContainer();
  scope.register(CONFIG, { useValue: config });
  scope.register(LOGGER, { useValue: pino({ level: 'silent' }) });
  const { payments } = await registerPlugins(scope, await discoverPlugins([]), pluginBlocks(config), new Set([id]));
  const method = payments.find((p) => p.id === id)!;
  const dispatcher = new Agent({ keepAliveTimeout: 10_000 });
  const store = new StoreClient({
    account: buyer.name, token: async () => buyer.token, gate: OPEN_GATE,
    endpoints: { resolve: async () => world.store.url, report: () => undefined },
    dispatcher, userAgent: 'automint-test', timeoutMs: 10_000,
  });
  return {
    method, buyer, dataDir, account: { name: buyer.name, wallet: buyer.name, store },
    close: async () => {
      for (const p of payments) await p.close();
      await dispatcher.close();
    },
  };
}
