/** One target's actors as the sniper spawns them: each watcher poller reads how many share its account's pace at every
 *  read (the count grows as targets are armed and shrinks as they end), and a target's watcher is named for stopping
 *  once the last of its purchases has ended. */
import type { AnyActorRef } from 'xstate';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SniperInput } from '../../../../core/actors/sniper.js';
import {
  countWatchers, purchaseId, releaseWatcher, spawnTarget, targetEnded, type RunTarget, type RunWiring,
} from '../../../../core/actors/target-actors.js';
import type { WatcherInput } from '../../../../core/actors/watcher.js';
import type { StoreClient } from '../../../../core/store/store-client.js';

const target = (collection: number, character: number, accounts: string[]): RunTarget => ({
  collection, character, packs: 1, maxPricePerPack: {}, methods: ['ton'], accounts,
  seed: { paid: 0, inFlight: 0, byMethod: {} }, split: { policy: 'race' },
});

/** Spawns a target with spawners that keep what they were given. */
function spawnOne(t: RunTarget, wiring: RunWiring): WatcherInput {
  const input = {
    accounts: t.accounts.map((name) => ({ name, wallet: undefined, login: { kind: 'token', jwt: 'x' } })),
    payments: [], budget: {}, limits: { pollIntervalMs: 500, maxWaitMs: 60_000 }, policy: {}, ledger: {}, metrics: {},
    log: pino({ level: 'silent' }), dryRun: true,
  } as unknown as SniperInput;
  let watched: WatcherInput | undefined;
  const ref = {} as AnyActorRef;
  spawnTarget(t, input, wiring, { purchase: () => ref, watcher: (_id, i) => { watched = i; return ref; } });
  return watched!;
}

describe('the actors of one target', () => {
  it('gives its watcher pollers that read the account\'s share of the pace live, not as it was at their spawn', () => {
    const clients = new Map([['alice', {} as StoreClient], ['bob', {} as StoreClient]]);
    const wiring: RunWiring = { clients, pace: async () => 500, sharedBy: new Map() };
    const first = target(2, 1, ['alice', 'bob']);
    countWatchers(wiring.sharedBy, [first, { accounts: ['alice'] }]);
    const watcher = spawnOne(first, wiring);
    expect(watcher.pollers.map((p) => p.sharedBy)).toEqual([2, 1]);
    // A target armed later: the first watcher's pollers see it.
    const later = target(4, 1, ['alice']);
    countWatchers(wiring.sharedBy, [later]);
    spawnOne(later, wiring);
    expect(watcher.pollers.map((p) => p.sharedBy)).toEqual([3, 1]);
    // The later target ended: its share goes back.
    releaseWatcher(wiring.sharedBy, later.accounts);
    expect(watcher.pollers.map((p) => p.sharedBy)).toEqual([2, 1]);
    releaseWatcher(wiring.sharedBy, ['bob']);
    expect(wiring.sharedBy.has('bob')).toBe(false);
    expect(watcher.pollers[1]!.sharedBy).toBe(1);
  });

  it('names the watcher to stop and the accounts to release when the last of a target\'s purchases ends, not before', () => {
    const t = target(2, 1, ['alice', 'bob:eu']);
    const other = target(2, 11, ['alice']);
    const ids = [...t.accounts.map((a) => purchaseId(t, a)), purchaseId(other, 'alice')];
    const [alice, bob, otherAlice] = ids as [string, string, string];
    expect(targetEnded(alice, ids, new Set([alice]))).toBeNull();
    expect(targetEnded(alice, ids, new Set([alice, otherAlice]))).toBeNull();
    expect(targetEnded(bob, ids, new Set([alice, bob]))).toEqual({ watcherId: 'watcher:2:1', accounts: ['alice', 'bob:eu'] });
    expect(targetEnded(otherAlice, ids, new Set([otherAlice]))).toEqual({ watcherId: 'watcher:2:11', accounts: ['alice'] });
    expect(targetEnded('pay:ton:purchase:2:1:alice', ids, new Set(ids))).toBeNull();
  });
});
