/** The watcher: polls one target's collection (`404` = not published yet; then `status` and `left`) and tells every
 *  purchase of that target what it saw: STOCK after each poll that shows the character on sale, SOLD_OUT when it is
 *  gone. Keeps polling while stock falls, so purchases keep buying. Polls take turns over the target's accounts, evenly
 *  staggered, each account no faster than the profile's interval nor the limiter's poll pace for it (its limit less
 *  the share reserved for spending, divided among the watchers polling through it): N accounts see a drop about N
 *  times sooner, a purchase's call finds its reserve whole, and the watcher is never held waiting for a window to
 *  reset. An account rate-limited, refused a token or failed by its proxy leaves the rotation until its wait is over;
 *  the others close the gap. With a known drop time it polls slowly until a window around the drop and, inside it, as fast as that pace
 *  allows. A 304 reads as the cached collection (the store client's caches), a refused token is renewed by the store
 *  client, a 429 waits for the limiter's retry time (the target's wait only when no other account can poll), and 5xx
 *  or transport failures change nothing: it keeps polling. No wait is longer than the profile's maxWaitMs, and a
 *  POLL_NOW ends any wait. Talks to: purchases (by systemId), the store, the limiter (its poll pace). */
import { fromCallback } from 'xstate';
import type { Logger } from 'pino';
import type { StoreClient } from '../store/store-client.js';
import { StoreAuthError, StoreHttpError, StoreProxyFailed, StoreRateLimited } from '../store/store-error.js';
import type { TargetSpec } from '../plugins/payment.js';
import type { RunMetrics } from './run-metrics.js';
import { targetStock, TargetUnreadable } from '../store/collection-answer.js';
import { DEFAULT_BLIND_LIMIT, FailedPolls, failureCause, type BlindLimit, type WatchReport } from './failed-polls.js';
import { NO_RUN_EVENTS, type RunEventSink } from '../events/run-events.js';

/** One account the watcher polls through. */
export interface WatcherPoller {
  readonly account: string;
  /** The account's client (polls spend its pool at poll priority). */
  readonly store: Pick<StoreClient, 'collection'>;
  /** How many watchers poll through this account (its pace is shared among them); default 1. */
  readonly sharedBy?: number;
}

/** The limiter's poll pace: the time between two polls of `account` that leaves its spend reserve whole. */
export type PollPace = (account: string) => Promise<number>;

export interface WatcherInput {
  readonly target: TargetSpec;
  /** The target's accounts, polled in turn. */
  readonly pollers: readonly WatcherPoller[];
  /** The limiter's poll pace; without it the watcher keeps the profile's interval (and DROP_POLL_FLOOR_MS inside the
   *  drop window, leaving the pace to the limiter's grants). */
  readonly pace?: PollPace;
  /** systemIds of the purchases to tell. */
  readonly purchases: readonly string[];
  /** The profile's time between two polls. */
  readonly pollIntervalMs: number;
  /** The profile's longest wait: no pause between two polls is longer, whatever a Retry-After asks. */
  readonly maxWaitMs: number;
  /** When the drop is expected (epoch ms), if the target says. */
  readonly dropAt?: number;
  /** The profile's limit after which a run of failed polls makes the target blind (failed-polls.ts). */
  readonly blindAfter?: BlindLimit;
  readonly metrics: RunMetrics;
  readonly log: Logger;
  /** The run's events: the collection published, stock seen (when the count left changes), sold out. Emitted after the
   *  purchases were told, so they never stand between a stock report and an order. */
  readonly events?: RunEventSink;
}

/** What the watcher sends to purchases (see PurchaseEvent). */
export type WatcherReport = { type: 'STOCK'; left: number; observedAt: number } | { type: 'SOLD_OUT' };

export type WatcherEvent =
  /** From a purchase whose order was refused for stock: look again now instead of at the next tick. */
  { type: 'POLL_NOW' };

/** The drop window opens this long before `dropAt`... */
export const DROP_WINDOW_BEFORE_MS = 60_000;
/** ...and closes this long after it. */
export const DROP_WINDOW_AFTER_MS = 600_000;
/** Before the window, polls are this many times slower than the profile's interval... */
export const SLOW_POLL_FACTOR = 4;
/** ...but never further apart than this. */
export const SLOW_POLL_CAP_MS = 30_000;
/** Inside the drop window the limiter's pace sets the cadence; this floor only keeps a wide limit (or many accounts)
 *  from turning the loop into a spin. */
export const DROP_POLL_FLOOR_MS = 50;
/** setTimeout's longest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `waiting`: before the drop window; `drop`: inside it; `watching`: no known drop time, or the window has passed. */
export type PollPhase = 'waiting' | 'drop' | 'watching';

export interface PollCadence {
  readonly pollIntervalMs: number;
  /** The accounts taking turns (default 1): each polls at the profile's interval, so the target is polled that many
   *  times as often, evenly staggered, without any account polling faster. */
  readonly accounts?: number;
  readonly dropAt?: number;
  /** The shortest time between two polls of this target that keeps every account at the limiter's pace (the pace
   *  times the watchers sharing an account, over the accounts polled in turn); unknown: absent. */
  readonly pacedMs?: number;
}

/** Which phase `now` is in and how long to wait before the next poll: never faster than the paced interval. Without a
 *  known drop (or after its window) every account polls at the profile's interval, in turn; before the window the
 *  target is polled slowly, whatever the accounts; a wait before the window never runs past its opening. */
export function nextPoll(now: number, cadence: PollCadence): { phase: PollPhase; delayMs: number } {
  const { pollIntervalMs, dropAt } = cadence;
  const paced = cadence.pacedMs ?? 0;
  const turns = Math.max(1, cadence.accounts ?? 1);
  const watching = { phase: 'watching' as const, delayMs: Math.max(pollIntervalMs / turns, paced) };
  if (dropAt === undefined) return watching;
  const opens = dropAt - DROP_WINDOW_BEFORE_MS;
  if (now < opens) {
    const slow = Math.max(pollIntervalMs, paced, Math.min(pollIntervalMs * SLOW_POLL_FACTOR, SLOW_POLL_CAP_MS));
    return { phase: 'waiting', delayMs: Math.min(slow, opens - now) };
  }
  if (now <= dropAt + DROP_WINDOW_AFTER_MS) return { phase: 'drop', delayMs: Math.max(DROP_POLL_FLOOR_MS, paced) };
  return watching;
}

export const watcherLogic = fromCallback<WatcherEvent, WatcherInput>(({ input, system, receive }) => {
  const abort = new AbortController();
  const log = input.log;
  // A drop seen earlier than announced moves the window: the fast polls belong to the drop, not to the clock.
  let dropAt = input.dropAt;
  let wake: (() => void) | null = null;
  // Even a rate-limit wait: the poll goes to the limiter, which grants it, holds it or refuses it as the pools allow.
  receive(() => wake?.());
  let published = false;
  let soldOut = false;
  const failedPolls = new FailedPolls(input.blindAfter ?? DEFAULT_BLIND_LIMIT);
  // What the lenient reader skipped, logged once each (a fast poller would repeat them every poll).
  const noted = new Set<string>();
  let phase: PollPhase | null = null;
  let problem: string | null = null;
  const events = input.events ?? NO_RUN_EVENTS;
  /** The count left last told to the run's events (null: none since the start or the last sell-out). */
  let leftTold: number | null = null;

  const tell = (report: WatcherReport): void => {
    for (const id of input.purchases) system.get(id)?.send(report);
  };
  const sleep = (ms: number): Promise<void> =>
    // A poll that already took its whole pause (a limiter that held it) goes again at once, not a timer tick later.
    ms <= 0 ? Promise.resolve() : new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        wake = null;
        abort.signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      wake = done;
      abort.signal.addEventListener('abort', done, { once: true });
    });

  const pollers = input.pollers;
  let turn = 0;
  /** Accounts out of the rotation until a time (epoch ms): rate-limited, or refused a token. */
  const resting = new Map<WatcherPoller, number>();
  /** The poller whose turn is next: the next in turn not resting, or (all resting) the one back first. */
  const upNext = (): WatcherPoller => {
    const now = Date.now();
    let back: WatcherPoller = pollers[turn % pollers.length]!;
    for (let i = 0; i < pollers.length; i += 1) {
      const p = pollers[(turn + i) % pollers.length]!;
      const until = resting.get(p) ?? 0;
      if (until <= now) return p;
      if (until < (resting.get(back) ?? 0)) back = p;
    }
    return back;
  };
  const takeTurn = (): WatcherPoller => {
    const p = upNext();
    turn = pollers.indexOf(p) + 1;
    return p;
  };
  /** How many accounts take turns now (at least one: with all resting, the one back first polls). */
  const inRotation = (): number => Math.max(1, pollers.filter((q) => (resting.get(q) ?? 0) <= Date.now()).length);
  /** Whether an account other than `p` can poll now. */
  const othersReady = (p: WatcherPoller): boolean => pollers.some((q) => q !== p && (resting.get(q) ?? 0) <= Date.now());
  /** The paced interval of the poller whose turn comes next (see PollCadence.pacedMs). */
  const pacedFor = async (p: WatcherPoller): Promise<number | undefined> => {
    if (!input.pace) return undefined;
    const slotMs = await input.pace(p.account);
    return (slotMs * Math.max(1, p.sharedBy ?? 1)) / inRotation();
  };

  const poll = async (p: WatcherPoller): Promise<void> => {
    const view = await p.store.collection(input.target.collection, { signal: abort.signal, priority: 'poll' });
    const observedAt = performance.now();
    if (!view.published) return;
    if (!published) {
      log.info({ collection: view.id, title: view.title, status: view.status }, 'collection published');
      events.emit({ type: 'collection.published', collection: view.id, source: 'watcher', title: view.title });
    }
    published = true;
    for (const note of view.notes) {
      if (noted.size < 100 && !noted.has(note)) log.debug({ note }, 'collection answer read leniently');
      noted.add(note);
    }
    // Only the target's own entry decides; an unreadable one fails this poll (counted), it is never read as 0.
    const stock = targetStock(view, input.target.character);
    if (stock.kind !== 'known') throw new TargetUnreadable(view.id, input.target.character, stock.kind === 'unknown' ? stock.why : null);
    const character = { id: input.target.character, left: stock.left };
    if (view.status === 'active' && character.left > 0) {
      if (dropAt !== undefined && Date.now() < dropAt) dropAt = Date.now();
      input.metrics.firstStockSeenAt ??= observedAt;
      soldOut = false;
      tell({ type: 'STOCK', left: character.left, observedAt });
      // After the purchases have it: every poll reports stock to them, the events only a change of the count.
      if (character.left !== leftTold) events.emit({ type: 'stock.seen', target: input.target.key, left: character.left });
      leftTold = character.left;
    } else if (character.left === 0 && !soldOut) {
      soldOut = true;
      log.info({ character: character.id }, 'sold out');
      tell({ type: 'SOLD_OUT' });
      events.emit({ type: 'sold-out', target: input.target.key });
      leftTold = null;
    }
  };

  /** How long a failed poll makes the next one wait, beyond the cadence. */
  const backoffFor = (e: unknown, cadenceMs: number): number => {
    if (e instanceof StoreRateLimited) return Math.max(cadenceMs, e.retryAt - Date.now());
    if (e instanceof StoreHttpError && e.status === 429) return Math.max(cadenceMs, e.retryAfterMs ?? cadenceMs);
    // The store client already renewed the token once; asking again at full speed would only repeat the refusal.
    // So would a proxy that refused: it is asked again slowly, while the other accounts poll.
    if (e instanceof StoreAuthError || e instanceof StoreProxyFailed) return Math.max(cadenceMs, Math.min(input.pollIntervalMs * SLOW_POLL_FACTOR, SLOW_POLL_CAP_MS));
    return cadenceMs;
  };

  /** Tells the run (the sniper: summary, telemetry) how this target's polls are going. */
  const report = (r: WatchReport): void => {
    system.get('sniper')?.send(r);
  };
  /** A run of failures grows loud: a warning every BLIND_WARN_EVERY_MS, then blindness at the profile's limit. */
  const escalate = (e: unknown, startedAt: number): void => {
    const step = failedPolls.failed(failureCause(e), startedAt, Date.now());
    const run = failedPolls.current;
    if (step === 'quiet' || run === null) return;
    const facts = { target: input.target.key, failures: run.failures, forMs: Date.now() - run.since, cause: run.cause };
    if (step === 'blind') log.error(facts, 'target blind: polls keep failing');
    else log.warn(facts, 'polls keep failing');
    report({ type: 'WATCH_FAILING', target: input.target.key, ...run });
  };
  const recovered = (): void => {
    const ended = failedPolls.succeeded();
    if (ended === null) return;
    log.info({ target: input.target.key, failures: ended.failures, forMs: Date.now() - ended.since }, 'target seen again');
    report({ type: 'WATCH_RECOVERED', target: input.target.key, ...ended });
  };

  const noteProblem = (e: unknown): void => {
    const code = (e as { code?: unknown } | null)?.code;
    const key = typeof code === 'string' ? code : e instanceof Error ? e.name : 'unknown';
    // One line per kind of trouble, not one per poll: a fast poller would flood the log.
    if (key !== problem) log.warn({ err: e }, 'poll failed');
    problem = key;
  };

  /** The target's wait after poller `p` failed with `e`. A failure of the account's own (rate-limited, refused a
   *  token, its proxy failing) takes it out of the rotation for its wait, and the target waits only until some account can poll. */
  const waitAfter = (p: WatcherPoller, e: unknown, cadenceMs: number): number => {
    const own = e instanceof StoreRateLimited || e instanceof StoreAuthError || e instanceof StoreProxyFailed || (e instanceof StoreHttpError && e.status === 429);
    if (pollers.length < 2 || !own) return backoffFor(e, cadenceMs);
    const now = Date.now();
    resting.set(p, now + backoffFor(e, cadenceMs));
    log.info({ account: p.account, restMs: resting.get(p)! - now, cause: (e as { code?: unknown }).code ?? null }, 'account out of the poll rotation');
    if (othersReady(p)) return cadenceMs;
    return Math.max(cadenceMs, Math.min(...resting.values()) - now);
  };

  const loop = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      const started = Date.now();
      let failure: unknown = null;
      const poller = takeTurn();
      try {
        await poll(poller);
        resting.delete(poller);
      } catch (e) {
        if (abort.signal.aborted) return;
        failure = e;
      }
      // Planned after the poll: what it saw (an early drop) may have changed the cadence, and what it cost the next
      // poller's pool, its pace.
      const pacedMs = await pacedFor(upNext());
      // The pace is counted from when the limiter gave it, not from the poll's start: once a window's share is spent
      // it is the time to the window's reset from now, and the poll's own duration must not be taken off it.
      const pacedAt = Date.now();
      if (abort.signal.aborted) return;
      const plan = nextPoll(started, { pollIntervalMs: input.pollIntervalMs, accounts: inRotation(), dropAt, ...(pacedMs === undefined ? {} : { pacedMs }) });
      if (plan.phase !== phase) {
        log.info({ phase: plan.phase, dropAt: dropAt ?? null, everyMs: Math.round(plan.delayMs), accounts: pollers.length }, 'poll cadence');
      }
      phase = plan.phase;
      let waitMs = plan.delayMs;
      if (failure !== null) {
        noteProblem(failure);
        escalate(failure, started);
        // The others close the gap at the cadence; with none left to poll, the target waits for the first one back.
        waitMs = waitAfter(poller, failure, waitMs);
      } else {
        recovered();
        if (problem !== null) log.info({ after: problem }, 'polling again');
        problem = null;
      }
      // A Retry-After of a day must not park the watcher for a day (nor overflow setTimeout); the floor keeps a
      // tiny maxWaitMs from turning a failing poll into a spin.
      const pauseMs = Math.max(DROP_POLL_FLOOR_MS, Math.min(waitMs, input.maxWaitMs, MAX_TIMER_MS));
      const pacedLeftMs = pacedMs === undefined ? 0 : Math.min(pacedMs, input.maxWaitMs, MAX_TIMER_MS) - (Date.now() - pacedAt);
      await sleep(Math.max(pauseMs - (Date.now() - started), pacedLeftMs));
    }
  };
  void loop();
  return () => abort.abort();
});
