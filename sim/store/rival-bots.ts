/** Rival bots: other buyers' bots contesting a drop the way the peer bots do (shared/reference/peers.md). Each one
 *  polls `GET /api/v1/collection/{id}` at its own cadence from a seeded random phase, over real HTTP to the store's
 *  own server with a token and a loopback address of its own, so the store's per-token and per-IP limits and its
 *  request log count it exactly like the bot under test (and apart from it); it sees stock only through those polls. After its reaction time it orders the
 *  packs it still wants (at most the store's per-order cap, and what its last poll showed) through the store's real
 *  Stars buy route, so the order meets every rule the store enforces on us (count cap, unpaid-order limit, stock), and
 *  pays the invoice at once, the way the simulated Telegram reports a payment. Why Stars paid in-process: stock leaves
 *  at order creation in this store, so the payment only has to be honest, not timed; a rival with a TON wallet would
 *  cost the simulated chain a funded wallet and a block per order and change nothing the contest measures. A 429
 *  holds a rival for its Retry-After. `stop` clears every timer and socket. */
import type { InvoiceDesk } from '../stars-invoices.js';
import { Prng } from './prng.js';
import { rivalAddress, RivalHttp, type RivalAnswer } from './rival-http.js';
import type { RivalPlan, RivalSpec } from './rival-plan.js';

export type { RivalPlan, RivalSpec } from './rival-plan.js';

/** Rivals are store users with ids from here up (the world's buyers start at 1000, its Telegram bot at 7 000 001). */
export const RIVAL_USER_ID_BASE = 9_000_000;

/** The store user id of the rival at `index` (0-based, in the plan's order). */
export function rivalUserId(index: number): number {
  return RIVAL_USER_ID_BASE + index + 1;
}

/** Whether a store user id is a rival's. */
export function isRivalUserId(userId: number | string): boolean {
  return Number(userId) > RIVAL_USER_ID_BASE;
}

/** Each rival's first poll after the start, ms in [0, its interval): drawn in plan order from the plan's seed before
 *  anything runs, so they depend on the seed alone and a seed reproduces who polls when. */
export function rivalPhases(plan: RivalPlan): number[] {
  const prng = new Prng(plan.seed ?? 1);
  return plan.bots.map((spec) => Math.floor(prng.next() * spec.pollIntervalMs));
}

/** What rivals need of the store they contest. */
export interface RivalDeps {
  /** The store's own URL ('http://127.0.0.1:PORT'). */
  readonly baseUrl: string;
  readonly plan: RivalPlan;
  /** The store's largest `count` per order: what a rival knows of the shop's rules, as our config does. */
  readonly maxCountPerOrder: number;
  /** A token for a rival's user, as the store's login would issue it after a Telegram web-app login. */
  readonly issueToken: (userId: number) => string;
  /** Where the rival's Telegram reports its payments: the store's invoice desk. */
  readonly invoices: Pick<InvoiceDesk, 'find' | 'pay'>;
  /** Told about errors that are not the store's answers (bugs). */
  readonly onError: (error: unknown) => void;
}

/** One rival's doings so far. */
export interface RivalReport {
  readonly name: string;
  readonly userId: number;
  /** Poll answers read (any status), and how many were 429. */
  readonly polls: number;
  readonly http429: number;
  /** Orders the store took, and the packs they carried (all paid). */
  readonly orders: number;
  readonly packs: number;
}

/** Every rival of a plan, started at once. */
export class RivalBots {
  private readonly bots: RivalBot[];
  private readonly http: RivalHttp[];

  private constructor(deps: RivalDeps) {
    this.http = deps.plan.bots.map((_, i) => new RivalHttp(deps.baseUrl, rivalAddress(i)));
    const phases = rivalPhases(deps.plan);
    this.bots = deps.plan.bots.map((spec, i) => new RivalBot(spec, i, phases[i]!, this.http[i]!, deps));
  }

  /** Starts polling now. */
  static start(deps: RivalDeps): RivalBots {
    const rivals = new RivalBots(deps);
    const origin = Date.now();
    for (const bot of rivals.bots) bot.start(origin);
    return rivals;
  }

  /** Each rival's doings so far, in plan order. */
  report(): RivalReport[] {
    return this.bots.map((b) => b.report());
  }

  /** Stops every rival: no timer, request or socket is left. */
  stop(): void {
    for (const bot of this.bots) bot.stop();
    for (const http of this.http) http.close();
  }
}

class RivalBot {
  private readonly name: string;
  private readonly userId: number;
  private token: string;
  private wanted: number;
  /** Packs left as its latest poll showed them, and the Stars price per pack it showed. */
  private seenLeft = 0;
  private seenPrice: bigint | null = null;
  private origin = 0;
  /** The next poll slot on its grid (origin + phase + slot × interval). */
  private slot = 0;
  private backoffUntil = 0;
  private polling = false;
  private reacting = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private reactionTimer: NodeJS.Timeout | null = null;
  private polls = 0;
  private http429 = 0;
  private orders = 0;
  private packs = 0;
  private charges = 0;

  constructor(
    private readonly spec: RivalSpec,
    index: number,
    private readonly phaseMs: number,
    private readonly http: RivalHttp,
    private readonly deps: RivalDeps,
  ) {
    this.name = spec.name ?? `rival${index + 1}`;
    this.userId = rivalUserId(index);
    this.token = deps.issueToken(this.userId);
    this.wanted = spec.packs;
  }

  start(origin: number): void {
    this.origin = origin;
    this.schedule();
  }

  report(): RivalReport {
    const { name, userId, polls, http429, orders, packs } = this;
    return { name, userId, polls, http429, orders, packs };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.reactionTimer) clearTimeout(this.reactionTimer);
    this.timer = this.reactionTimer = null;
  }

  /** Arms the timer for the next free slot of its grid, none before a 429's Retry-After has passed. */
  private schedule(): void {
    if (this.stopped || this.wanted === 0) return;
    const interval = this.spec.pollIntervalMs;
    const earliest = Math.max(Date.now(), this.backoffUntil);
    this.slot = Math.max(this.slot, Math.ceil((earliest - this.origin - this.phaseMs) / interval));
    const at = this.origin + this.phaseMs + this.slot * interval;
    this.slot += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      // A poll still unanswered at the next slot: this slot is skipped, as a bot awaiting its request would.
      if (!this.polling) void this.poll().catch((e: unknown) => this.deps.onError(e));
      this.schedule();
    }, Math.max(0, at - Date.now()));
  }

  private async poll(): Promise<void> {
    this.polling = true;
    let answer: RivalAnswer;
    try {
      answer = await this.http.send('GET', `/api/v1/collection/${this.spec.collectionId}`, this.token);
    } catch {
      return; // a reset or a timeout: the next slot polls again
    } finally {
      this.polling = false;
    }
    if (this.stopped) return;
    this.polls += 1;
    if (this.refused(answer)) return;
    const seen = answer.status === 200 ? stockOf(answer.body, this.spec.characterId) : null;
    if (!seen) return; // 404 before the drop, a fault, an answer it cannot read
    this.seenLeft = seen.left;
    this.seenPrice = seen.price;
    if (seen.left > 0 && this.wanted > 0 && !this.reacting) {
      this.reacting = true;
      this.reactionTimer = setTimeout(() => {
        this.reactionTimer = null;
        void this.take()
          .catch((e: unknown) => this.deps.onError(e))
          .finally(() => (this.reacting = false));
      }, this.spec.reactionMs);
    }
  }

  /** Orders and pays, one order after the other, while it wants packs and its last poll showed some. */
  private async take(): Promise<void> {
    while (!this.stopped && this.wanted > 0 && this.seenLeft > 0) {
      const count = Math.min(this.deps.maxCountPerOrder, this.wanted, this.seenLeft);
      const query = `collection=${this.spec.collectionId}&character=${this.spec.characterId}&count=${count}`;
      let answer: RivalAnswer;
      try {
        answer = await this.http.send('POST', `/api/v1/shop/buy?${query}`, this.token);
      } catch {
        return; // the order may or may not exist: an unpaid one expires at the store; the next poll decides
      }
      if (this.stopped || this.refused(answer)) return;
      const slug = answer.status === 200 ? invoiceSlug(answer.body) : null;
      if (slug === null) {
        // sold_out, not_enough_stock, too_many_unpaid_orders, a fault: wait for the next poll.
        if (errorCode(answer.body) === 'sold_out') this.seenLeft = 0;
        return;
      }
      if (!this.pay(slug, count)) return;
      this.orders += 1;
      this.packs += count;
      this.wanted -= count;
      this.seenLeft -= count;
    }
    if (this.wanted === 0) this.stop(); // got all it wanted: no more polls
  }

  /** Pays an invoice that asks what its poll priced (a twisted invoice stays unpaid); true when the store took it. */
  private pay(slug: string, count: number): boolean {
    const invoice = this.deps.invoices.find(slug);
    const asked = this.seenPrice === null ? null : this.seenPrice * BigInt(count);
    if (!invoice || invoice.currency !== 'XTR' || invoice.amount !== asked) return false;
    this.charges += 1;
    return this.deps.invoices.pay(slug, this.userId, `rival-${this.userId}-${this.charges}`) === 'paid';
  }

  /** Handles the answers every request may get: 429 holds it for Retry-After (one interval when absent), 401 logs in
   *  again. True when the answer was one of those. */
  private refused(answer: RivalAnswer): boolean {
    if (answer.status === 429) {
      this.http429 += 1;
      const waitMs = answer.retryAfterSec === null ? this.spec.pollIntervalMs : answer.retryAfterSec * 1000;
      this.backoffUntil = Math.max(this.backoffUntil, Date.now() + waitMs);
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
        this.schedule();
      }
      return true;
    }
    if (answer.status === 401) {
      this.token = this.deps.issueToken(this.userId);
      return true;
    }
    return false;
  }
}

/** The character's `left` and Stars `price` from a collection answer, or null when the answer does not say. */
function stockOf(body: unknown, characterId: number): { left: number; price: bigint | null } | null {
  const data = field(body, 'data');
  const characters = field(data, 'characters');
  if (!Array.isArray(characters)) return null;
  const character: unknown = characters.find((c: unknown) => field(c, 'id') === characterId);
  const left = field(character, 'left');
  if (typeof left !== 'number' || !Number.isSafeInteger(left) || left < 0) return null;
  const price = field(character, 'price');
  return { left, price: typeof price === 'number' && Number.isSafeInteger(price) ? BigInt(price) : null };
}

/** The slug of the invoice link a Stars buy answered (`https://t.me/$<slug>`), or null. */
function invoiceSlug(body: unknown): string | null {
  const url = field(field(body, 'data'), 'url');
  const match = typeof url === 'string' ? /^https:\/\/t\.me\/\$([A-Za-z0-9_-]+)$/.exec(url) : null;
  return match ? match[1]! : null;
}

function errorCode(body: unknown): unknown {
  return field(body, 'errorCode');
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
