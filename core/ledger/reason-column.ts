/** A reason as the ledger stores it: free text made from store and plugin error messages (an abandoned order's, a
 *  failed payment's, a ghost order's), shown later by `automint orders` and read back into events and summaries, so
 *  every registered secret is scrubbed out before it is written (telemetry/secret-registry.ts). Every repository
 *  that writes a `reason` column goes through here. */
import { scrub } from '../telemetry/secret-registry.js';

/** `reason` scrubbed of registered secrets; null when there is none. */
export function reasonColumn(reason: string | null | undefined): string | null {
  return reason === undefined || reason === null ? null : scrub(reason);
}
