import { describe, expect, it } from 'vitest';
import { firstWave, waveOverIp } from '../../../../core/run/ip-wave.js';

describe("a fleet's first orders at a drop, through one IP", () => {
  it('counts one first order per account and method of each target', () => {
    expect(firstWave([{ accounts: ['a', 'b', 'c'], methods: ['ton', 'stars'] }, { accounts: ['a'], methods: ['ton'] }])).toBe(7);
    expect(firstWave([])).toBe(0);
  });

  it('says nothing while the wave fits the burst', () => {
    expect(waveOverIp(60, { burst: 60, perSec: 40, inFlight: 32 })).toBeNull();
  });

  it('says how long after the first the last order leaves when the wave is over the burst, and what to change', () => {
    expect(waveOverIp(200, { burst: 60, perSec: 40, inFlight: 32 })).toBe(
      '200 first orders at a drop (accounts × methods) leave through one IP whose limit is store.perIp.burst 60 at 40/s: '
      + 'the last leaves about 3.5 s after the first. Raise store.perIp if the store accepts more from one address, or run fewer accounts on this machine',
    );
  });

  it('counts each way out apart: the accounts without a proxy through this machine, those behind a proxy through it', () => {
    const targets = [{ accounts: ['a', 'b', 'c'], methods: ['ton', 'stars'] }];
    const routeOf = (account: string): string => (account === 'a' ? 'direct' : 'socks5://u:***@10.0.0.1:1080');
    expect(firstWave(targets, routeOf)).toBe(2);
    expect(firstWave(targets, routeOf, 'socks5://u:***@10.0.0.1:1080')).toBe(4);
    expect(waveOverIp(100, { burst: 60, perSec: 40, inFlight: 32 }, 'socks5://u:***@10.0.0.1:1080')).toMatch(/^100 first orders .* through the proxy socks5:\/\/u:\*\*\*@10\.0\.0\.1:1080 whose limit/);
  });
});
