/** One crash run: a fresh `automint world` process, the bot (`automint run`, data on disk) started with a crash
 *  variable until it dies by SIGKILL, the bot restarted on the same data folder and world without it until it
 *  finishes, then the money checks against the store, the chain and the ledger file. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AutomintError } from '../core/errors.js';
import { loadConfig } from '../core/config/load.js';
import { ledgerPath } from '../core/run/run-bot.js';
import YAML from 'yaml';
import { readWorldState, writeWorldConfig, type WorldState } from '../cli/world.js';
import { checkCrashRun, type CrashVerdict } from './crash-checks.js';
import { readLedger, readWorld } from './crash-evidence.js';

const CRASH_VARIABLES = ['AUTOMINT_CRASH_AT', 'AUTOMINT_CRASH_RANDOM'] as const;
const WORLD_START_MS = 60_000;
const WORLD_STOP_MS = 15_000;
const POLL_MS = 100;

export interface CrashJob {
  /** `payer:sending` or `random 3:9000`: what the report calls this run. */
  readonly label: string;
  readonly kind: 'point' | 'random';
  /** The crash variable for the first bot run. */
  readonly env: Readonly<Record<string, string>>;
  /** The world's scenario (default `demo`): a hostile one reaches states a calm drop never enters. */
  readonly scenario?: string;
  /** A change to the demo config that reaches other states (e.g. the `cheapest` split ranks the methods). */
  readonly configChange?: (config: Record<string, unknown>) => void;
}

export interface CrashJobOptions {
  /** dist/cli/main.js */
  readonly cli: string;
  /** Folder the run keeps its world state, data and logs in. */
  readonly dir: string;
  /** Longest one bot run may take before it counts as hung and is killed. */
  readonly botTimeoutMs: number;
  /** Every child process, so the runner can stop them all when it is interrupted. */
  readonly children: Set<ChildProcess>;
}

export type Exit = { readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly hung: boolean };

export interface CrashJobResult {
  readonly job: CrashJob;
  /** The first bot run died by SIGKILL (the crash switch fired). */
  readonly killed: boolean;
  /** What the crash switch wrote before the kill. */
  readonly crashLine: string | null;
  readonly first: Exit;
  /** The restart, when the first run was killed. */
  readonly restart: Exit | null;
  readonly verdict: CrashVerdict;
  readonly ms: number;
}

/** A run that could not be carried out (the world did not start, a bot hung): not a verdict on money. */
export class CrashRunBroken extends AutomintError {
  constructor(label: string, reason: string, dir: string) {
    super('CRASH_RUN_BROKEN', `${label}: ${reason} (logs in ${dir})`, { label, dir });
  }
}

/** Runs one job to the end; the world process is stopped whatever happens. */
export async function runCrashJob(job: CrashJob, opts: CrashJobOptions): Promise<CrashJobResult> {
  const started = performance.now();
  await mkdir(opts.dir, { recursive: true });
  const stateFile = path.join(opts.dir, 'world.json');
  const world = await spawnLogged(opts, 'world', [opts.cli, 'world', '--scenario', job.scenario ?? 'demo', '--state', stateFile], baseEnv());
  try {
    const state = await waitForWorld(job, world, stateFile, opts.dir);
    const dataDir = path.join(opts.dir, 'data');
    const configFile = await writeWorldConfig(state, dataDir);
    if (job.configChange) await changeConfig(configFile, job.configChange);
    const first = await runBot(opts, 'run-1', configFile, { ...baseEnv(), ...job.env });
    if (first.hung) throw new CrashRunBroken(job.label, 'the first bot run hung', opts.dir);
    const killed = first.signal === 'SIGKILL';
    const crashLine = killed ? await crashLineOf(path.join(opts.dir, 'run-1.err')) : null;
    const restart = killed ? await runBot(opts, 'run-2', configFile, baseEnv()) : null;
    if (restart?.hung) throw new CrashRunBroken(job.label, 'the restarted bot hung', opts.dir);
    const verdict = await judge(state, configFile);
    return { job, killed, crashLine, first, restart, verdict, ms: performance.now() - started };
  } finally {
    await stop(world, opts.children);
  }
}

/** The world's and the ledger's facts, checked against the config's budget. */
async function judge(state: WorldState, configFile: string): Promise<CrashVerdict> {
  const { config } = await loadConfig({ file: configFile, env: {} });
  const world = await readWorld(state.store.adminUrl, state.ton.endpoint, state.store.wallet);
  const ledger = readLedger(ledgerPath(config));
  const packsWanted = config.targets.reduce((n, t) => n + t.packs, 0);
  return checkCrashRun(world, ledger, { TON: config.budget.TON, XTR: config.budget.XTR }, packsWanted);
}

/** The environment of every child: ours without any crash variable (a job adds its own to the first run only). */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const v of CRASH_VARIABLES) delete env[v];
  return env;
}

async function runBot(opts: CrashJobOptions, name: string, configFile: string, env: NodeJS.ProcessEnv): Promise<Exit> {
  const { process: child, exited } = await spawnLogged(opts, name, [opts.cli, 'run', '--config', configFile], env);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), opts.botTimeoutMs);
  });
  try {
    const outcome = await Promise.race([exited, timeout]);
    if (outcome !== 'hung') return { code: outcome[0], signal: outcome[1], hung: false };
    child.kill('SIGKILL');
    const [code, signal] = await exited;
    return { code, signal, hung: true };
  } finally {
    clearTimeout(timer);
    opts.children.delete(child);
  }
}

/** A child process and its end, listened for from the start so an early exit is never missed. */
type Child = { readonly process: ChildProcess; readonly exited: Promise<[number | null, NodeJS.Signals | null]> };

/** Starts `node args…` with stdout and stderr in `<dir>/<name>.out|.err`. */
async function spawnLogged(opts: CrashJobOptions, name: string, args: string[], env: NodeJS.ProcessEnv): Promise<Child> {
  const out = await open(path.join(opts.dir, `${name}.out`), 'w');
  const err = await open(path.join(opts.dir, `${name}.err`), 'w');
  try {
    const child = spawn(process.execPath, args, { stdio: ['ignore', out.fd, err.fd], env });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
    opts.children.add(child);
    await once(child, 'spawn');
    return { process: child, exited };
  } finally {
    // The child holds its own copies of the descriptors.
    await out.close();
    await err.close();
  }
}

/** Waits for the world's state file; fails when the world exits first or takes too long. */
async function waitForWorld(job: CrashJob, world: Child, stateFile: string, dir: string): Promise<WorldState> {
  const deadline = performance.now() + WORLD_START_MS;
  while (!existsSync(stateFile)) {
    const p = world.process;
    if (p.exitCode !== null || p.signalCode !== null) throw new CrashRunBroken(job.label, `the world exited (${p.exitCode ?? p.signalCode}) before it was up`, dir);
    if (performance.now() > deadline) throw new CrashRunBroken(job.label, `the world was not up within ${WORLD_START_MS / 1000} s`, dir);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return readWorldState(stateFile);
}

/** Stops a world with SIGTERM (SIGKILL if it does not go in time) and waits until it has. */
async function stop(child: Child, children: Set<ChildProcess>): Promise<void> {
  const p = child.process;
  if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), WORLD_STOP_MS);
  await child.exited;
  clearTimeout(timer);
  children.delete(p);
}

async function crashLineOf(file: string): Promise<string | null> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return /automint: crash switch: SIGKILL at (.*)/.exec(text)?.[1] ?? null;
}

/** Applies `change` to the YAML config file in place, keeping it private. */
async function changeConfig(file: string, change: (config: Record<string, unknown>) => void): Promise<void> {
  const config = YAML.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  change(config);
  await writeFile(file, YAML.stringify(config, { lineWidth: 0 }), { mode: 0o600 });
}
