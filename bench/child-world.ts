/** A simulated world in a process of its own, for benches: forked from a compiled script in bench/, it answers with
 *  one message per request over IPC. The world starts with an `up` message; `stop` ends it and waits for the process.
 *  Shared by every bench that keeps the world off the bot's event loop (latency, detection, contest, fleet). */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A forked world: its first (`up`) message, the next message it sends, and how to stop it. */
export interface ChildWorld<M extends { readonly type: string }> {
  readonly process: ChildProcess;
  /** The world's first message, of type `up`. */
  readonly up: Extract<M, { type: 'up' }>;
  /** Sends `request` and resolves with the answer, which must be of type `answer`. */
  ask<T extends M['type']>(request: { readonly type: string }, answer: T): Promise<Extract<M, { type: T }>>;
  /** Asks the world to stop and waits for its process to end. */
  stop(): Promise<void>;
}

/** Forks `script` (a file next to this one) with `args`; resolves once it says it is `up`. `name` names it in errors. */
export async function forkChildWorld<M extends { readonly type: string }>(script: string, args: readonly string[], name: string): Promise<ChildWorld<M>> {
  const child = fork(path.join(here, script), [...args], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const next = (): Promise<M> => new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as M));
    child.once('exit', (code) => reject(new Error(`${name} exited (${code})`)));
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    child.send({ type: 'stop' });
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
  };
  const up = await next().catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  if (up.type !== 'up') {
    await stop();
    throw new Error(`${name} did not start`);
  }
  return {
    process: child, up: up as Extract<M, { type: 'up' }>, stop,
    ask: async (request, answer) => {
      child.send(request);
      const m = await next();
      if (m.type !== answer) throw new Error(`${name} answered ${m.type} to ${request.type}`);
      return m as Extract<M, { type: typeof answer }>;
    },
  };
}
