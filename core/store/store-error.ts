/** Typed failures of a Stickerdom call. Each says whether the request may have had an effect, so a caller knows
 *  whether repeating it is safe: a spending call is never repeated after a `maybeApplied` failure. */
import { AutomintError } from '../errors.js';
import type { ProxyFailureReason } from './proxy-dispatcher.js';

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

type AuthFacts = {
  readonly op?: StoreOperation;
  readonly url?: string;
  readonly errorCode?: string;
  readonly account?: string;
  /** Trying again cannot help until a person acts (see isPermanent). */
  readonly permanent?: boolean;
};

/** The token was refused (401/403 or an auth error code): re-authenticate; never read as "not found". `status` is
 *  null when no call was made (no usable token to send). */
export class StoreAuthError extends AutomintError {
  constructor(
    readonly status: number | null,
    facts: AuthFacts,
    described?: { readonly code: string; readonly message: string; readonly cause?: unknown },
  ) {
    super(
      described?.code ?? 'STORE_AUTH',
      described?.message ?? `store refused the account's token for ${facts.op ?? 'a call'} (HTTP ${status ?? '-'})`,
      { ...facts, status },
      described?.cause === undefined ? undefined : { cause: described.cause },
    );
  }
}

/** Why an account has no token to send. */
export type TokenUnavailableReason = 'expired' | 'refused' | 'failed' | 'timeout' | 'stopped';

/** No usable token for an account: the configured one expired or was refused and there is nothing to make a new one
 *  from, the token source failed or did not answer in time, or the auth actor has stopped. Code
 *  `STORE_TOKEN_<REASON>`. */
export class StoreTokenUnavailable extends StoreAuthError {
  constructor(
    readonly reason: TokenUnavailableReason,
    readonly facts: { readonly account?: string; readonly source: string; readonly expiredAt?: number; readonly timeoutMs?: number },
    cause?: unknown,
  ) {
    super(null, { account: facts.account, ...(permanentToken(reason, facts.source) ? { permanent: true } : {}) }, {
      code: `STORE_TOKEN_${reason.toUpperCase()}`,
      message: tokenUnavailableMessage(reason, facts),
      cause,
    });
  }

  /** The same error naming the account (a token source does not know which account it serves). */
  forAccount(account: string): StoreTokenUnavailable {
    return new StoreTokenUnavailable(this.reason, { ...this.facts, account }, this.cause);
  }
}

/** A pasted token that expired or was refused stays so until a person pastes another. */
function permanentToken(reason: TokenUnavailableReason, source: string): boolean {
  return source === 'configured' && (reason === 'expired' || reason === 'refused');
}

function tokenUnavailableMessage(
  reason: TokenUnavailableReason, f: { account?: string; source: string; expiredAt?: number; timeoutMs?: number },
): string {
  const who = f.account === undefined ? 'the account' : `account ${f.account}`;
  const paste = f.source === 'configured' ? '; paste a fresh token into accounts[].storeToken' : '';
  switch (reason) {
    case 'expired': {
      const at = f.expiredAt === undefined ? '' : ` at ${new Date(f.expiredAt).toISOString()}`;
      return `the store token of ${who} expired${at} and its ${f.source} source has no newer one${paste}`;
    }
    case 'refused':
      return `the store refused the token of ${who} and its ${f.source} source has no other one${paste}`;
    case 'failed':
      return `could not obtain a store token for ${who} from its ${f.source} source`;
    case 'timeout':
      return `the ${f.source} source gave no store token for ${who} within ${f.timeoutMs ?? '?'} ms`;
    case 'stopped':
      return `no store token for ${who}: its auth actor has stopped`;
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
  constructor(
    kind: 'timeout' | 'connection' | 'aborted' | 'proxy', readonly maybeApplied: boolean, facts: CallFacts & { readonly account?: string; readonly proxy?: string; readonly reason?: string },
    cause?: unknown, message?: string,
  ) {
    super(kind === 'timeout' ? 'STORE_TIMEOUT' : kind === 'aborted' ? 'STORE_ABORTED' : kind === 'proxy' ? 'STORE_PROXY_FAILED' : 'STORE_CONNECTION',
      message ?? `store call ${facts.op} failed: ${kind}`, { ...facts, maybeApplied }, { cause });
  }
}

/** The account's proxy failed before the call reached the store: it refused the connection, refused the credentials
 *  (`auth`), did not answer in time, or could not open the tunnel. Nothing was sent, so nothing was applied, even for
 *  a spending call. Names the account and the proxy without its password. */
export class StoreProxyFailed extends StoreTransportError {
  constructor(readonly reason: ProxyFailureReason, facts: CallFacts & { account: string; proxy: string }) {
    super('proxy', false, { ...facts, reason }, undefined,
      `store call ${facts.op} of account ${facts.account} failed at its proxy ${facts.proxy}: ${PROXY_REASONS[reason]}`);
  }
}

/** What each reason means, for the message. */
const PROXY_REASONS: Record<ProxyFailureReason, string> = {
  refused: 'the proxy refused the connection or cannot be reached',
  auth: 'the proxy refused the user name or password',
  timeout: 'the proxy did not answer in time',
  tunnel: 'the proxy could not open a tunnel to the store',
};

/** The limiter would not let the call through within the longest wait the profile allows. */
export class StoreRateLimited extends AutomintError {
  constructor(readonly retryAt: number, facts: { op: StoreOperation; pool: string; reason: string }) {
    super('STORE_RATE_LIMITED', `${facts.op} held back by pool ${facts.pool} until ${new Date(retryAt).toISOString()}: ${facts.reason}`,
      { ...facts, retryAt });
  }
}
