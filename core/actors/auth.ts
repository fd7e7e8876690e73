/** The auth actor of one account (systemId `auth:<account>`): keeps the account's store JWT fresh. It obtains a token
 *  from its source when it starts, serves TOKEN asks, refreshes the token about REFRESH_BEFORE_MS before its `exp`
 *  (halfway through a shorter life), and replaces a token the store refused (INVALIDATE, after a 401). A source that
 *  has nothing newer (a pasted token) ends in `failed` with a StoreTokenUnavailable that tells the user what to do;
 *  so does a source that fails or gives no token within `obtainTimeoutMs` while no usable token is held.
 *  Tokens never reach a log, an error or a span: each is registered as a secret the moment it is obtained.
 *  Talks to: store clients, through `tokenProvider`; its token source. */
import { assign, enqueueActions, fromPromise, setup, type ActorRefFrom } from 'xstate';
import type { Logger } from 'pino';
import type { TokenProvider } from '../store/store-client.js';
import { StoreAuthError, StoreTokenUnavailable } from '../store/store-error.js';
import { whenActive } from './active-ref.js';
import { registerSecret } from '../telemetry/secret-registry.js';
import { HeldToken, jwtExpiry, obtainWithin, type TokenSource } from './auth-token.js';

// Importers of the auth actor find the token helpers here too.
export { configuredToken, jwtExpiry, REFRESH_BEFORE_MS, webAppToken, type StoreLogin, type TokenSource } from './auth-token.js';

export interface AuthInput {
  readonly account: string;
  readonly source: TokenSource;
  /** Longest wait for the source to hand over a token, ms (OBTAIN_TIMEOUT_MS when omitted): a source that never
   *  answers must not leave every call of the account waiting. */
  readonly obtainTimeoutMs?: number;
  readonly log?: Logger;
}

/** The answer to one TOKEN ask. */
export type AuthReply = { type: 'TOKEN'; jwt: string } | { type: 'NO_TOKEN'; error: StoreAuthError };

export type AuthEvent =
  /** From a store call about to go out (`tokenProvider.current`): which token to send. */
  | { type: 'TOKEN'; reply: (r: AuthReply) => void }
  /** From a store call the store answered 401/403 or with an auth errorCode: never hand out `token` again. */
  | { type: 'INVALIDATE'; token: string };

/** How long the source may take to hand over a token before the ask counts as failed. */
export const OBTAIN_TIMEOUT_MS = 15_000;
/** After a failed refresh while the token still works, the next try comes this much later (or at `exp`). */
export const REFRESH_RETRY_MS = 10_000;
/** After a failure, TOKEN asks are answered with it for this long before the source is asked again. */
export const FAILED_RETRY_MS = 5_000;
/** setTimeout's longest delay; a later refresh is reached in several steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface AuthContext {
  readonly input: AuthInput;
  held: HeldToken | null;
  /** The last token the store refused: a source that offers it again has nothing better. */
  refused: HeldToken | null;
  /** TOKEN asks waiting for a token being obtained. */
  waiting: ((r: AuthReply) => void)[];
  failure: StoreAuthError | null;
  failedAt: number | null;
  /** Epoch ms of the next refresh; null: none planned. */
  refreshAt: number | null;
}

type Obtained = { output: string };

/** What one ask of the source needs. */
interface ObtainInput {
  readonly source: TokenSource;
  readonly timeoutMs: number;
}

function obtainInput(input: AuthInput): ObtainInput {
  return { source: input.source, timeoutMs: input.obtainTimeoutMs ?? OBTAIN_TIMEOUT_MS };
}

/** Any failure of a token source, as the typed error the account's calls fail with. */
function asTokenFailure(input: AuthInput, error: unknown): StoreAuthError {
  if (error instanceof StoreTokenUnavailable) return error.forAccount(input.account);
  if (error instanceof StoreAuthError) return error;
  return new StoreTokenUnavailable('failed', { account: input.account, source: input.source.kind }, error);
}

/** The context change of entering `failed` with `failure`: no token held, none planned. */
function failed(failure: StoreAuthError): Partial<AuthContext> {
  return { failure, failedAt: Date.now(), held: null, refreshAt: null };
}

export const authMachine = setup({
  types: {
    context: {} as AuthContext,
    events: {} as AuthEvent,
    input: {} as AuthInput,
  },
  actors: {
    /** Asks the source for a token, for at most `timeoutMs`, and registers it as a secret before anything else can
     *  see it. */
    obtainToken: fromPromise<string, ObtainInput>(async ({ input, signal }) => {
      const jwt = await obtainWithin(input.source, input.timeoutMs, signal);
      registerSecret(jwt);
      return jwt;
    }),
  },
  delays: {
    untilRefresh: ({ context }) =>
      context.refreshAt === null ? MAX_TIMER_MS : Math.min(MAX_TIMER_MS, Math.max(0, context.refreshAt - Date.now())),
  },
  guards: {
    refusedAgain: ({ context, event }) => (event as unknown as Obtained).output === context.refused?.jwt,
    sameAsHeld: ({ context, event }) => (event as unknown as Obtained).output === context.held?.jwt,
    obtainedExpired: ({ event }) => {
      const exp = jwtExpiry((event as unknown as Obtained).output);
      return exp !== null && Date.now() >= exp;
    },
    heldExpired: ({ context }) => context.held === null || context.held.isExpired(Date.now()),
    heldUsable: ({ context }) => context.held !== null && !context.held.isExpired(Date.now()),
    refreshDue: ({ context }) => context.refreshAt !== null && Date.now() >= context.refreshAt,
    namesHeld: ({ context, event }) => event.type === 'INVALIDATE' && context.held?.jwt === event.token,
    mayRetry: ({ context }) => context.failedAt === null || Date.now() - context.failedAt >= FAILED_RETRY_MS,
  },
  actions: {
    hold: assign(({ event }) => {
      const jwt = (event as unknown as Obtained).output;
      const held = new HeldToken(jwt, Date.now(), jwtExpiry(jwt));
      return { held, refreshAt: held.refreshAt(), failure: null, failedAt: null };
    }),
    /** The source gave the token it gave before: it has nothing newer, so ask again only once this one expires. */
    keepUntilExpiry: assign(({ context }) => ({ refreshAt: context.held?.expiresAt ?? null })),
    retryRefreshLater: assign(({ context }) => {
      const exp = context.held?.expiresAt ?? null;
      const next = Date.now() + REFRESH_RETRY_MS;
      return { refreshAt: exp === null ? next : Math.min(next, exp) };
    }),
    refuseHeld: assign(({ context }) => ({ refused: context.held, held: null, refreshAt: null })),
    dropHeld: assign({ held: null, refreshAt: null }),
    /** A retry from `failed` gives a refused token one more chance: the refusal may have been a passing fault. */
    forgetRefusal: assign({ refused: null }),
    enqueue: assign(({ context, event }) => (event.type === 'TOKEN' ? { waiting: [...context.waiting, event.reply] } : {})),
    answer: ({ context, event }) => {
      if (event.type === 'TOKEN' && context.held) event.reply({ type: 'TOKEN', jwt: context.held.jwt });
    },
    answerFailure: ({ context, event }) => {
      if (event.type === 'TOKEN' && context.failure) event.reply({ type: 'NO_TOKEN', error: context.failure });
    },
    answerWaiting: enqueueActions(({ context, enqueue }) => {
      const reply: AuthReply | null = context.held && !context.held.isExpired(Date.now())
        ? { type: 'TOKEN', jwt: context.held.jwt }
        : context.failure ? { type: 'NO_TOKEN', error: context.failure } : null;
      if (reply === null) return;
      const waiting = context.waiting;
      enqueue(() => {
        for (const waiter of waiting) waiter(reply);
      });
      enqueue.assign({ waiting: [] });
    }),
    noteFailure: assign(({ context, event }) => failed(asTokenFailure(context.input, (event as { error?: unknown }).error))),
    noteRefusedAgain: assign(({ context }) =>
      failed(new StoreTokenUnavailable('refused', { account: context.input.account, source: context.input.source.kind }))),
    noteObtainedExpired: assign(({ context, event }) =>
      failed(new StoreTokenUnavailable('expired', {
        account: context.input.account, source: context.input.source.kind,
        expiredAt: jwtExpiry((event as unknown as Obtained).output) ?? undefined,
      }))),
    logObtained: ({ context }) =>
      context.input.log?.info({ account: context.input.account, source: context.input.source.kind, expiresAt: context.held?.expiresAt ?? null }, 'store token obtained'),
    logFailure: ({ context }) =>
      context.input.log?.error({ account: context.input.account, err: context.failure }, 'no store token'),
  },
}).createMachine({
  id: 'auth',
  context: ({ input }) => ({ input, held: null, refused: null, waiting: [], failure: null, failedAt: null, refreshAt: null }),
  initial: 'obtaining',
  states: {
    /** No usable token: asks wait for the source. An INVALIDATE now names a token already dropped. */
    obtaining: {
      invoke: {
        src: 'obtainToken',
        input: ({ context }) => obtainInput(context.input),
        onDone: [
          { guard: 'refusedAgain', target: 'failed', actions: ['noteRefusedAgain', 'answerWaiting', 'logFailure'] },
          { guard: 'obtainedExpired', target: 'failed', actions: ['noteObtainedExpired', 'answerWaiting', 'logFailure'] },
          { target: 'ready', actions: ['hold', 'answerWaiting', 'logObtained'] },
        ],
        onError: { target: 'failed', actions: ['noteFailure', 'answerWaiting', 'logFailure'] },
      },
      on: { TOKEN: { actions: 'enqueue' } },
    },
    /** A token that works; renewed when its refresh time comes. */
    ready: {
      after: {
        untilRefresh: [{ guard: 'refreshDue', target: 'refreshing' }, { target: 'ready', reenter: true }],
      },
      on: {
        TOKEN: [{ guard: 'heldExpired', target: 'obtaining', actions: ['dropHeld', 'enqueue'] }, { actions: 'answer' }],
        INVALIDATE: { guard: 'namesHeld', target: 'obtaining', actions: 'refuseHeld' },
      },
    },
    /** Renewing while the current token still works: asks get the current one until it expires. */
    refreshing: {
      invoke: {
        src: 'obtainToken',
        input: ({ context }) => obtainInput(context.input),
        onDone: [
          { guard: 'refusedAgain', target: 'failed', actions: ['noteRefusedAgain', 'answerWaiting', 'logFailure'] },
          { guard: 'obtainedExpired', target: 'failed', actions: ['noteObtainedExpired', 'answerWaiting', 'logFailure'] },
          { guard: 'sameAsHeld', target: 'ready', actions: ['keepUntilExpiry', 'answerWaiting'] },
          { target: 'ready', actions: ['hold', 'answerWaiting', 'logObtained'] },
        ],
        onError: [
          { guard: 'heldUsable', target: 'ready', actions: 'retryRefreshLater' },
          { target: 'failed', actions: ['noteFailure', 'answerWaiting', 'logFailure'] },
        ],
      },
      on: {
        TOKEN: [{ guard: 'heldExpired', actions: 'enqueue' }, { actions: 'answer' }],
        INVALIDATE: { guard: 'namesHeld', target: 'obtaining', actions: 'refuseHeld' },
      },
    },
    /** No token to be had: asks get the failure, and after FAILED_RETRY_MS the next ask tries the source again. */
    failed: {
      on: {
        TOKEN: [
          { guard: 'mayRetry', target: 'obtaining', actions: ['forgetRefusal', 'enqueue'] },
          { actions: 'answerFailure' },
        ],
      },
    },
  },
});

export type AuthRef = ActorRefFrom<typeof authMachine>;

/** The auth actor's systemId for an account. */
export const authId = (account: string): string => `auth:${account}`;

/** The TokenProvider port over a running auth actor: what a StoreClient takes as its `token`. */
export function tokenProvider(auth: AuthRef): TokenProvider {
  const stopped = (): StoreTokenUnavailable => {
    const { account, source } = auth.getSnapshot().context.input;
    return new StoreTokenUnavailable('stopped', { account, source: source.kind });
  };
  // A stopped actor drops events silently: an ask it would drop is answered here instead of left waiting.
  const send = whenActive(auth, () => undefined);
  return {
    current: (signal) => {
      // A usable token held is handed out as the actor would answer the ask (ready or refreshing: `answer`), without
      // the round trip: a drop's order asks for it on its way to the socket.
      const held = usableHeld(auth.getSnapshot());
      return held !== null && signal?.aborted !== true ? Promise.resolve(held) : ask(signal);
    },
    invalidate: (token) => void send({ type: 'INVALIDATE', token }),
  };

  function ask(signal: AbortSignal | undefined): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      if (auth.getSnapshot().status !== 'active') return reject(stopped());
      if (signal?.aborted) return reject(signal.reason);
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        subscription.unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        return true;
      };
      const onAbort = (): void => {
        if (settle()) reject(signal?.reason);
      };
      // An ask still waiting when the actor stops is answered by the stop.
      const subscription = auth.subscribe({
        complete: () => settle() && reject(stopped()),
        error: () => settle() && reject(stopped()),
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      send({
        type: 'TOKEN',
        reply: (r) => {
          if (!settle()) return;
          if (r.type === 'TOKEN') resolve(r.jwt);
          else reject(r.error);
        },
      });
    });
  }
}

/** The token an auth actor would answer a TOKEN ask with at once, or null when the ask must go to it. */
function usableHeld(snapshot: ReturnType<AuthRef['getSnapshot']>): string | null {
  if (snapshot.status !== 'active' || !(snapshot.matches('ready') || snapshot.matches('refreshing'))) return null;
  const held = snapshot.context.held;
  return held !== null && !held.isExpired(Date.now()) ? held.jwt : null;
}
