/** `automint demo`: starts the simulated world (a Stickerdom store and a TON chain on loopback ports), loads
 *  config/demo.yaml with the world's endpoints and credentials, buys the drop end to end, then checks the outcome
 *  against the world itself (every paid order paid once on chain) and prints the summary. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../core/config/load.js';
import type { AutomintConfig } from '../core/config/schema.js';
import type { World } from '../sim/world.js';
import { runBot } from '../core/run/run-bot.js';
import { renderSummary, type RunSummary } from '../core/run/summary.js';
import { registerSecrets } from '../core/telemetry/secret-registry.js';
import { action, EXIT_FAILURE, EXIT_OK, stoppedRunFailure } from './failure.js';
import { runExitCode } from './run-exit.js';
import { packageRoot } from './package-root.js';
import { sessionPath, writeSession } from '../plugins/stars/session-file.js';
import { worldConfigVariables } from './world.js';
import { openSession, protectSecrets } from './session.js';

/** What the world says happened, independent of the bot's own ledger. */
export interface WorldVerdict {
  /** Orders the store received more than one payment for. */
  readonly doublePaid: number;
  /** Orders the store marked paid. */
  readonly storePaid: number;
  /** Transfers to the store that matched no order or the wrong amount. */
  readonly mismatched: number;
}

/** The demo's figures as one JSON object (the last stdout line of `automint demo --json`). */
export function demoJson(s: RunSummary, v: WorldVerdict): string {
  const spent: Record<string, string> = {};
  for (const [c, amount] of Object.entries(s.spent)) spent[c] = amount.toString();
  return JSON.stringify({
    ok: s.ok && v.doublePaid === 0 && v.storePaid === Object.values(s.paid).reduce((a, b) => a + b, 0),
    paid: { ton: s.paid['ton'] ?? 0, stars: s.paid['stars'] ?? 0, ...s.paid },
    packs: s.packs,
    spent,
    doublePaid: v.doublePaid,
    // Per method: detectToWire, detectToHandoff, laterOrderToWire, answerToSend, sendToConfirm (run-metrics.ts).
    latencyMs: s.latencyMs,
    spendHeldMs: s.spendHeldMs,
    dropToFirstPaymentMs: s.dropToFirstPaymentMs,
  });
}

/** The embedded default config (config/demo.yaml) filled with a running world's endpoints and its buyers' secrets. */
export async function loadDemoConfig(world: World, dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<AutomintConfig> {
  for (const b of world.buyers) registerSecrets([b.token, b.mnemonic, b.session, ...(b.password ? [b.password] : [])]);
  const view = {
    store: { url: world.store.url, adminUrl: '', wallet: world.storeWallet.toString() },
    ton: { endpoint: world.chain.endpoint },
    telegram: { host: world.telegram.host, port: world.telegram.port, publicKey: world.telegram.publicKeyPem },
    buyers: world.buyers,
  };
  const vars: Record<string, string | undefined> = { ...env, ...worldConfigVariables(view, dataDir) };
  // What `automint login --account <name>` would have saved: the buyers log in to the store through Telegram.
  for (const b of world.buyers) await writeSession(sessionPath(dataDir, b.name), b.session);
  const { config } = await loadConfig({ file: path.join(packageRoot(), 'config', 'demo.yaml'), env: vars });
  protectSecrets(config);
  return config;
}

export const demoCommand = action(async (opts: { json?: boolean; scenario: string }): Promise<number> => {
  const session = await openSession({ serviceName: 'automint', logLevel: opts.json ? 'warn' : 'info' });
  const { startWorld } = await import('../sim/world.js');
  const { scenarioByName } = await import('../sim/scenarios.js');
  const world = await startWorld({ scenario: scenarioByName(opts.scenario) });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-demo-'));
  try {
    const config = await loadDemoConfig(world, dataDir);
    session.log.info({ store: world.store.url, chain: world.chain.endpoint, dropInMs: Math.max(0, world.startedAt + 3000 - Date.now()) }, 'simulated world started');
    const summary = await runBot({ config, log: session.log, tracing: session.tracing, command: 'demo', signal: session.signal });
    const verdict = worldVerdict(world.store.orders());
    if (!opts.json) {
      process.stdout.write(renderSummary(summary) + '\n');
      process.stdout.write(`store view: ${verdict.storePaid} orders paid, ${verdict.doublePaid} paid twice, ${verdict.mismatched} mismatched payments\n`);
    }
    const json = demoJson(summary, verdict);
    if (opts.json) process.stdout.write(json + '\n');
    // The run's own verdict, as `automint run` gives it; a world that disagrees with the ledger fails a complete run.
    const code = runExitCode(summary, session.signal);
    return code === EXIT_OK && !(JSON.parse(json) as { ok: boolean }).ok ? EXIT_FAILURE : code;
  } catch (e) {
    return stoppedRunFailure(e, session.signal);
  } finally {
    await world.close();
    await rm(dataDir, { recursive: true, force: true });
    await session.close();
  }
});

/** Reads the store's own record of payments. */
export function worldVerdict(orders: ReadonlyArray<{ state: string; payments: ReadonlyArray<{ verdict: string }> }>): WorldVerdict {
  let doublePaid = 0;
  let mismatched = 0;
  for (const o of orders) {
    if (o.payments.filter((p) => p.verdict === 'paid' || p.verdict === 'duplicate').length > 1) doublePaid++;
    mismatched += o.payments.filter((p) => p.verdict === 'mismatch').length;
  }
  return { doublePaid, storePaid: orders.filter((o) => o.state === 'paid').length, mismatched };
}
