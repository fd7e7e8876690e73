/** The built CLI as a person runs it: `automint …` in its own process, from any working folder, against a simulated
 *  world that runs in the test. Configs are written as YAML files, the buyers' Telegram sessions saved where
 *  `automint login` would, and what the run leaves is read back from the world (store orders, chain) and the ledger. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { sessionPath, writeSession } from '../../plugins/stars/session-file.js';
import type { World } from '../../sim/world.js';
import { readLedger, readWorld } from '../../bench/crash-evidence.js';
import type { LedgerFacts, WorldFacts } from '../../bench/crash-checks.js';

export const CLI = path.resolve('dist/cli/main.js');

/** How a bot process ended. */
export interface BotExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running bot process. */
export interface BotProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<BotExit>;
}

/** Starts `node dist/cli/main.js ...args` in `cwd`; the process is SIGKILLed after `timeoutMs` (a hang). */
export function startBot(
  args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; nodeArgs?: readonly string[] } = {},
): BotProcess {
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
  const exited = new Promise<BotExit>((resolve) => child.once('close', (code, signal) => {
    clearTimeout(timer);
    resolve({ code, signal, stdout, stderr });
  }));
  return { child, exited };
}

/** Runs the CLI to its end. */
export function runBotProcess(
  args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; nodeArgs?: readonly string[] } = {},
): Promise<BotExit> {
  return startBot(args, opts).exited;
}

/** The world's two buyers' secrets as environment variables, for `${...}` references in a config. */
export function worldEnv(world: World): Record<string, string> {
  const env: Record<string, string> = {};
  for (const b of world.buyers) env[`MNEMONIC_${b.name.toUpperCase()}`] = b.mnemonic;
  return env;
}

/** A config for `world` (both buyers, TON and Stars), with `overrides` merged over its top-level keys. */
export function worldConfig(world: World, dataDir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    profile: 'extreme',
    dataDir,
    store: { baseUrl: world.store.url },
    accounts: world.buyers.map((b) => ({ name: b.name, wallet: b.name })),
    wallets: world.buyers.map((b) => ({ name: b.name, method: 'ton', mnemonic: `\${MNEMONIC_${b.name.toUpperCase()}}` })),
    targets: [{ collection: 1, character: 1, packs: 4, maxPricePerPack: { TON: '3', XTR: '300' }, methods: ['ton', 'stars'] }],
    budget: { TON: '10', XTR: '1000' },
    plugins: {
      ton: { endpoint: world.chain.endpoint },
      stars: { apiId: 1, apiHash: '0123456789abcdef0123456789abcdef', server: { host: world.telegram.host, port: world.telegram.port, publicKey: world.telegram.publicKeyPem } },
    },
    telemetry: { logLevel: 'info', logFormat: 'json' },
    ...overrides,
  };
}

/** Writes `config` as YAML to `file` (mode 0600) and saves the buyers' sessions in `sessionsDataDir`. */
export async function writeConfigFile(file: string, config: Record<string, unknown>, world: World, sessionsDataDir: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  for (const b of world.buyers) await writeSession(sessionPath(sessionsDataDir, b.name), b.session);
  await writeFile(file, YAML.stringify(config, { lineWidth: 0 }), { mode: 0o600 });
  return file;
}

/** What the store and the chain say, and what the ledger at `ledgerFile` says. */
export async function moneyFacts(world: World, ledgerFile: string): Promise<{ world: WorldFacts; ledger: LedgerFacts }> {
  return {
    world: await readWorld(`${world.store.url}/admin`, world.chain.endpoint, world.storeWallet.toString()),
    ledger: readLedger(ledgerFile),
  };
}
