/** Stable-id span attributes for the run's actors, read from their ids (`purchase:<c>:<ch>:<account>`,
 *  `pay:<method>:purchase:…`, `watcher:<c>:<ch>`). Ids only: never an input or a payload. */
import type { Attributes } from '@opentelemetry/api';
import type { AnyActorRef } from 'xstate';
import { Attr } from '../telemetry/attributes.js';

/** The automint.* attributes of an actor's span. */
export function actorAttributes(ref: AnyActorRef): Attributes | undefined {
  const id = ref.id;
  let m = /^pay:([^:]+):(purchase:(\d+):\d+:(.+))$/.exec(id);
  if (m) return { [Attr.paymentMethod]: m[1]!, [Attr.purchaseId]: m[2]!, [Attr.collectionId]: m[3]!, [Attr.account]: m[4]! };
  m = /^purchase:(\d+):\d+:(.+)$/.exec(id);
  if (m) return { [Attr.purchaseId]: id, [Attr.collectionId]: m[1]!, [Attr.account]: m[2]! };
  m = /^watcher:(\d+):\d+$/.exec(id);
  if (m) return { [Attr.collectionId]: m[1]! };
  return undefined;
}
