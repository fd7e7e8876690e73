/** A run event as it may leave the process: every string in it with every registered secret replaced
 *  (telemetry/secret-registry.ts). Events carry free text — a refusal's reason, a payment's, a login's — made from
 *  store and plugin error messages, and subscribers send them on (webhooks, a chat), so the words are scrubbed the
 *  way log lines and spans are. Applied when an event is delivered (subscriber-queue.ts), never when it is emitted:
 *  emitting sits on the purchase's path. */
import { scrub } from '../telemetry/secret-registry.js';

/** Nesting deeper than this is not walked (events are flat, a summary's lists one level down): left as is. */
const MAX_DEPTH = 8;

/** `event` with every string scrubbed: the same object when nothing in it held a secret, else a frozen copy. */
export function scrubEvent<E>(event: E): E {
  return scrubValue(event, 0) as E;
}

function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrub(value);
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    const items = value.map((v) => scrubValue(v, depth + 1));
    return items.every((v, i) => v === value[i]) ? value : Object.freeze(items);
  }
  let copy: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(value)) {
    const s = scrubValue(v, depth + 1);
    if (s !== v) (copy ??= { ...(value as Record<string, unknown>) })[k] = s;
  }
  return copy === null ? value : Object.freeze(copy);
}
