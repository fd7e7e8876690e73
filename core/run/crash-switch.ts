/** Crash injection for the crash tests: `AUTOMINT_CRASH_AT=<actor>:<state>[#<n>]` kills the process with SIGKILL the
 *  moment an actor of that kind (purchase or payer) enters that state for the n-th time in the run (default the
 *  first), before the state's own work starts; `AUTOMINT_CRASH_RANDOM=<seed>:<maxMs>` kills it at a moment in
 *  [0, maxMs) after the run starts, drawn from the seed so a failing run can be replayed. A kill is a real kill -9:
 *  no flush, no cleanup, only one line written to stderr first so a test can tell where it died. The run loads this
 *  module only when one of the variables is set. */
import { writeSync } from 'node:fs';
import type { AnyStateMachine, InspectionEvent } from 'xstate';
import { ConfigError } from '../config/config-error.js';
import { payerMachine } from '../actors/payer.js';
import { purchaseMachine } from '../actors/purchase.js';

export const CRASH_AT_VARIABLE = 'AUTOMINT_CRASH_AT';
export const CRASH_RANDOM_VARIABLE = 'AUTOMINT_CRASH_RANDOM';

/** The actor kinds a crash can be injected into, by the name used in AUTOMINT_CRASH_AT. */
export const CRASH_ACTORS = ['purchase', 'payer'] as const;
export type CrashActor = (typeof CRASH_ACTORS)[number];
export type CrashMachines = Readonly<Record<CrashActor, AnyStateMachine>>;

/** The machines whose states are injection points. */
export const CRASH_MACHINES: CrashMachines = { purchase: purchaseMachine, payer: payerMachine };

/** Die when an actor of kind `actor` enters `state` (a dotted path) for the `nth` time in this process. */
export type StateCrash = { readonly actor: CrashActor; readonly state: string; readonly nth: number };
/** Die `delayMs(seed, maxMs)` after the run starts. */
export type RandomCrash = { readonly seed: number; readonly maxMs: number };
export type CrashPlan = { readonly at?: StateCrash; readonly random?: RandomCrash };
/** One place a crash can be injected: an actor kind and one of its states. */
export type InjectionPoint = { readonly actor: CrashActor; readonly state: string };

export interface CrashSwitch {
  /** The xstate inspect callback that watches state entries. */
  readonly inspect: (event: InspectionEvent) => void;
  /** `inspect` together with another inspect callback (the span inspector), for `createActor(..., { inspect })`. */
  alongside(other: ((event: InspectionEvent) => void) | undefined): (event: InspectionEvent) => void;
  /** Starts the random timer, if the plan has one: the run has started. */
  arm(): void;
  /** Stops the random timer: the run has ended, nothing is left to crash. */
  disarm(): void;
}

export interface CrashSwitchOptions {
  readonly machines?: CrashMachines;
  /** Ends the process; a real SIGKILL unless a test injects its own. */
  readonly kill?: (reason: string) => void;
  readonly setTimer?: (fire: () => void, ms: number) => { unref?: () => unknown };
  readonly clearTimer?: (timer: { unref?: () => unknown }) => void;
}

/** Every state of a machine as a dotted path (`buying`, `buying.paying`), parents before children. */
export function machineStates(machine: AnyStateMachine): string[] {
  const paths: string[] = [];
  const walk = (states: Readonly<Record<string, { states: Readonly<Record<string, unknown>> }>>, prefix: string): void => {
    for (const [key, node] of Object.entries(states)) {
      paths.push(`${prefix}${key}`);
      walk(node.states as typeof states, `${prefix}${key}.`);
    }
  };
  walk(machine.root.states, '');
  return paths;
}

/** Every injection point, from the machine definitions: each state of each crash actor. */
export function injectionPoints(machines: CrashMachines = CRASH_MACHINES): InjectionPoint[] {
  return CRASH_ACTORS.flatMap((actor) => machineStates(machines[actor]).map((state) => ({ actor, state })));
}

/** Parses AUTOMINT_CRASH_AT; an unknown actor or state is a ConfigError listing the valid names. */
export function parseCrashAt(text: string, machines: CrashMachines = CRASH_MACHINES): StateCrash {
  const valid = injectionPoints(machines).map((p) => `${p.actor}:${p.state}`);
  const m = /^([A-Za-z]+):([A-Za-z0-9_.]+)(?:#(\d+))?$/.exec(text.trim());
  if (m === null) throw invalid(CRASH_AT_VARIABLE, `"${text}" is not <actor>:<state>[#<n>]; valid points: ${valid.join(', ')}`);
  const [, actor, state, nth] = m as unknown as [string, string, string, string | undefined];
  if (!(CRASH_ACTORS as readonly string[]).includes(actor)) {
    throw invalid(CRASH_AT_VARIABLE, `unknown actor "${actor}" (valid actors: ${CRASH_ACTORS.join(', ')}; valid points: ${valid.join(', ')})`);
  }
  const states = machineStates(machines[actor as CrashActor]);
  if (!states.includes(state)) throw invalid(CRASH_AT_VARIABLE, `the ${actor} actor has no state "${state}" (valid states: ${states.join(', ')})`);
  const n = nth === undefined ? 1 : Number(nth);
  if (!Number.isSafeInteger(n) || n < 1) throw invalid(CRASH_AT_VARIABLE, `#${nth}: the entry number counts from 1`);
  return { actor: actor as CrashActor, state, nth: n };
}

/** Parses AUTOMINT_CRASH_RANDOM (`<seed>:<maxMs>`, both non-negative integers, maxMs at least 1). */
export function parseCrashRandom(text: string): RandomCrash {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  const seed = m ? Number(m[1]) : NaN;
  const maxMs = m ? Number(m[2]) : NaN;
  if (!(seed >= 0 && seed <= 0xffff_ffff) || !(Number.isSafeInteger(maxMs) && maxMs >= 1)) {
    throw invalid(CRASH_RANDOM_VARIABLE, `"${text}" is not <seed>:<maxMs> (seed 0..4294967295, maxMs ≥ 1)`);
  }
  return { seed, maxMs };
}

/** The crash plan the environment asks for, or null when neither variable is set (empty counts as unset). */
export function crashPlanFromEnv(env: Readonly<Record<string, string | undefined>>, machines: CrashMachines = CRASH_MACHINES): CrashPlan | null {
  const at = env[CRASH_AT_VARIABLE];
  const random = env[CRASH_RANDOM_VARIABLE];
  if (!at && !random) return null;
  return { ...(at ? { at: parseCrashAt(at, machines) } : {}), ...(random ? { random: parseCrashRandom(random) } : {}) };
}

/** The moment a random crash fires, ms after the run starts: the first draw of mulberry32 seeded with `seed`. */
export function randomCrashDelayMs({ seed, maxMs }: RandomCrash): number {
  let t = (seed + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  const unit = ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  return Math.floor(unit * maxMs);
}

/** A real kill -9 of this process, after one synchronous line on stderr naming the reason. */
export function killProcess(reason: string): void {
  try {
    writeSync(2, `automint: crash switch: SIGKILL at ${reason}\n`);
  } catch {
    // stderr may be closed; the kill matters, not the line.
  }
  process.kill(process.pid, 'SIGKILL');
}

/** Builds the switch for a plan; install `inspect` (or `alongside`) on the root actor and call `arm` at run start. */
export function createCrashSwitch(plan: CrashPlan, options: CrashSwitchOptions = {}): CrashSwitch {
  const machines = options.machines ?? CRASH_MACHINES;
  const kill = options.kill ?? killProcess;
  const setTimer = options.setTimer ?? ((fire, ms) => setTimeout(fire, ms));
  const clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  const target = plan.at;
  const watched = target === undefined ? undefined : machines[target.actor];
  // Active state paths per actor session of the watched kind; an entry leaves when its actor stops, and a stopped
  // actor's late snapshots are not a first sight.
  const active = new Map<string, ReadonlySet<string>>();
  const stopped = new WeakSet<object>();
  let entries = 0;
  let fired = false;
  let timer: { unref?: () => unknown } | undefined;

  const fire = (reason: string): void => {
    if (fired) return;
    fired = true;
    kill(reason);
  };

  const inspect = (event: InspectionEvent): void => {
    if (target === undefined || watched === undefined || fired || (event.type !== '@xstate.microstep' && event.type !== '@xstate.snapshot')) return;
    const snapshot = event.snapshot as { machine?: { id?: string }; value?: unknown; status?: string };
    // By id as well as identity: a machine given other implementations with `.provide()` is a new object.
    if (snapshot.machine !== watched && snapshot.machine?.id !== watched.id) return;
    if (stopped.has(event.actorRef)) return;
    const session = event.actorRef.sessionId;
    let before = active.get(session);
    if (before === undefined) {
      // First sight of this actor: its initial state was entered, whether or not it has already moved on.
      before = new Set(activePaths(initialValue(watched)));
      if (before.has(target.state)) entries += 1;
    }
    const now = new Set(activePaths(snapshot.value));
    if (now.has(target.state) && !before.has(target.state)) entries += 1;
    if (snapshot.status !== undefined && snapshot.status !== 'active') {
      active.delete(session);
      stopped.add(event.actorRef);
    } else active.set(session, now);
    if (entries >= target.nth) fire(`${target.actor}:${target.state}#${target.nth}`);
  };

  return {
    inspect,
    alongside: (other) => (other === undefined ? inspect : (event) => {
      other(event);
      inspect(event);
    }),
    arm() {
      if (plan.random === undefined || timer !== undefined || fired) return;
      const delay = randomCrashDelayMs(plan.random);
      timer = setTimer(() => fire(`random ${plan.random!.seed}:${plan.random!.maxMs} (${delay} ms after start)`), delay);
      // A run that ends first exits normally: the timer must not keep the process alive.
      timer.unref?.();
    },
    disarm() {
      if (timer !== undefined) clearTimer(timer);
      timer = undefined;
    },
  };
}

/** Every active state of a state value as dotted paths, ancestors included: `{a: 'b'}` → `a`, `a.b`. */
export function activePaths(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [`${prefix}${value}`];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [`${prefix}${key}`, ...activePaths(child, `${prefix}${key}.`)]);
}

/** The state value a machine starts in, read from its definition (initial targets, recursively; parallel regions all). */
function initialValue(machine: AnyStateMachine): unknown {
  type Node = { type: string; states: Record<string, Node>; initial?: { target?: readonly { key: string }[] } };
  const valueOf = (node: Node): unknown => {
    if (node.type === 'parallel') return Object.fromEntries(Object.entries(node.states).map(([k, child]) => [k, valueOf(child)]));
    const first = node.initial?.target?.[0];
    if (first === undefined) return {};
    const child = node.states[first.key]!;
    return Object.keys(child.states).length === 0 ? first.key : { [first.key]: valueOf(child) };
  };
  return valueOf(machine.root as unknown as Node);
}

function invalid(variable: string, message: string): ConfigError {
  return new ConfigError('CONFIG_INVALID', [{ path: '', message: `${variable}: ${message}` }]);
}

/** The switch the environment asks for, or undefined when it asks for none; throws ConfigError for a bad value. */
export function crashSwitchFromEnv(env: Readonly<Record<string, string | undefined>>): CrashSwitch | undefined {
  const plan = crashPlanFromEnv(env);
  return plan === null ? undefined : createCrashSwitch(plan);
}
