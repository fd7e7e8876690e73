/** The guard every port over an actor needs: a stopped actor drops events silently, so a caller that sends it a
 *  request and waits for the reply would wait for ever. Ports send through `whenActive` and answer the caller
 *  themselves when the actor is gone. */
import type { ActorRef, EventObject, Snapshot } from 'xstate';

/** What the guard needs of an actor: its status and its mailbox. */
export type ActiveRef<TEvent extends EventObject> = Pick<ActorRef<Snapshot<unknown>, TEvent>, 'getSnapshot' | 'send'>;

/** A send to `ref` that delivers only while the actor runs; otherwise `onStopped` gets the event instead. The sender
 *  returns whether the event was delivered. */
export function whenActive<TEvent extends EventObject>(
  ref: ActiveRef<TEvent>,
  onStopped: (event: TEvent) => void,
): (event: TEvent) => boolean {
  return (event) => {
    if (ref.getSnapshot().status !== 'active') {
      onStopped(event);
      return false;
    }
    ref.send(event);
    return true;
  };
}
