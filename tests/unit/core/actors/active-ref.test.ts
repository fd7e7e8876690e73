import { afterEach, describe, expect, it } from 'vitest';
import { createActor, fromCallback, type Actor } from 'xstate';
import { whenActive } from '../../../../core/actors/active-ref.js';

type Ping = { type: 'PING'; n: number };

/** An actor that records what it receives. */
const recorder = (seen: number[]) => fromCallback<Ping>(({ receive }) => receive((e) => void seen.push(e.n)));

describe('whenActive', () => {
  let actor: Actor<ReturnType<typeof recorder>>;
  afterEach(() => actor.stop());

  it('delivers the event to a running actor and never calls onStopped', () => {
    const seen: number[] = [];
    const stopped: Ping[] = [];
    actor = createActor(recorder(seen)).start();
    const send = whenActive(actor, (e) => void stopped.push(e));
    expect(send({ type: 'PING', n: 1 })).toBe(true);
    expect(seen).toEqual([1]);
    expect(stopped).toEqual([]);
  });

  it('hands the event to onStopped instead of dropping it once the actor has stopped', () => {
    const seen: number[] = [];
    const stopped: Ping[] = [];
    actor = createActor(recorder(seen)).start();
    const send = whenActive(actor, (e) => void stopped.push(e));
    actor.stop();
    expect(send({ type: 'PING', n: 2 })).toBe(false);
    expect(seen).toEqual([]);
    expect(stopped).toEqual([{ type: 'PING', n: 2 }]);
  });

  it('hands an actor not started yet the event, which it receives when it starts', () => {
    const seen: number[] = [];
    const stopped: Ping[] = [];
    actor = createActor(recorder(seen));
    expect(whenActive(actor, (e) => void stopped.push(e))({ type: 'PING', n: 3 })).toBe(true);
    actor.start();
    expect(seen).toEqual([3]);
    expect(stopped).toEqual([]);
  });
});
