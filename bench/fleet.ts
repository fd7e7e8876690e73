/** `npm run bench:fleet [-- --accounts 100 --lead-ms 60000]`: what a fleet costs the machine it runs on. A world in
 *  its own process (fleet-world.ts: N buyers, each behind its own SOCKS5 proxy leaving from its own 127.0.0.x, three
 *  collections and a snipe drop at the same moment, the store's 120 requests a minute per token enforced), and the
 *  real bot (`runBot`, in this process; fleet-config.ts: the `fast` profile, three targets that carry `dropAt`, one
 *  snipe filter) started LEAD ms before the drop and stopped DURING_MS after it.
 *
 *  Windows (this process's marks, fleet-usage.ts): startup = the bot's start to the first third of the lead (logins
 *  of every account through its proxy, arming); before the drop = the last two thirds of the lead (steady polling in
 *  the drop window); during the drop = the drop to DURING_MS after it (orders, payments, the snipe match). The one
 *  stdout line: `{"accounts":N,"cpuPctBeforeDrop":..,"cpuPctDuringDrop":..,"rssMb":..,"pollsPerSec":..,"http429":..}`
 *  — CPU in percent of one core; rssMb the largest RSS sampled (every 250 ms) over the whole run; pollsPerSec the
 *  polls (a collection or the listing) the store received per second in the before-drop window; http429 every 429 the
 *  store answered. Details (startup CPU, traffic per route, addresses seen, packs bought) go to stderr. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { writeWorldSessions } from '../cli/world.js';
import { runBot } from '../core/run/run-bot.js';
import { registerSecrets } from '../core/telemetry/secret-registry.js';
import { fleetConfig } from './fleet-config.js';
import { forkChildWorld } from './child-world.js';
import { DEFAULT_LEAD_MS, DURING_MS, type FleetMessage, type FleetRequest, type FleetTraffic } from './fleet-drop.js';
import { ProcessUsage } from './fleet-usage.js';
import { round2 } from './median.js';

const { values: flags } = parseArgs({
  options: {
    accounts: { type: 'string', default: '100' },
    'lead-ms': { type: 'string', default: String(DEFAULT_LEAD_MS) },
  },
});
const accounts = Number(flags.accounts);
const leadMs = Number(flags['lead-ms']);
/** The world's own start (its buyers minted) before the bot starts: the drop is set this much past the lead. */
const WORLD_UP_MS = 2_000;
const say = (line: string): boolean => process.stderr.write(line + '\n');

/** The fleet world in its own process. */
interface FleetWorld {
  readonly up: Extract<FleetMessage, { type: 'up' }>;
  traffic(request: Extract<FleetRequest, { type: 'traffic' }>): Promise<FleetTraffic>;
  stop(): Promise<void>;
}

async function forkFleetWorld(): Promise<FleetWorld> {
  const world = await forkChildWorld<FleetMessage>('fleet-world.js', [String(accounts), String(leadMs + WORLD_UP_MS)], 'the fleet world');
  return { up: world.up, stop: world.stop, traffic: async (request) => (await world.ask(request, 'traffic')).traffic };
}

const world = await forkFleetWorld();
const { state, dropAt, proxies } = world.up;
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-fleet-'));
const usage = new ProcessUsage();
try {
  for (const b of state.buyers) registerSecrets([b.token, b.mnemonic, b.session, ...(b.password ? [b.password] : [])]);
  await writeWorldSessions(state, dataDir);
  const config = fleetConfig(state, proxies, dropAt, dataDir);
  const log = pino({ level: 'error' }, pino.destination({ dest: 2, sync: true }));
  const settledAt = dropAt - Math.round(((dropAt - Date.now()) * 2) / 3);
  const stopAt = new AbortController();
  usage.start();
  usage.mark('start');
  usage.markAt('settled', settledAt);
  usage.markAt('drop', dropAt);
  const timer = setTimeout(() => {
    usage.mark('end');
    stopAt.abort();
  }, dropAt + DURING_MS - Date.now());
  say(`fleet: ${accounts} accounts, the bot starts ${Math.round((dropAt - Date.now()) / 1000)} s before the drop`);
  const summary = await runBot({ config, log, command: 'bench', signal: stopAt.signal }).finally(() => clearTimeout(timer));
  const traffic = await world.traffic({
    type: 'traffic', before: { from: usage.at('settled'), to: usage.at('drop') }, during: { from: usage.at('drop'), to: usage.at('end') },
  });
  say(`startup CPU ${round2(usage.cpuPct('start', 'settled'))} % over ${Math.round((usage.at('settled') - usage.at('start')) / 1000)} s; `
    + `packs paid ${summary.packs} (${JSON.stringify(summary.paid)}), run ended ${Math.round((Date.now() - dropAt) / 1000)} s after the drop`);
  say(`peak memory (MB): ${JSON.stringify(usage.peakMb())}`);
  say(`before the drop: ${JSON.stringify(traffic.before)}`);
  say(`during the drop: ${JSON.stringify(traffic.during)}`);
  console.log(JSON.stringify({
    accounts,
    cpuPctBeforeDrop: round2(usage.cpuPct('settled', 'drop')),
    cpuPctDuringDrop: round2(usage.cpuPct('drop', 'end')),
    rssMb: round2(usage.rssMb()),
    pollsPerSec: round2(traffic.before.pollsPerSec),
    http429: traffic.http429,
  }));
} finally {
  usage.stop();
  await world.stop();
  await rm(dataDir, { recursive: true, force: true });
}
