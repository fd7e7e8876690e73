/** The simulated world of `npm run bench:latency`, in its own process (forked with an IPC channel) so its work never
 *  runs on the bot's event loop: N funded buyers (TON and Stars), one collection dropping `dropInMs` after start
 *  with stock for every buyer, and the store's 120 requests/min per token (the N buyers share one IP, whose window
 *  carries them all). It sends its state (the `automint world` state file's shape) once up; asked `polls`, it answers with each poll of the collection the store
 *  received (when, by whom, answered how) and how many 429s it sent; asked `stop`, it closes and exits. Usage: `node latency-world.js ACCOUNTS DROP_IN_MS`. */
import { startWorld } from '../sim/world.js';
import { DEMO_SCENARIO, fleetBuyers, type WorldScenario } from '../sim/scenarios.js';
import { sharedIpPolicy } from '../sim/store/rate-policy.js';
import { worldStateOf } from '../cli/world.js';
import { BENCH_CHARACTER, BENCH_COLLECTION, POLL_ROUTE, type WorldMessage } from './latency-drop.js';

function scenario(accounts: number, dropInMs: number): WorldScenario {
  const demo = DEMO_SCENARIO.store(0);
  return {
    name: 'latency-bench',
    description: `${accounts} funded buyers, a drop ${dropInMs} ms after start`,
    blockIntervalMs: 1000,
    buyers: fleetBuyers(accounts),
    store: (now) => ({
      ...demo,
      collections: [{
        id: BENCH_COLLECTION, title: 'Bench Drop', dropAt: now + dropInMs,
        characters: [{ id: BENCH_CHARACTER, name: 'Bench Cat', supply: 40 * accounts + 100, priceStars: 10n, priceTon: '0.1', rarity: 'common' }],
      }],
      // Competitors would empty the drop at a pace unrelated to N: the bench measures the bot alone.
      competitors: undefined,
      rateLimits: sharedIpPolicy(accounts),
    }),
  };
}

const accounts = Number(process.argv[2] ?? 1);
const dropInMs = Number(process.argv[3] ?? 3000);
const chosen = scenario(accounts, dropInMs);
const world = await startWorld({ scenario: chosen });
const dropAt = world.startedAt + dropInMs;
const state = worldStateOf(world, [{ collection: BENCH_COLLECTION, dropAt }]);
process.on('message', (m: { type: string }) => {
  if (m.type === 'polls') {
    const requests = world.store.requests();
    const polls = requests.filter((r) => r.route === POLL_ROUTE).map((r) => ({ at: r.startedAt, caller: r.caller, status: r.status }));
    process.send!({ type: 'polls', polls, http429: requests.filter((r) => r.status === 429).length } satisfies WorldMessage);
  } else if (m.type === 'stop') {
    void world.close().finally(() => process.exit(0));
  }
});
process.send!({ type: 'up', state, dropAt } satisfies WorldMessage);
