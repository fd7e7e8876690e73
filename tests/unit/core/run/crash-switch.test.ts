/** The crash switch: which injection points exist (read from the purchase and payer machines), how the variables
 *  parse, that it kills exactly at the n-th entry of a state by any actor of the kind (initial, eventless and child
 *  actors included), and that the random schedule is a pure function of the seed. The kill is injected: nothing
 *  here kills the test process. */
import { describe, expect, it } from 'vitest';
import { assign, createActor, setup, type AnyStateMachine } from 'xstate';
import { ConfigError } from '../../../../core/config/config-error.js';
import { payerMachine } from '../../../../core/actors/payer.js';
import { purchaseMachine } from '../../../../core/actors/purchase.js';
import {
  CRASH_AT_VARIABLE,
  CRASH_RANDOM_VARIABLE,
  crashPlanFromEnv,
  createCrashSwitch,
  injectionPoints,
  machineStates,
  parseCrashAt,
  parseCrashRandom,
  randomCrashDelayMs,
  type CrashMachines,
  type CrashPlan,
} from '../../../../core/run/crash-switch.js';

/** A payer-like loop: idle → work → (eventless) settle → idle …, ending in done. */
const loop = setup({ types: { context: {} as { rounds: number }, events: {} as { type: 'GO' } | { type: 'END' } } }).createMachine({
  id: 'loop',
  context: { rounds: 0 },
  initial: 'idle',
  states: {
    idle: { on: { GO: 'work', END: 'done' } },
    work: { on: { GO: 'settle' } },
    settle: { always: { target: 'idle', actions: assign({ rounds: ({ context }) => context.rounds + 1 }) } },
    done: { type: 'final' },
  },
});

/** A purchase-like parent that runs one `loop` child while buying. */
const parent = setup({ types: { events: {} as { type: 'BUY' } | { type: 'GO' } }, actors: { loop } }).createMachine({
  id: 'parent',
  initial: 'armed',
  states: {
    armed: { on: { BUY: 'buying' } },
    buying: {
      initial: 'paying',
      states: { paying: {} },
      invoke: { id: 'child', src: 'loop' },
      on: { GO: { actions: ({ self }) => self.getSnapshot().children['child']?.send({ type: 'GO' }) } },
    },
  },
});

const machines: CrashMachines = { purchase: parent as unknown as AnyStateMachine, payer: loop as unknown as AnyStateMachine };

function harness(plan: CrashPlan) {
  const kills: string[] = [];
  const sw = createCrashSwitch(plan, { machines, kill: (reason) => kills.push(reason) });
  return { kills, sw };
}

describe('injection points', () => {
  it('lists every state of the purchase and payer machines from their definitions', () => {
    const points = injectionPoints();
    expect(points.filter((p) => p.actor === 'purchase').map((p) => p.state)).toEqual(Object.keys(purchaseMachine.root.states));
    expect(points.filter((p) => p.actor === 'payer').map((p) => p.state)).toEqual(Object.keys(payerMachine.root.states));
    expect(points).toContainEqual({ actor: 'payer', state: 'sending' });
    expect(points).toContainEqual({ actor: 'purchase', state: 'buying' });
  });

  it('names nested states by their dotted path, parents first', () => {
    expect(machineStates(parent)).toEqual(['armed', 'buying', 'buying.paying']);
  });
});

describe('parsing the variables', () => {
  it('reads actor, state and entry number, the first entry by default', () => {
    expect(parseCrashAt('payer:sending')).toEqual({ actor: 'payer', state: 'sending', nth: 1 });
    expect(parseCrashAt('purchase:buying#3')).toEqual({ actor: 'purchase', state: 'buying', nth: 3 });
  });

  it('refuses an unknown actor, naming the variable and the valid points', () => {
    const error = (() => {
      try {
        parseCrashAt('watcher:polling');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(CRASH_AT_VARIABLE);
    expect((error as ConfigError).message).toContain('payer:confirming');
    expect((error as ConfigError).message).toContain('purchase:arming');
  });

  it('refuses an unknown state, listing the states of that actor', () => {
    expect(() => parseCrashAt('payer:paying')).toThrow(/AUTOMINT_CRASH_AT: the payer actor has no state "paying" \(valid states: armed, claiming, planning, .*confirming/);
  });

  it('refuses a malformed value and an entry number of zero', () => {
    expect(() => parseCrashAt('payer')).toThrow(ConfigError);
    expect(() => parseCrashAt('payer:sending#0')).toThrow(/counts from 1/);
  });

  it('reads a random plan and refuses a malformed one', () => {
    expect(parseCrashRandom('42:12000')).toEqual({ seed: 42, maxMs: 12000 });
    expect(() => parseCrashRandom('42')).toThrow(new RegExp(CRASH_RANDOM_VARIABLE));
    expect(() => parseCrashRandom('42:0')).toThrow(ConfigError);
    expect(() => parseCrashRandom('-1:100')).toThrow(ConfigError);
  });

  it('asks for nothing when neither variable is set or both are empty', () => {
    expect(crashPlanFromEnv({})).toBeNull();
    expect(crashPlanFromEnv({ [CRASH_AT_VARIABLE]: '', [CRASH_RANDOM_VARIABLE]: '' })).toBeNull();
    expect(crashPlanFromEnv({ [CRASH_AT_VARIABLE]: 'payer:recording#2' })).toEqual({ at: { actor: 'payer', state: 'recording', nth: 2 } });
  });
});

describe('killing at a state entry', () => {
  it('kills at the n-th entry of the state, not before, and only once', () => {
    const { kills, sw } = harness({ at: { actor: 'payer', state: 'work', nth: 2 } });
    const actor = createActor(loop, { inspect: sw.inspect }).start();
    actor.send({ type: 'GO' });
    expect(kills).toEqual([]);
    actor.send({ type: 'GO' });
    actor.send({ type: 'GO' });
    expect(kills).toEqual(['payer:work#2']);
    actor.send({ type: 'GO' });
    actor.send({ type: 'GO' });
    expect(kills).toHaveLength(1);
  });

  it('counts a state left at once by an eventless transition', () => {
    const { kills, sw } = harness({ at: { actor: 'payer', state: 'settle', nth: 1 } });
    const actor = createActor(loop, { inspect: sw.inspect }).start();
    actor.send({ type: 'GO' });
    expect(kills).toEqual([]);
    actor.send({ type: 'GO' });
    expect(actor.getSnapshot().value).toBe('idle');
    expect(kills).toEqual(['payer:settle#1']);
  });

  it('counts the initial state as entered when the actor starts', () => {
    const { kills, sw } = harness({ at: { actor: 'payer', state: 'idle', nth: 1 } });
    createActor(loop, { inspect: sw.inspect }).start();
    expect(kills).toEqual(['payer:idle#1']);
  });

  it('counts entries across every actor of the kind, children included', () => {
    const { kills, sw } = harness({ at: { actor: 'payer', state: 'work', nth: 2 } });
    const first = createActor(parent, { inspect: sw.inspect }).start();
    first.send({ type: 'BUY' });
    first.send({ type: 'GO' });
    expect(kills).toEqual([]);
    const second = createActor(parent, { inspect: sw.inspect }).start();
    second.send({ type: 'BUY' });
    second.send({ type: 'GO' });
    expect(kills).toEqual(['payer:work#2']);
  });

  it('matches nested states by dotted path and ignores other machines', () => {
    const { kills, sw } = harness({ at: { actor: 'purchase', state: 'buying.paying', nth: 1 } });
    const actor = createActor(parent, { inspect: sw.inspect }).start();
    actor.send({ type: 'GO' });
    expect(kills).toEqual([]);
    actor.send({ type: 'BUY' });
    expect(kills).toEqual(['purchase:buying.paying#1']);
  });

  it('does not count the late snapshots of a stopped actor as entries', () => {
    const { kills, sw } = harness({ at: { actor: 'payer', state: 'idle', nth: 2 } });
    const actor = createActor(loop, { inspect: sw.inspect }).start();
    actor.send({ type: 'END' });
    expect(actor.getSnapshot().status).toBe('done');
    expect(kills).toEqual([]);
  });

  it('passes every event on to the other inspector too', () => {
    const { sw } = harness({ at: { actor: 'payer', state: 'done', nth: 1 } });
    const seen: string[] = [];
    createActor(loop, { inspect: sw.alongside((e) => seen.push(e.type)) }).start();
    expect(seen).toContain('@xstate.snapshot');
  });
});

describe('the random schedule', () => {
  it('draws the same moment from the same seed, within [0, maxMs)', () => {
    for (let seed = 0; seed < 200; seed++) {
      const delay = randomCrashDelayMs({ seed, maxMs: 12_000 });
      expect(delay).toBe(randomCrashDelayMs({ seed, maxMs: 12_000 }));
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(12_000);
      expect(Number.isInteger(delay)).toBe(true);
    }
    const delays = new Set(Array.from({ length: 20 }, (_, seed) => randomCrashDelayMs({ seed, maxMs: 12_000 })));
    expect(delays.size).toBeGreaterThan(15);
  });

  it('arms one timer at the drawn moment that kills, and disarming cancels it', () => {
    const timers: { fire: () => void; ms: number; cleared: boolean }[] = [];
    const kills: string[] = [];
    const plan = { random: { seed: 7, maxMs: 5000 } };
    const sw = createCrashSwitch(plan, {
      machines,
      kill: (reason) => kills.push(reason),
      setTimer: (fire, ms) => {
        const t = { fire, ms, cleared: false, unref: () => undefined };
        timers.push(t);
        return t;
      },
      clearTimer: (t) => {
        (t as { cleared: boolean }).cleared = true;
      },
    });
    sw.arm();
    sw.arm();
    expect(timers).toHaveLength(1);
    expect(timers[0]!.ms).toBe(randomCrashDelayMs(plan.random));
    timers[0]!.fire();
    expect(kills).toEqual([`random 7:5000 (${timers[0]!.ms} ms after start)`]);
    sw.disarm();
    expect(timers[0]!.cleared).toBe(true);
  });

  it('never kills without a plan for it', () => {
    const { kills, sw } = harness({});
    sw.arm();
    const actor = createActor(loop, { inspect: sw.inspect }).start();
    actor.send({ type: 'GO' });
    expect(kills).toEqual([]);
  });
});
