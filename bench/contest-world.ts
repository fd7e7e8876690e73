/** The world of `npm run bench:contest`, in its own process (forked with an IPC channel) so its work — the store, the
 *  chain and five rival bots — never runs on the bot's event loop: N funded buyers, one character of CONTEST_SUPPLY
 *  packs dropping `dropInMs` after start, the store's 120 requests a minute per token enforced for everyone (the N
 *  buyers share one IP, whose window carries them all; each rival calls from its own), and the rivals of `seed`. It
 *  sends its state once up; asked `outcome`, it answers from the store's records; asked
 *  `stop`, it closes and exits. Usage: `node contest-world.js ACCOUNTS DROP_IN_MS SEED`. */
import { worldVerdict } from '../cli/demo.js';
import { worldStateOf } from '../cli/world.js';
import { sharedIpPolicy } from '../sim/store/rate-policy.js';
import { isRivalUserId } from '../sim/store/rival-bots.js';
import { DEMO_SCENARIO, type WorldScenario } from '../sim/scenarios.js';
import { startWorld } from '../sim/world.js';
import {
  CONTEST_CHARACTER, CONTEST_COLLECTION, CONTEST_SUPPLY, contestRivals, type ContestMessage, type ContestOutcome,
} from './contest-drop.js';

const POLL_ROUTE = 'GET /api/v1/collection/:id';

function scenario(accounts: number, dropInMs: number, seed: number): WorldScenario {
  const demo = DEMO_SCENARIO.store(0);
  return {
    name: 'contest-bench',
    description: `${accounts} buyers and 5 rival bots, ${CONTEST_SUPPLY} packs dropping ${dropInMs} ms after start`,
    blockIntervalMs: 1000,
    buyers: Array.from({ length: accounts }, (_, i) => ({ name: `buyer${i + 1}`, fundTon: '100', fundStars: '2000' })),
    store: (now) => ({
      ...demo,
      collections: [{
        id: CONTEST_COLLECTION, title: 'Contest Drop', dropAt: now + dropInMs,
        characters: [{
          id: CONTEST_CHARACTER, name: 'Contest Cat', supply: CONTEST_SUPPLY,
          priceStars: 10n, priceTon: '0.1', rarity: 'rare',
        }],
      }],
      // The rivals are the competition; the steady drain would be a second one unrelated to polling.
      competitors: undefined,
      rivals: contestRivals(seed),
      rateLimits: sharedIpPolicy(accounts),
    }),
  };
}

const accounts = Number(process.argv[2] ?? 1);
const dropInMs = Number(process.argv[3] ?? 5000);
const seed = Number(process.argv[4] ?? 1);
const chosen = scenario(accounts, dropInMs, seed);
const world = await startWorld({ scenario: chosen });
const dropAt = world.startedAt + dropInMs;
const state = worldStateOf(world, [{ collection: CONTEST_COLLECTION, dropAt }]);

function outcome(): ContestOutcome {
  const orders = world.store.orders();
  const paidPacks = (rival: boolean): number => orders
    .filter((o) => o.state === 'paid' && o.characterId === CONTEST_CHARACTER && isRivalUserId(o.userId) === rival)
    .reduce((n, o) => n + o.count, 0);
  const verdict = worldVerdict(orders);
  const requests = world.store.requests();
  return {
    botPacks: paidPacks(false), rivalPacks: paidPacks(true),
    doublePaid: verdict.doublePaid, mismatched: verdict.mismatched,
    rivalPolls: requests.filter((r) => r.route === POLL_ROUTE && r.caller !== null && isRivalUserId(r.caller)).length,
    http429: requests.filter((r) => r.status === 429).length,
    left: world.store.stock(CONTEST_COLLECTION, CONTEST_CHARACTER),
  };
}

process.on('message', (m: { type: string }) => {
  if (m.type === 'outcome') process.send!({ type: 'outcome', outcome: outcome() } satisfies ContestMessage);
  else if (m.type === 'stop') void world.close().finally(() => process.exit(0));
});
process.send!({ type: 'up', state, dropAt } satisfies ContestMessage);
