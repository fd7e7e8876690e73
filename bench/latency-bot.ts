/** One bot run of `npm run bench:latency`, in a fresh process: reads a world's state (latency-world.ts) from the file
 *  named in argv[2], buys the bench drop with every buyer (TON and Stars racing; with `--drop-at`, the target
 *  carries the drop's time so the watcher paces itself for the drop window; with `--store-wallets`, the TON plugin
 *  knows the store's wallet), and prints its figures as one JSON
 *  line: per method the run's latencies (run-metrics.ts), the longest spend hold, and when the run started and ended. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parseConfig } from '../core/config/load.js';
import { runBot } from '../core/run/run-bot.js';
import { protectSecrets } from '../cli/session.js';
import { writeWorldSessions, type WorldState } from '../cli/world.js';
import { registerSecrets } from '../core/telemetry/secret-registry.js';
import { BENCH_CHARACTER, BENCH_COLLECTION } from './latency-drop.js';

/** What one bot run prints. */
export interface BotFigures {
  readonly ok: boolean;
  readonly packs: number;
  readonly latencyMs: Record<string, Record<string, { p50: number; p99: number; n: number }>>;
  readonly spendHeldMs: number;
  /** Epoch ms the run started and ended (the world's polls are read against them). */
  readonly startedAt: number;
  readonly endedAt: number;
}

const [stateFile, ...flags] = process.argv.slice(2);
const withDropAt = flags.includes('--drop-at');
// `--store-wallets`: plugins.ton.storeWallets names the store's wallet, as a user who knows it sets it (no look-up).
const withStoreWallets = flags.includes('--store-wallets');
// `--per-ip=N`: the store is known to accept N calls at once (and N a second) from one IP, as a fleet's user would set.
const perIpFlag = flags.find((f) => f.startsWith('--per-ip='));
const perIp = perIpFlag === undefined ? undefined : Number(perIpFlag.slice('--per-ip='.length));
const { state, dropAt } = JSON.parse(await readFile(stateFile!, 'utf8')) as { state: WorldState; dropAt: number };
for (const b of state.buyers) registerSecrets([b.token, b.mnemonic, b.session]);
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-latency-'));
try {
  await writeWorldSessions(state, dataDir);
  const n = state.buyers.length;
  const tree = {
    profile: 'extreme',
    dataDir,
    store: { baseUrl: state.store.url, ...(perIp === undefined ? {} : { perIp: { burst: perIp, perSec: perIp, inFlight: perIp } }) },
    accounts: state.buyers.map((b) => ({ name: b.name, wallet: b.name })),
    wallets: state.buyers.map((b) => ({ name: b.name, method: 'ton', mnemonic: b.mnemonic })),
    // Two orders' worth per buyer: every payer's first order, and later ones racing for the rest.
    targets: [{
      collection: BENCH_COLLECTION, character: BENCH_CHARACTER, packs: 10 * n, methods: ['ton', 'stars'],
      maxPricePerPack: { TON: '1', XTR: '100' }, ...(withDropAt ? { dropAt: new Date(dropAt).toISOString() } : {}),
    }],
    split: { policy: 'race' },
    budget: { TON: String(10 * n), XTR: String(1000 * n) },
    plugins: {
      ton: { endpoint: state.ton.endpoint, ...(withStoreWallets ? { storeWallets: [state.store.wallet] } : {}) },
      stars: {
        apiId: 1, apiHash: '0123456789abcdef0123456789abcdef',
        server: { host: state.telegram.host, port: state.telegram.port, publicKey: state.telegram.publicKey },
      },
    },
    telemetry: { logLevel: 'warn' },
  };
  const { config } = parseConfig(JSON.stringify(tree), { env: {}, label: 'latency bench config' });
  protectSecrets(config);
  const log = pino({ level: 'warn' }, pino.destination({ dest: 2, sync: true }));
  const startedAt = Date.now();
  const summary = await runBot({ config, log, command: 'bench' });
  const figures: BotFigures = {
    ok: summary.ok, packs: summary.packs, latencyMs: summary.latencyMs, spendHeldMs: summary.spendHeldMs, startedAt, endedAt: Date.now(),
  };
  process.stdout.write(JSON.stringify(figures) + '\n');
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
