/** `automint world [--scenario NAME] [--buyers N] [--state FILE]`: runs the simulated world (TON chain, Stickerdom store, Telegram)
 *  in its own process until SIGINT/SIGTERM, and writes a state file (mode 0600) holding everything a bot config needs:
 *  endpoints, the store's admin URL and the buyers' secrets. The bot can then be killed and restarted against the same
 *  world (the crash tests). `loadWorldConfig` and `writeWorldConfig` turn a state file into config/demo.yaml filled
 *  with that world, as `automint demo` does for its in-process world; a world of N buyers gets N accounts. */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { parseConfig } from '../core/config/load.js';
import { substituteEnvReferences } from '../core/config/env-substitution.js';
import { AutomintConfigSchema, type AutomintConfig } from '../core/config/schema.js';
import { AutomintError } from '../core/errors.js';
import { registerSecrets } from '../core/telemetry/secret-registry.js';
import type { World } from '../sim/world.js';
import { sessionPath, writeSession } from '../plugins/stars/session-file.js';
import { action, EXIT_OK } from './failure.js';
import { packageRoot } from './package-root.js';
import { protectSecrets } from './session.js';

const STATE_VERSION = 1;
const PRIVATE_FILE = 0o600;

const WorldStateSchema = z.object({
  version: z.literal(STATE_VERSION),
  scenario: z.string(),
  /** The world process, so a caller can stop it. */
  pid: z.number().int(),
  /** Epoch ms the world started; the scenario's drops count from it. */
  startedAt: z.number(),
  drops: z.array(z.object({ collection: z.number().int(), dropAt: z.number() })),
  store: z.object({ url: z.string(), adminUrl: z.string(), wallet: z.string() }),
  ton: z.object({ endpoint: z.string() }),
  // publicKey is SPKI PEM (what configs take); publicKeyPkcs1 the same key as Telegram publishes keys, optional so a
  // state file written before it existed still reads.
  telegram: z.object({ host: z.string(), port: z.number().int(), publicKey: z.string(), publicKeyPkcs1: z.string().optional() }),
  buyers: z.array(z.object({
    name: z.string(),
    userId: z.number().int(),
    address: z.string(),
    token: z.string(),
    mnemonic: z.string(),
    session: z.string(),
    password: z.string().optional(),
  })),
});

/** What `automint world` writes: the world's endpoints and its buyers with their secrets (store token, wallet
 *  mnemonic, Telegram session and password). The file is mode 0600 and removed when the world stops. */
export type WorldState = z.infer<typeof WorldStateSchema>;

/** A world state file that cannot be read or is not one. */
export class WorldStateInvalid extends AutomintError {
  constructor(file: string, reason: string, cause?: unknown) {
    super('WORLD_STATE_INVALID', `cannot use the world state file ${file}: ${reason}`, { file }, { cause });
  }
}

/** The state file's content for a running world: its endpoints, `drops` and every buyer with its secrets (the one
 *  copy, shared by `automint world` and the benches' world processes). */
export function worldStateOf(world: World, drops: WorldState['drops'], pid = process.pid): WorldState {
  return {
    version: STATE_VERSION, scenario: world.scenario.name, pid, startedAt: world.startedAt, drops,
    store: { url: world.store.url, adminUrl: `${world.store.url}/admin`, wallet: world.storeWallet.toString() },
    ton: { endpoint: world.chain.endpoint },
    telegram: {
      host: world.telegram.host, port: world.telegram.port, publicKey: world.telegram.publicKeyPem, publicKeyPkcs1: world.telegram.publicKeyPkcs1,
    },
    buyers: world.buyers.map((b) => ({
      name: b.name, userId: b.userId, address: b.address.toString(), token: b.token, mnemonic: b.mnemonic, session: b.session,
      ...(b.password === undefined ? {} : { password: b.password }),
    })),
  };
}

/** Reads and checks a state file written by `automint world`; its secrets are registered before anything can log. */
export async function readWorldState(file: string): Promise<WorldState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new WorldStateInvalid(file, `not readable (${(e as NodeJS.ErrnoException).code ?? 'unknown error'})`, e);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new WorldStateInvalid(file, 'not JSON', e);
  }
  const parsed = WorldStateSchema.safeParse(json);
  if (!parsed.success) throw new WorldStateInvalid(file, `not a world state (${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')})`);
  for (const b of parsed.data.buyers) registerSecrets([b.token, b.mnemonic, b.session, ...(b.password ? [b.password] : [])]);
  return parsed.data;
}

/** What config/demo.yaml needs to know of a world: its endpoints and its buyers' secrets. */
export type DemoWorldView = Pick<WorldState, 'store' | 'ton' | 'telegram'> & {
  readonly buyers: readonly Pick<WorldState['buyers'][number], 'name' | 'token' | 'mnemonic'>[];
};

/** The `${AUTOMINT_DEMO_*}` values config/demo.yaml refers to, for this world and data folder (the one list, shared
 *  by `automint demo`'s in-process world and `automint world`'s). */
export function worldConfigVariables(state: DemoWorldView, dataDir: string): Record<string, string> {
  const vars: Record<string, string> = {
    AUTOMINT_DEMO_STORE_URL: state.store.url,
    AUTOMINT_DEMO_TON_ENDPOINT: state.ton.endpoint,
    AUTOMINT_DEMO_TELEGRAM_HOST: state.telegram.host,
    AUTOMINT_DEMO_TELEGRAM_PORT: String(state.telegram.port),
    AUTOMINT_DEMO_TELEGRAM_KEY: state.telegram.publicKey,
    AUTOMINT_DEMO_DATA_DIR: dataDir,
  };
  for (const b of state.buyers) {
    vars[`AUTOMINT_DEMO_${b.name.toUpperCase()}_TOKEN`] = b.token;
    vars[mnemonicVariable(b.name)] = b.mnemonic;
  }
  return vars;
}

/** Saves each buyer's Telegram session where `automint login --account <name>` would, under `dataDir`. */
export async function writeWorldSessions(state: WorldState, dataDir: string): Promise<void> {
  for (const b of state.buyers) await writeSession(sessionPath(dataDir, b.name), b.session);
}

/** config/demo.yaml filled with this world (sessions saved in `dataDir`), like `loadDemoConfig` for a world that
 *  runs in another process. */
export async function loadWorldConfig(state: WorldState, dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<AutomintConfig> {
  await writeWorldSessions(state, dataDir);
  const text = YAML.stringify(await demoTreeFor(state.buyers.map((b) => b.name)), { lineWidth: 0 });
  const { config } = parseConfig(text, { env: { ...env, ...worldConfigVariables(state, dataDir) }, label: 'config/demo.yaml' });
  protectSecrets(config);
  return config;
}

/** Writes `<dataDir>/automint.yaml` (mode 0600): config/demo.yaml with this world's values in place, for
 *  `automint run --config`; saves the buyers' sessions beside it. Returns the file's path. */
export async function writeWorldConfig(state: WorldState, dataDir: string): Promise<string> {
  await writeWorldSessions(state, dataDir);
  const tree = await demoTreeFor(state.buyers.map((b) => b.name));
  const { value, missing } = substituteEnvReferences(tree, worldConfigVariables(state, dataDir), AutomintConfigSchema);
  if (missing.length > 0) throw new WorldStateInvalid(demoConfigFile(), `config/demo.yaml refers to ${missing.map((m) => m.variable).join(', ')}, which a world does not provide`);
  const text = `# config/demo.yaml filled with the simulated world of scenario "${state.scenario}" (automint world, pid ${state.pid}).\n`
    + '# Holds that world\'s wallet mnemonics: keep it private.\n'
    + YAML.stringify(value, { lineWidth: 0 });
  // The file must load exactly as written, with no environment needed.
  parseConfig(text, { env: {}, label: 'generated world config' });
  const file = path.join(dataDir, 'automint.yaml');
  await writeFile(file, text, { mode: PRIVATE_FILE });
  return file;
}

function demoConfigFile(): string {
  return path.join(packageRoot(), 'config', 'demo.yaml');
}

/** config/demo.yaml's tree (references unfilled) fitted to a world whose buyers are `names`: see `fitDemoTree`. */
async function demoTreeFor(names: readonly string[]): Promise<unknown> {
  return fitDemoTree(YAML.parse(await readFile(demoConfigFile(), 'utf8')), names);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A config tree's `accounts` and `wallets` fitted to a world's buyers, since config/demo.yaml lists the demo's two
 *  (alice, bob) and a world of `--buyers N` has N: an entry for a buyer the world has is kept as written, a buyer the
 *  file does not list gets an account with a TON wallet of its own (mnemonic `${AUTOMINT_DEMO_<NAME>_MNEMONIC}`), an
 *  entry for a buyer the world lacks goes (its mnemonic reference could not be filled), and so does that buyer from
 *  a target's `accounts` (the target itself when it named no other). */
export function fitDemoTree(tree: unknown, names: readonly string[]): unknown {
  if (!isRecord(tree)) return tree;
  const present = new Set(names);
  const listed = (key: string): Map<string, unknown> => new Map((Array.isArray(tree[key]) ? tree[key] : [])
    .filter(isRecord).flatMap((e) => (typeof e.name === 'string' ? [[e.name, e] as const] : [])));
  const accounts = listed('accounts');
  const wallets = listed('wallets');
  const targets = Array.isArray(tree.targets) ? tree.targets.flatMap((t: unknown) => {
    if (!isRecord(t) || !Array.isArray(t.accounts)) return [t];
    const kept = t.accounts.filter((a: unknown) => typeof a === 'string' && present.has(a));
    return kept.length === 0 ? [] : [{ ...t, accounts: kept }];
  }) : tree.targets;
  return {
    ...tree,
    accounts: names.map((name) => accounts.get(name) ?? { name, wallet: name }),
    wallets: names.map((name) => wallets.get(name) ?? { name, method: 'ton', mnemonic: `\${${mnemonicVariable(name)}}` }),
    targets,
  };
}

/** The `${...}` variable holding a buyer's wallet mnemonic. */
function mnemonicVariable(name: string): string {
  return `AUTOMINT_DEMO_${name.toUpperCase()}_MNEMONIC`;
}

/** Writes `text` to `file` atomically with mode 0600: a reader never sees half a state file. */
async function writePrivateAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, text, { mode: PRIVATE_FILE, flag: 'wx' });
  try {
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export const worldCommand = action(async (opts: { scenario: string; buyers?: number; state?: string }): Promise<number> => {
  const { startWorld } = await import('../sim/world.js');
  const { scenarioByName } = await import('../sim/scenarios.js');
  const scenario = scenarioByName(opts.scenario);
  const file = path.resolve(opts.state ?? path.join(os.tmpdir(), `automint-world-${process.pid}.json`));
  const stopped = stopSignal();
  const world = await startWorld({ scenario, ...(opts.buyers === undefined ? {} : { buyers: opts.buyers }) });
  try {
    for (const b of world.buyers) registerSecrets([b.token, b.mnemonic, b.session, ...(b.password ? [b.password] : [])]);
    const drops = scenario.store(world.startedAt).collections.map((c) => ({ collection: c.id, dropAt: c.dropAt }));
    const state = worldStateOf(world, drops);
    await writePrivateAtomically(file, JSON.stringify(state, null, 2) + '\n');
    const firstDrop = Math.min(...state.drops.map((d) => d.dropAt));
    process.stdout.write(`world "${scenario.name}" is up with ${world.buyers.length} buyers: state (secrets, mode 0600) in ${file}; store ${world.store.url}, admin ${state.store.adminUrl}, `
      + `first drop in ${Math.max(0, Math.round((firstDrop - Date.now()) / 1000))} s; SIGINT or SIGTERM stops it\n`);
    await stopped;
    return EXIT_OK;
  } finally {
    await rm(file, { force: true });
    await world.close();
  }
});
