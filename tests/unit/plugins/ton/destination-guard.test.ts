import { Address } from '@ton/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DestinationGuard, type ActivityProbe, type DestinationChangePolicy } from '../../../../plugins/ton/destination-guard.js';

const STORE = new Address(0, Buffer.alloc(32, 1));
const OTHER = new Address(0, Buffer.alloc(32, 2));
const THIRD = new Address(-1, Buffer.alloc(32, 3));
const friendly = (a: Address): string => a.toString({ bounceable: false });

/** A guard whose log lines the test reads. */
function guard(opts: { storeWallets?: string[]; onChange?: DestinationChangePolicy; probe?: ActivityProbe | null } = {}) {
  const logs: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  return { guard: new DestinationGuard(opts.storeWallets ?? [], opts.onChange ?? 'refuse', log, opts.probe ?? null), logs };
}

/** A chain that knows which addresses hold active contracts, counting the look-ups; null for an address: no answer. */
function chain(active: Map<string, boolean | null>) {
  const lookedUp: string[] = [];
  const probe: ActivityProbe = async (address) => {
    lookedUp.push(address.toRawString());
    const known = active.get(address.toRawString());
    return known === undefined ? false : known;
  };
  return { probe, lookedUp };
}

describe('judging where a TON order may send money', () => {
  it('pays only the configured store wallets, whatever form the order writes them in, without looking at the chain', async () => {
    const { probe, lookedUp } = chain(new Map());
    const { guard: g } = guard({ storeWallets: [STORE.toString(), THIRD.toRawString()], probe });
    expect(await g.judge(Address.parse(STORE.toRawString()), STORE.toRawString(), 'o1')).toBeNull();
    expect(await g.judge(THIRD, friendly(THIRD), 'o2')).toBeNull();
    expect(await g.judge(OTHER, 'the-other-text', 'o3')).toBe('destination the-other-text is not an allowed store wallet');
    expect(lookedUp).toEqual([]);
  });

  it('pins the first destination of the run and says so, then pays it again quietly', async () => {
    const { guard: g, logs } = guard();
    expect(await g.judge(STORE, 'store-text', 'o1')).toBeNull();
    expect(logs).toEqual([expect.objectContaining({ level: 40, orderId: 'o1', destination: friendly(STORE), msg: expect.stringContaining('pinned for this run') })]);
    expect(await g.judge(Address.parse(STORE.toRawString()), 'store-raw', 'o2')).toBeNull();
    expect(logs).toHaveLength(1);
  });

  it('refuses a later destination that differs from the pinned one, naming both', async () => {
    const { guard: g, logs } = guard();
    await g.judge(STORE, 'store-text', 'o1');
    expect(await g.judge(OTHER, 'other-text', 'o2'))
      .toBe(`destination other-text differs from the store wallet ${friendly(STORE)} pinned for this run (set storeWallets to allow several)`);
    // The pin holds: the store's wallet is still paid, the other still refused.
    expect(await g.judge(STORE, 'store-text', 'o3')).toBeNull();
    expect(await g.judge(OTHER, 'other-text', 'o4')).not.toBeNull();
    expect(logs).toHaveLength(1);
  });

  it('pays a differing destination when told only to warn, loudly, with the facts', async () => {
    const { guard: g, logs } = guard({ onChange: 'warn' });
    await g.judge(STORE, 'store-text', 'o1');
    expect(await g.judge(OTHER, 'other-text', 'o2')).toBeNull();
    expect(logs[1]).toEqual(expect.objectContaining({
      level: 50, orderId: 'o2', destination: friendly(OTHER), pinned: friendly(STORE), msg: expect.stringContaining('paying it anyway'),
    }));
  });

  it('refuses a destination that is no active contract on chain, and pins nothing', async () => {
    const { probe } = chain(new Map([[STORE.toRawString(), true]]));
    const { guard: g, logs } = guard({ probe });
    expect(await g.judge(OTHER, 'made-up', 'o1')).toBe(
      'destination made-up is not an active contract on chain (a store\'s receiving wallet is one): set plugins.ton.storeWallets to the store\'s wallet');
    expect(logs).toEqual([]);
    // The store's wallet, seen next, is the one pinned.
    expect(await g.judge(STORE, 'store-text', 'o2')).toBeNull();
    expect(logs).toEqual([expect.objectContaining({ destination: friendly(STORE) })]);
  });

  it('looks an active destination up once per run, and an inactive one every time', async () => {
    const { probe, lookedUp } = chain(new Map([[STORE.toRawString(), true]]));
    const { guard: g } = guard({ probe });
    expect(await g.judge(STORE, 's', 'o1')).toBeNull();
    expect(await g.judge(STORE, 's', 'o2')).toBeNull();
    expect(await g.judge(OTHER, 'x', 'o3')).not.toBeNull();
    expect(await g.judge(OTHER, 'x', 'o4')).not.toBeNull();
    expect(lookedUp).toEqual([STORE.toRawString(), OTHER.toRawString(), OTHER.toRawString()]);
  });

  it('shares one look-up among orders arriving together for the same destination', async () => {
    let answer!: (active: boolean) => void;
    let lookUps = 0;
    const { guard: g } = guard({ probe: () => new Promise((resolve) => { lookUps += 1; answer = resolve; }) });
    const verdicts = Promise.all([g.judge(STORE, 's', 'o1'), g.judge(STORE, 's', 'o2'), g.judge(STORE, 's', 'o3')]);
    answer(true);
    expect(await verdicts).toEqual([null, null, null]);
    expect(lookUps).toBe(1);
  });

  it('neither pays nor pins a destination the chain could not tell about, and asks again next time', async () => {
    const active = new Map<string, boolean | null>([[STORE.toRawString(), null]]);
    const { probe, lookedUp } = chain(active);
    const { guard: g, logs } = guard({ probe });
    await expect(g.judge(STORE, 'store-text', 'o1')).rejects.toMatchObject({
      code: 'TON_DESTINATION_UNVERIFIED', details: { destination: 'store-text' },
      message: expect.stringContaining('could not tell whether destination store-text is an active contract'),
    });
    expect(logs).toEqual([]);
    active.set(STORE.toRawString(), true);
    expect(await g.judge(STORE, 'store-text', 'o2')).toBeNull();
    expect(lookedUp).toEqual([STORE.toRawString(), STORE.toRawString()]);
    expect(logs).toHaveLength(1);
  });

  it('asks again after a look-up that failed outright', async () => {
    let calls = 0;
    const { guard: g } = guard({
      probe: async () => {
        calls += 1;
        if (calls === 1) throw new Error('socket hang up');
        return true;
      },
    });
    await expect(g.judge(STORE, 's', 'o1')).rejects.toThrow('socket hang up');
    expect(await g.judge(STORE, 's', 'o2')).toBeNull();
    expect(calls).toBe(2);
  });

  it('looks before the drop at wallets earlier runs paid, so an order naming one pays with no look-up, yet pins nothing', async () => {
    const { probe, lookedUp } = chain(new Map([[STORE.toRawString(), true], [OTHER.toRawString(), false]]));
    const { guard: g, logs } = guard({ probe });
    // Unreadable text is passed over; an inactive wallet is not counted; the active one is.
    expect(await g.recall([friendly(STORE), 'not-an-address', OTHER.toRawString()])).toBe(1);
    expect(lookedUp).toEqual([STORE.toRawString(), OTHER.toRawString()]);
    expect(await g.judge(STORE, 'store-text', 'o1')).toBeNull();
    expect(lookedUp).toHaveLength(2);
    // The first order of the run still pins (and says so): the recall vouched only that the wallet is a contract.
    expect(logs).toEqual([expect.objectContaining({ orderId: 'o1', msg: expect.stringContaining('pinned for this run') })]);
    // A wallet found inactive before the drop is looked at again when an order names it.
    const fresh = guard({ probe });
    await fresh.guard.recall([OTHER.toRawString()]);
    expect(await fresh.guard.judge(OTHER, 'other-text', 'o2')).toContain('is not an active contract on chain');
    expect(lookedUp.filter((k) => k === OTHER.toRawString())).toHaveLength(3);
  });

  it('recalls nothing when the store wallets are configured or no look-up is wanted, and lets a failed look-up go', async () => {
    const { probe, lookedUp } = chain(new Map([[STORE.toRawString(), true]]));
    expect(await guard({ storeWallets: [friendly(STORE)], probe }).guard.recall([friendly(STORE)])).toBe(0);
    expect(await guard({ probe: null }).guard.recall([friendly(STORE)])).toBe(0);
    expect(lookedUp).toEqual([]);
    const failing: ActivityProbe = async () => {
      throw new Error('toncenter unreachable');
    };
    const { guard: g } = guard({ probe: failing });
    expect(await g.recall([friendly(STORE)])).toBe(0);
    // Not remembered as active: the order's own check looks again (and fails for now, as any unanswered look-up does).
    await expect(g.judge(STORE, 'store-text', 'o1')).rejects.toThrow('toncenter unreachable');
  });
});
