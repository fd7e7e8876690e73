/** Failures of the voucher issuer, as automint errors: a stable code the host logs and the ledger keeps, and facts a
 *  person can act on. Never the voucher code: the message and details are logged. */
import { AutomintError } from 'automint/plugin';

export class IssuerError extends AutomintError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(code, message, details, cause === undefined ? undefined : { cause });
  }
}
