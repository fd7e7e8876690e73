import { describe, expect, it } from 'vitest';
import { BanList } from '../../../../sim/store/bans.js';

describe('ban list', () => {
  it('bans a key on its Nth refusal within the window, for the ban time', () => {
    const bans = new BanList({ after: 3, withinMs: 10_000, banMs: 60_000 });
    expect(bans.strike('u', 0)).toBeNull();
    expect(bans.strike('u', 1000)).toBeNull();
    expect(bans.bannedUntil('u', 1500)).toBeNull();
    expect(bans.strike('u', 2000)).toBe(62_000);
    expect(bans.bannedUntil('u', 61_999)).toBe(62_000);
    expect(bans.bannedUntil('u', 62_000)).toBeNull();
  });

  it('forgets refusals older than the window', () => {
    const bans = new BanList({ after: 2, withinMs: 1000, banMs: 5000 });
    bans.strike('u', 0);
    expect(bans.strike('u', 1000)).toBeNull();
    expect(bans.strike('u', 1500)).toBe(6500);
  });

  it('keeps keys apart', () => {
    const bans = new BanList({ after: 2, withinMs: 1000, banMs: 5000 });
    bans.strike('u', 0);
    expect(bans.strike('v', 1)).toBeNull();
    expect(bans.bannedUntil('u', 2)).toBeNull();
  });

  it('starts counting afresh after a ban', () => {
    const bans = new BanList({ after: 2, withinMs: 10_000, banMs: 1000 });
    bans.strike('u', 0);
    bans.strike('u', 1);
    expect(bans.strike('u', 2000)).toBeNull();
  });
});
