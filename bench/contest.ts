/** `npm run bench:contest [-- --seeds 5 --accounts 1,5]`: how much of a contested drop automint gets. For each seed,
 *  number of accounts and profile (the default one, `balanced`, and `extreme`): a fresh world in its own process
 *  (contest-world.ts: CONTEST_SUPPLY packs of one character dropping at a seeded moment 4–6 s after start, five rival
 *  bots polling it over HTTP — four every 1 s, one every 0.25 s, phases from the seed — each wanting 12 packs and
 *  ordering 150 ms after its poll shows stock), and the real bot (`runBot`, in this process, TON and Stars racing on
 *  every account, not told the drop's time) asking CONTEST_ASK packs. A seed gives the same drop moment and rival
 *  phases to all four cases. The share is contest-drop.ts `shareOf`, from the store's records; the figure is its
 *  median over the seeds. The one stdout line: `{"seeds":S,"supply":60,"share":{"1":{"fast":..,"extreme":..},
 *  "5":{..}},"doublePaid":N}` where "fast" is the default profile (`balanced`, polling every 5 s) and doublePaid
 *  counts, over every run, orders the store saw paid more than once. Progress goes to stderr. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { parseConfig } from '../core/config/load.js';
import type { ProfileName } from '../core/config/profiles.js';
import { protectSecrets } from '../cli/session.js';
import { writeWorldSessions, type WorldState } from '../cli/world.js';
import { runBot } from '../core/run/run-bot.js';
import { registerSecrets } from '../core/telemetry/secret-registry.js';
import {
  CONTEST_ASK, CONTEST_CHARACTER, CONTEST_COLLECTION, CONTEST_SUPPLY, contestDropInMs, shareOf,
  type ContestMessage, type ContestOutcome,
} from './contest-drop.js';
import { median, round2 } from './median.js';
import { forkChildWorld } from './child-world.js';

const { values: flags } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    accounts: { type: 'string', default: '1,5' },
  },
});
const seeds = Number(flags.seeds);
const accountCounts = flags.accounts.split(',').map(Number);
/** The JSON's name for each profile run: "fast" is whatever the config schema defaults to (`balanced` today). */
const PROFILES: ReadonlyArray<readonly [string, ProfileName]> = [['fast', 'balanced'], ['extreme', 'extreme']];
/** A run that has not ended this long after the drop is stopped (it would be a bug, not a result). */
const RUN_DEADLINE_MS = 90_000;
const say = (line: string): boolean => process.stderr.write(line + '\n');

/** A contest world in its own process. */
interface ContestWorld {
  readonly state: WorldState;
  readonly dropAt: number;
  outcome(): Promise<ContestOutcome>;
  stop(): Promise<void>;
}

async function forkContestWorld(accounts: number, seed: number): Promise<ContestWorld> {
  const world = await forkChildWorld<ContestMessage>('contest-world.js', [String(accounts), String(contestDropInMs(seed)), String(seed)], 'the contest world');
  return {
    state: world.up.state, dropAt: world.up.dropAt, stop: world.stop,
    outcome: async () => (await world.ask({ type: 'outcome' }, 'outcome')).outcome,
  };
}

/** The bot as a user of this drop would configure it (like config/demo.yaml): every buyer, TON and Stars racing. */
function botConfig(state: WorldState, profile: ProfileName, dataDir: string) {
  const tree = {
    profile,
    dataDir,
    store: { baseUrl: state.store.url },
    accounts: state.buyers.map((b) => ({ name: b.name, wallet: b.name })),
    wallets: state.buyers.map((b) => ({ name: b.name, method: 'ton', mnemonic: b.mnemonic })),
    targets: [{
      collection: CONTEST_COLLECTION, character: CONTEST_CHARACTER, packs: CONTEST_ASK, methods: ['ton', 'stars'],
      maxPricePerPack: { TON: '1', XTR: '100' },
    }],
    split: { policy: 'race' },
    budget: { TON: '50', XTR: '5000' },
    plugins: {
      ton: { endpoint: state.ton.endpoint },
      stars: {
        apiId: 1, apiHash: '0123456789abcdef0123456789abcdef',
        server: { host: state.telegram.host, port: state.telegram.port, publicKey: state.telegram.publicKey },
      },
    },
    telemetry: { logLevel: 'error' },
  };
  const { config } = parseConfig(JSON.stringify(tree), { env: {}, label: 'contest bench config' });
  protectSecrets(config);
  return config;
}

async function oneRun(accounts: number, profile: ProfileName, seed: number): Promise<ContestOutcome> {
  const world = await forkContestWorld(accounts, seed);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'automint-contest-'));
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), Math.max(0, world.dropAt - Date.now()) + RUN_DEADLINE_MS);
  try {
    for (const b of world.state.buyers) registerSecrets([b.token, b.mnemonic, b.session]);
    await writeWorldSessions(world.state, dataDir);
    const log = pino({ level: 'error' }, pino.destination({ dest: 2, sync: true }));
    await runBot({ config: botConfig(world.state, profile, dataDir), log, command: 'bench', signal: deadline.signal });
    return await world.outcome();
  } finally {
    clearTimeout(timer);
    await world.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const shares = new Map<string, number[]>();
let doublePaid = 0;
for (let seed = 1; seed <= seeds; seed++) {
  for (const accounts of accountCounts) {
    for (const [key, profile] of PROFILES) {
      const o = await oneRun(accounts, profile, seed);
      const share = shareOf(o.botPacks, CONTEST_ASK, CONTEST_SUPPLY);
      shares.set(`${accounts}:${key}`, [...(shares.get(`${accounts}:${key}`) ?? []), share]);
      doublePaid += o.doublePaid;
      say(`seed ${seed}, ${accounts} account(s), ${profile}: `
        + `automint ${o.botPacks}/${CONTEST_ASK} (share ${round2(share)}), `
        + `rivals ${o.rivalPacks}, left ${o.left}, rival polls ${o.rivalPolls}, ${o.http429} × 429, `
        + `${o.doublePaid} paid twice, ${o.mismatched} mismatched`);
    }
  }
}
console.log(JSON.stringify({
  seeds,
  supply: CONTEST_SUPPLY,
  share: Object.fromEntries(accountCounts.map((n) => [
    String(n), Object.fromEntries(PROFILES.map(([key]) => [key, round2(median(shares.get(`${n}:${key}`) ?? []))])),
  ])),
  doublePaid,
}));
