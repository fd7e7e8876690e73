/** The benches' simulated world in a process of its own (latency-world.ts), so that its work never runs on the bot's
 *  event loop: forked with an IPC channel, it reports its state once up, then the store's record of the polls. */
import type { PollRecord, WorldMessage } from './latency-drop.js';
import type { WorldState } from '../cli/world.js';
import { forkChildWorld } from './child-world.js';

/** A running world process. */
export interface WorldProcess {
  readonly pid: number;
  readonly state: WorldState;
  /** When the bench's collection drops (epoch ms). */
  readonly dropAt: number;
  /** The polls of the bench's collection the store received so far, and every 429 it answered. */
  polls(): Promise<{ polls: readonly PollRecord[]; http429: number }>;
  /** Closes the world and waits for its process to end. */
  stop(): Promise<void>;
}

/** Starts a world of `accounts` funded buyers whose collection drops `dropInMs` after it starts. */
export async function forkWorld(accounts: number, dropInMs: number): Promise<WorldProcess> {
  const world = await forkChildWorld<WorldMessage>('latency-world.js', [String(accounts), String(dropInMs)], 'the world process');
  return {
    pid: world.process.pid!, state: world.up.state, dropAt: world.up.dropAt, stop: world.stop,
    polls: async () => {
      const m = await world.ask({ type: 'polls' }, 'polls');
      return { polls: m.polls, http429: m.http429 };
    },
  };
}
