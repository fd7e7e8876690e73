/** Named scenarios of the simulated world, selectable from tests, benchmarks, `automint demo` and `automint world`:
 *  the demo drop, and the same drop behind a store at its worst (tight limits, errors, broken bodies, slow answers,
 *  dropped connections, 429 storms, short-lived tokens, twisted Stars invoices, twisted TON order answers, refused
 *  logins), the demo with buyers
 *  Telegram asks to verify Stars payments, plus a fixed published limit for the limiter benchmark. */
import { AutomintError } from '../core/errors.js';
import type { StoreScenario } from './store/index.js';
import { DEFAULT_RATE_LIMITS } from './store/rate-policy.js';

/** A buyer the world creates: a store user with a token, a funded TON wallet and a Telegram user with Stars. */
export interface BuyerSpec {
  readonly name: string;
  /** TON to fund the buyer's wallet with (decimal text). */
  readonly fundTon: string;
  /** Stars on the buyer's Telegram account (whole-number text); default "0". */
  readonly fundStars?: string;
  /** The Telegram user's two-step verification password; none when absent. */
  readonly password?: string;
  /** Telegram asks this user to verify every Stars payment in an app (paymentVerificationNeeded). */
  readonly requireVerification?: boolean;
}

export interface WorldScenario {
  readonly name: string;
  /** One line saying what the scenario tests, for listings. */
  readonly description: string;
  /** Builds the store scenario; `now` is the world's start time (epoch ms). */
  readonly store: (now: number) => StoreScenario;
  readonly buyers: readonly BuyerSpec[];
  /** Time between blocks of the simulated chain. */
  readonly blockIntervalMs: number;
}

/** The embedded default: a collection drops three seconds after start; two buyers with funded wallets; the store's
 *  default rate limits (120 requests a minute per token, 600 per IP), enforced as its headers advertise them. */
export const DEMO_SCENARIO: WorldScenario = {
  name: 'demo',
  description: 'a collection drops 3 s after start, competitors drain it, two funded buyers; a well-behaved store '
    + `enforcing ${DEFAULT_RATE_LIMITS.perToken.requests}/min per token, ${DEFAULT_RATE_LIMITS.perIp.requests}/min per IP`,
  blockIntervalMs: 1000,
  buyers: [
    { name: 'alice', fundTon: '100', fundStars: '2000', password: 'alice-2fa' },
    { name: 'bob', fundTon: '100', fundStars: '2000' },
  ],
  store: (now) => ({
    collections: [
      {
        id: 1,
        title: 'Demo Drop',
        dropAt: now + 3000,
        characters: [
          { id: 1, name: 'Blue Cat', supply: 120, priceStars: 250n, priceTon: '2.5', rarity: 'common' },
          { id: 2, name: 'Golden Dog', supply: 40, priceStars: 500n, priceTon: '5', rarity: 'rare' },
        ],
      },
    ],
    orderTtlSec: 300,
    // As on the real store: one unpaid TON order per account at a time (other scenarios keep 3, the other branch).
    // The store's limit on unpaid Stars orders is not known; the simulated one stays at 3.
    cryptoOrdersLimit: 1,
    starsOrdersLimit: 3,
    maxCountPerOrder: 5,
    competitors: { packsPerSecond: 2, startDelayMs: 1000 },
    tokenTtlSec: 3600,
  }),
};

/** Seed of the hostile scenarios' fault generator, fixed so a run can be replayed. */
const HOSTILE_SEED = 7;

/** The demo drop with `hostility` added to its store. */
function hostileDemo(name: string, description: string, hostility: Partial<StoreScenario>): WorldScenario {
  return { ...DEMO_SCENARIO, name, description, store: (now) => ({ ...DEMO_SCENARIO.store(now), seed: HOSTILE_SEED, ...hostility }) };
}

/** `scenario` with its store allowing `limit` unpaid TON orders per account (the demo world allows 1, as the real store). */
export function withUnpaidTonLimit(scenario: WorldScenario, limit: number): WorldScenario {
  return { ...scenario, store: (now) => ({ ...scenario.store(now), cryptoOrdersLimit: limit }) };
}

/** A twist of TON buy answers the bot refuses to pay: each refused order stays unpaid at the store, so these worlds
 *  allow 3 unpaid TON orders per account (the branch above the real store's 1), or the test would meet the unpaid
 *  limit rather than the twist after the first order. */
function hostileTonDemo(name: string, description: string, hostility: Partial<StoreScenario>): WorldScenario {
  return hostileDemo(name, description, { cryptoOrdersLimit: 3, ...hostility });
}

/** Tight windows per token and per IP (both buyers share the IP), and a ban for callers that ignore 429s. */
const TIGHT_LIMITS = {
  perToken: { requests: 3, windowMs: 1000 },
  perIp: { requests: 10, windowMs: 1000 },
  ban: { after: 10, withinMs: 10_000, banMs: 30_000 },
} as const;

/** The published limit of the limiter benchmark: L requests per second per token. */
export const LIMITER_BENCH_LIMIT = { requests: 20, windowMs: 1000 } as const;

const LIMITER_BENCH: WorldScenario = {
  name: 'limiter-bench',
  description: `a published limit of ${LIMITER_BENCH_LIMIT.requests} requests/s per token (${2 * LIMITER_BENCH_LIMIT.requests}/s per IP), drop already published, stock that never runs out`,
  blockIntervalMs: 1000,
  buyers: [
    { name: 'alice', fundTon: '1000' },
    { name: 'bob', fundTon: '1000' },
  ],
  store: (now) => ({
    collections: [
      {
        id: 1,
        title: 'Bench Drop',
        dropAt: Math.max(0, now - 1000),
        characters: [
          { id: 1, name: 'Bench Cat', supply: 1_000_000, priceStars: 1n, priceTon: '0.01', rarity: 'common' },
          { id: 2, name: 'Bench Dog', supply: 1_000_000, priceStars: 2n, priceTon: '0.02', rarity: 'rare' },
        ],
      },
    ],
    orderTtlSec: 300,
    cryptoOrdersLimit: 3,
    maxCountPerOrder: 5,
    tokenTtlSec: 3600,
    // The IP carries both buyers at their full rate: the bench measures the per-token limit, never the IP's.
    rateLimits: {
      perToken: { ...LIMITER_BENCH_LIMIT },
      perIp: { requests: 2 * LIMITER_BENCH_LIMIT.requests, windowMs: LIMITER_BENCH_LIMIT.windowMs },
      resetStyle: 'epoch',
    },
  }),
};

/** When the drop of `drop-paced` comes, after the world starts: inside the watcher's drop window from the start. */
export const DROP_PACED_IN_MS = 20_000;

/** The demo's drop later, behind the store's default limit (120 a minute per token) enforced with 429s as in every
 *  world: what a watcher with `dropAt` meets when it polls the minute before a drop (bench:drop-polling). */
const DROP_PACED: WorldScenario = {
  ...DEMO_SCENARIO,
  name: 'drop-paced',
  description: `the demo drop ${DROP_PACED_IN_MS / 1000} s after start, the store's ${DEFAULT_RATE_LIMITS.perToken.requests}/min per token enforced`,
  store: (now) => ({
    ...DEMO_SCENARIO.store(now),
    collections: DEMO_SCENARIO.store(now).collections.map((c) => ({ ...c, dropAt: now + DROP_PACED_IN_MS })),
  }),
};

/** The demo with buyers whose every Stars payment Telegram wants verified in an app (paymentVerificationNeeded). */
const STARS_VERIFICATION: WorldScenario = {
  ...DEMO_SCENARIO,
  name: 'stars-verification',
  description: 'the demo drop, but Telegram asks both buyers to verify every Stars payment in an app: only TON can buy',
  buyers: DEMO_SCENARIO.buyers.map((b) => ({ ...b, requireVerification: true })),
};

/** When the `snipe` scenario's new collections drop, after the world starts: after a bot started with the world has
 *  seeded its seen-set from the listing (tests move the drops with `scheduleDrop` once it has). */
export const SNIPE_DROP_IN_MS = 10_000;

/** Snipe mode's world: one collection listed before anything starts (never bought by a filter), then two published
 *  and listed at their drop (dogs, which a `/dog/` filter takes, and birds, which it does not), and a third published
 *  later that the listing shows only an hour after its drop (found by probing the next id). No competitors. */
const SNIPE: WorldScenario = {
  name: 'snipe',
  description: `a collection listed before start; at +${SNIPE_DROP_IN_MS / 1000} s dogs and birds are listed at their drop, 2 s later more dogs reachable by id only`,
  blockIntervalMs: 1000,
  buyers: DEMO_SCENARIO.buyers,
  store: (now) => ({
    collections: [
      { id: 1, title: 'Old Dogs', dropAt: Math.max(0, now - 1000), characters: [
        { id: 1, name: 'Old Dog', supply: 100, priceStars: 100n, priceTon: '1', rarity: 'rare' },
      ] },
      { id: 2, title: 'Golden Dogs', dropAt: now + SNIPE_DROP_IN_MS, characters: [
        { id: 1, name: 'Golden Dog', supply: 40, priceStars: 500n, priceTon: '5', rarity: 'rare' },
        { id: 2, name: 'Puppy', supply: 500, priceStars: 100n, priceTon: '1', rarity: 'common' },
      ] },
      { id: 3, title: 'Plain Birds', dropAt: now + SNIPE_DROP_IN_MS, characters: [
        { id: 1, name: 'Sparrow', supply: 30, priceStars: 200n, priceTon: '2', rarity: 'rare' },
      ] },
      { id: 4, title: 'Quiet Dogs', dropAt: now + SNIPE_DROP_IN_MS + 2000, listedAfterMs: 3_600_000, characters: [
        { id: 1, name: 'Hidden Dog', supply: 20, priceStars: 300n, priceTon: '3', rarity: 'rare' },
      ] },
    ],
    orderTtlSec: 300,
    cryptoOrdersLimit: 3,
    maxCountPerOrder: 5,
    tokenTtlSec: 3600,
  }),
};

const ALL: readonly WorldScenario[] = [
  DEMO_SCENARIO,
  hostileDemo('hostile-429', 'the demo behind tight rate limits (3/s per token, 10/s per IP, bans), x-ratelimit-reset in epoch seconds', {
    rateLimits: { ...TIGHT_LIMITS, resetStyle: 'epoch' },
  }),
  hostileDemo('hostile-relative-reset', 'the tight limits of hostile-429, but x-ratelimit-reset in seconds from now', {
    rateLimits: { ...TIGHT_LIMITS, resetStyle: 'relative' },
  }),
  hostileDemo('hostile-5xx-burst', 'the first 5 API requests answer 503, then 5% of them do', {
    faults: { status5xx: { burst: 5, rate: 0.05, status: 503 } },
  }),
  hostileDemo('hostile-malformed', '20% of API answers are cut in half after the store acted: JSON that does not parse', {
    faults: { malformedJson: { rate: 0.2 } },
  }),
  hostileDemo('hostile-html', 'the first 3 API requests, then 10%, get a proxy 502 HTML page instead of JSON', {
    faults: { htmlErrorPage: { burst: 3, rate: 0.1 } },
  }),
  hostileDemo('hostile-slow', '25% of API requests wait 2.5 s before the store looks at them', {
    faults: { slowMs: { ms: 2500, rate: 0.25 } },
  }),
  hostileDemo('hostile-reset', '10% of API requests are acted on, then the connection is dropped without an answer', {
    faults: { connectionReset: { rate: 0.1 } },
  }),
  hostileDemo('retry-after-storm', 'the first 12 API requests answer 429 with Retry-After: 1, whatever the limits', {
    faults: { retryAfterStorm: { burst: 12, retryAfterSec: 1 } },
  }),
  hostileDemo('token-expiry', 'store tokens live 5 s, so every account must refresh its token during the run', { tokenTtlSec: 5 }),
  hostileDemo('hostile-stars-no-slug', 'every Stars buy answers a link to the bot without an invoice slug: nothing can be paid with Stars', {
    faults: { starsLinkWithoutSlug: { rate: 1 } },
  }),
  hostileDemo('hostile-stars-overprice', 'every Stars invoice asks twice the quoted price', {
    faults: { starsOverprice: { rate: 1 } },
  }),
  hostileDemo('hostile-stars-currency', 'every Stars invoice is in USD instead of Stars (XTR)', {
    faults: { starsForeignCurrency: { rate: 1 } },
  }),
  hostileTonDemo('hostile-ton-overprice', 'every TON buy answer states twice the order\'s real total', {
    faults: { tonOverprice: { rate: 1 } },
  }),
  hostileTonDemo('hostile-ton-wrong-destination', 'every TON buy answer names a wallet that is not the store\'s', {
    faults: { tonWrongDestination: { rate: 1 } },
  }),
  hostileTonDemo('hostile-ton-expired', 'every TON buy answers an order that has already expired', {
    faults: { tonExpiredOrder: { rate: 1 } },
  }),
  hostileTonDemo('hostile-ton-expiring', 'every TON buy answers an order that expires two seconds later', {
    faults: { tonExpiringOrder: { rate: 1 } },
  }),
  // Every answer twisted: a buyer's first TON answer has no earlier id to repeat, so each later one repeats the first.
  // (Since payers claim whole orders at arming, a demo makes only a few TON orders: a seeded half could miss them all.)
  hostileTonDemo('hostile-ton-duplicate-id', 'every TON buy answer after a buyer\'s first repeats the id of the buyer\'s previous order', {
    faults: { tonDuplicateOrderId: { rate: 1 } },
  }),
  hostileTonDemo('hostile-ton-count', 'every TON buy of several packs makes the order for one pack fewer and says so in count', {
    faults: { tonCountChanged: { rate: 1 } },
  }),
  hostileDemo('hostile-ton-huge-body', 'every TON buy answer carries 2 MB of padding', {
    faults: { tonHugeBody: { rate: 1 } },
  }),
  hostileDemo('hostile-auth-refused', 'the store refuses every login (401 invalid_init_data), whatever the initData', {
    faults: { authRefuse: { rate: 1 } },
  }),
  STARS_VERIFICATION,
  LIMITER_BENCH,
  DROP_PACED,
  SNIPE,
];

/** The name of a fleet's i-th buyer (from 0): `buyer1`, `buyer2`, … */
export function fleetBuyerName(i: number): string {
  return `buyer${i + 1}`;
}

/** The buyers `fleetBuyerName` names from `from` up to `count` (excluded), each with 100 TON and 2000 Stars: enough
 *  for any bench drop, so money never decides a fleet's figures. Shared by `automint world --buyers` and the benches. */
export function fleetBuyers(count: number, from = 0): BuyerSpec[] {
  return Array.from({ length: Math.max(0, count - from) }, (_, i) => ({ name: fleetBuyerName(from + i), fundTon: '100', fundStars: '2000' }));
}

/** A buyer count that is not a whole number from 1 up. */
export class BuyerCountInvalid extends AutomintError {
  constructor(count: number) {
    super('BUYER_COUNT_INVALID', `a world needs a whole number of buyers from 1 to ${MAX_BUYERS}, not ${count}`, { count });
  }
}

/** A world mints every buyer's wallet and Telegram user at start: past this, startup alone takes minutes. */
export const MAX_BUYERS = 1000;

/** `scenario` with `count` buyers: its own first (so its configs and 2FA users still hold), then fleet buyers
 *  (`buyer3`, … after two of its own) up to `count`; fewer than its own keeps the first `count`. */
export function withBuyers(scenario: WorldScenario, count: number): WorldScenario {
  if (!Number.isInteger(count) || count < 1 || count > MAX_BUYERS) throw new BuyerCountInvalid(count);
  const own = scenario.buyers.slice(0, count);
  return { ...scenario, buyers: [...own, ...fleetBuyers(count, own.length)] };
}

/** Every scenario by name. */
export const SCENARIOS: Readonly<Record<string, WorldScenario>> = Object.fromEntries(ALL.map((s) => [s.name, s]));

/** A scenario name the world does not know. */
export class UnknownScenario extends AutomintError {
  constructor(name: string) {
    const known = Object.keys(SCENARIOS);
    super('UNKNOWN_SCENARIO', `unknown scenario "${name}" (known: ${known.join(', ')})`, { name, known });
  }
}

/** A scenario by name; throws UnknownScenario naming the known ones. */
export function scenarioByName(name: string): WorldScenario {
  const s = Object.hasOwn(SCENARIOS, name) ? SCENARIOS[name] : undefined;
  if (!s) throw new UnknownScenario(name);
  return s;
}
