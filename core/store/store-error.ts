/** Typed failures of a Stickerdom call. Each says whether the request may have had an effect, so a caller knows
 *  whether repeating it is safe: a spending call is never repeated after a `maybeApplied` failure. */
import { AutomintError } from '../errors.js';

export type StoreOperation = 'auth' | 'settings' | 'collections' | 'collection' | 'priceTon' | 'buyTon' | 'buyStars';

type CallFacts = {
  readonly op: StoreOperation;
  readonly url: string;
};

/** The store answered `{ok:false, errorCode}`: it understood and refused. Nothing was created. */
export class StoreRejected extends AutomintError {
  constructor(readonly errorCode: string, readonly status: number, facts: CallFacts) {
    super('STORE_REJECTED', `store refused ${facts.op}: ${errorCode} (HTTP ${status})`, { ...facts, errorCode, status });
  }
}

/** The store answered an HTTP status that is not a success and carried no usable envelope. */
export class StoreHttpError extends AutomintError {
  constructor(readonly status: number, facts: CallFacts & { retryAfterMs?: number }) {
    super('STORE_HTTP', `store answered HTTP ${status} to ${facts.op}`, { ...facts, status });
    this.retryAfterMs = facts.retryAfterMs;
  }
  readonly retryAfterMs: number | undefined;
}

/** The token was refused (401/403 or an auth error code): re-authenticate; never read as "not found". */
export class StoreAuthError extends AutomintError {
  constructor(readonly status: number, facts: CallFacts & { errorCode?: string }) {
    super('STORE_AUTH', `store refused the account's token for ${facts.op} (HTTP ${status})`, { ...facts, status });
  }
}

/** The answer arrived but is not what the API page describes (bad JSON, HTML, wrong shape, absurd values). */
export class StoreMalformed extends AutomintError {
  constructor(reason: string, facts: CallFacts & { status: number }) {
    super('STORE_MALFORMED', `store answer to ${facts.op} is malformed: ${reason}`, facts);
  }
}

/** No answer in time, or the connection broke. For a spending call the order may exist: `maybeApplied` says so. */
export class StoreTransportError extends AutomintError {
  constructor(kind: 'timeout' | 'connection' | 'aborted', readonly maybeApplied: boolean, facts: CallFacts, cause?: unknown) {
    super(kind === 'timeout' ? 'STORE_TIMEOUT' : kind === 'aborted' ? 'STORE_ABORTED' : 'STORE_CONNECTION',
      `store call ${facts.op} failed: ${kind}`, { ...facts, maybeApplied }, { cause });
  }
}

/** The limiter would not let the call through within the longest wait the profile allows. */
export class StoreRateLimited extends AutomintError {
  constructor(readonly retryAt: number, facts: { op: StoreOperation; pool: string; reason: string }) {
    super('STORE_RATE_LIMITED', `${facts.op} held back by pool ${facts.pool} until ${new Date(retryAt).toISOString()}: ${facts.reason}`,
      { ...facts, retryAt });
  }
}
