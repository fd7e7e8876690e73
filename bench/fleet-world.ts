/** The world of `npm run bench:fleet`, in its own process (forked with an IPC channel) so that the store, the chain,
 *  Telegram and the proxies never run on the bot's event loop, nor count in its CPU: N funded buyers, each with a
 *  SOCKS5 proxy of its own (user and password, leaving from its own 127.0.0.x, so the store sees N IPs), three
 *  collections dropping `dropInMs` after start, one more the snipe filter takes dropping with them, an old one listed
 *  from the start, and the store's default limits enforced (120 requests a minute per token, 600 per IP: each buyer's
 *  own). It sends its state and the
 *  proxies once up; asked `traffic`, it answers from the store's request log (fleet-drop.ts `trafficOf`); asked
 *  `stop`, it closes and exits. Usage: `node fleet-world.js ACCOUNTS DROP_IN_MS`. */
import { randomBytes } from 'node:crypto';
import { worldStateOf } from '../cli/world.js';
import { startSocks5Proxy, type SimProxy } from '../sim/proxy/socks5-server.js';
import { DEMO_SCENARIO, fleetBuyers, type WorldScenario } from '../sim/scenarios.js';
import { startWorld } from '../sim/world.js';
import {
  OLD_COLLECTION, outboundAddress, SNIPE_COLLECTION, TARGET_COLLECTIONS, trafficOf, type FleetMessage, type FleetRequest,
} from './fleet-drop.js';

const TARGET_TITLES = ['Fleet Cats', 'Fleet Owls', 'Fleet Foxes'];

function scenario(accounts: number, dropInMs: number): WorldScenario {
  const demo = DEMO_SCENARIO.store(0);
  return {
    name: 'fleet-bench',
    description: `${accounts} buyers behind a proxy each, three collections and a snipe drop ${dropInMs} ms after start`,
    blockIntervalMs: 1000,
    buyers: fleetBuyers(accounts),
    store: (now) => ({
      ...demo,
      collections: [
        { id: OLD_COLLECTION, title: 'Old Dogs', dropAt: now - 1000, characters: [
          { id: 1, name: 'Old Dog', supply: 100, priceStars: 10n, priceTon: '0.1', rarity: 'rare' },
        ] },
        ...TARGET_COLLECTIONS.map((id, i) => ({
          id, title: TARGET_TITLES[i]!, dropAt: now + dropInMs,
          // Stock for every order the fleet can make: the bench measures the bot's cost, not a sell-out.
          characters: [{ id: 1, name: `${TARGET_TITLES[i]!} 1`, supply: 20 * accounts + 100, priceStars: 10n, priceTon: '0.1', rarity: 'common' }],
        })),
        { id: SNIPE_COLLECTION, title: 'Golden Dogs', dropAt: now + dropInMs, characters: [
          { id: 1, name: 'Golden Dog', supply: 50, priceStars: 10n, priceTon: '0.1', rarity: 'rare' },
        ] },
      ],
      // The bench measures the fleet alone.
      competitors: undefined,
    }),
  };
}

const accounts = Number(process.argv[2] ?? 100);
const dropInMs = Number(process.argv[3] ?? 63_000);
const proxies: SimProxy[] = [];
for (let i = 0; i < accounts; i++) {
  proxies.push(await startSocks5Proxy({
    username: `fleet${i + 1}`, password: randomBytes(9).toString('base64url'), outboundAddress: outboundAddress(i),
  }));
}
const world = await startWorld({ scenario: scenario(accounts, dropInMs) });
const dropAt = world.startedAt + dropInMs;
const drops = world.scenario.store(world.startedAt).collections.map((c) => ({ collection: c.id, dropAt: c.dropAt }));

process.on('message', (m: FleetRequest) => {
  if (m.type === 'traffic') {
    process.send!({ type: 'traffic', traffic: trafficOf(world.store.requests(), m.before, m.during) } satisfies FleetMessage);
  } else if (m.type === 'stop') {
    void Promise.all(proxies.map((p) => p.close())).then(() => world.close()).finally(() => process.exit(0));
  }
});
process.send!({ type: 'up', state: worldStateOf(world, drops), dropAt, proxies: proxies.map((p) => p.url) } satisfies FleetMessage);
