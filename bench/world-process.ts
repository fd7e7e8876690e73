/** The benches' simulated world in a process of its own (latency-world.ts), so that its work never runs on the bot's
 *  event loop: forked with an IPC channel, it reports its state once up, then the store's record of the polls. */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PollRecord, WorldMessage } from './latency-drop.js';
import type { WorldState } from '../core/cli/world.js';

const here = path.dirname(fileURLToPath(import.meta.url));

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
  const world = fork(path.join(here, 'latency-world.js'), [String(accounts), String(dropInMs)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const next = (): Promise<WorldMessage> => new Promise((resolve, reject) => {
    world.once('message', (m) => resolve(m as WorldMessage));
    world.once('exit', (code) => reject(new Error(`the world process exited (${code})`)));
  });
  const stop = async (): Promise<void> => {
    if (world.exitCode !== null) return;
    world.send({ type: 'stop' });
    await new Promise((resolve) => (world.exitCode !== null ? resolve(null) : world.once('exit', resolve)));
  };
  const up = await next().catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  if (up.type !== 'up') {
    await stop();
    throw new Error('the world did not start');
  }
  return {
    pid: world.pid!, state: up.state, dropAt: up.dropAt, stop,
    polls: async () => {
      world.send({ type: 'polls' });
      const m = await next();
      if (m.type !== 'polls') throw new Error(`the world answered ${m.type} to polls`);
      return { polls: m.polls, http429: m.http429 };
    },
  };
}
