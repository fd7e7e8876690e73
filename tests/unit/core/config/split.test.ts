/** How a target's payment methods share its packs, as the configuration states it: the top-level `split`, a target's
 *  own `split` replacing it, and the cross-checks that refuse a split the purchase could not follow. */
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseConfig } from '../../../../core/config/load.js';
import { targetSplit } from '../../../../core/config/schema.js';
import { configErrorOf } from './config-fixture.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl';

type Tree = Record<string, unknown>;

/** A configuration with one account and the given targets (each buying 8 packs with `methods`), plus `extra` keys. */
function tree(targets: Tree[], extra: Tree = {}): Tree {
  return {
    accounts: [{ name: 'alice', storeToken: TOKEN }],
    targets: targets.map((t, i) => ({ collection: 10, character: i + 1, packs: 8, methods: ['ton', 'stars'], ...t })),
    budget: { TON: '50', XTR: '10000' },
    ...extra,
  };
}

const parse = (t: Tree) => parseConfig(YAML.stringify(t), { env: {}, label: 'split.yaml' }).config;
const failing = (t: Tree) => configErrorOf(() => parse(t));

describe('split configuration', () => {
  it('defaults to race for every target when nothing is said', () => {
    const cfg = parse(tree([{}]));
    expect(cfg.split).toEqual({ policy: 'race' });
    expect(targetSplit(cfg, cfg.targets[0]!)).toEqual({ policy: 'race' });
  });

  it('reads shares and starsPerTon, the latter as whole stars', () => {
    const cfg = parse(tree([{}], { split: { policy: 'split', shares: { ton: 3, stars: 1 }, starsPerTon: '300' } }));
    expect(cfg.split).toEqual({ policy: 'split', shares: { ton: 3, stars: 1 }, starsPerTon: 300n });
  });

  it('refuses policy split without a share for every method, naming split.shares and the missing method', () => {
    const e = failing(tree([{}], { split: { policy: 'split', shares: { ton: 1 } } }));
    expect(e.code).toBe('CONFIG_INVALID');
    const issue = e.issues.find((i) => i.path === 'split.shares');
    expect(issue?.message).toContain('missing: stars');
    expect(issue?.message).toContain('targets[0]');
  });

  it('refuses policy split without any shares at all', () => {
    const e = failing(tree([{}], { split: { policy: 'split' } }));
    expect(e.issues.map((i) => i.path)).toContain('split.shares');
    expect(e.issues.find((i) => i.path === 'split.shares')?.message).toContain('missing: ton, stars');
  });

  it('refuses shares that are all zero', () => {
    const e = failing(tree([{}], { split: { policy: 'split', shares: { ton: 0, stars: 0 } } }));
    expect(e.issues.find((i) => i.path === 'split.shares')?.message).toMatch(/at least one share must be above 0/);
  });

  it('accepts a zero share as long as another method has one', () => {
    const cfg = parse(tree([{}], { split: { policy: 'split', shares: { ton: 0, stars: 2 } } }));
    expect(cfg.split.shares).toEqual({ ton: 0, stars: 2 });
  });

  it('refuses negative, fractional and oversized shares and shares keyed by something that is not a plugin id', () => {
    for (const shares of [{ ton: -1, stars: 1 }, { ton: 1.5, stars: 1 }, { ton: 1001, stars: 1 }]) {
      const e = failing(tree([{}], { split: { policy: 'split', shares } }));
      expect(e.issues.map((i) => i.path)).toContain('split.shares.ton');
    }
    const e = failing(tree([{}], { split: { policy: 'split', shares: { ton: 1, stars: 1, 'Not An Id': 1 } } }));
    expect(e.issues.some((i) => i.path.startsWith('split.shares'))).toBe(true);
  });

  it('names the target\'s own key when a target\'s split lacks a share', () => {
    const e = failing(tree([{}, { split: { policy: 'split', shares: { stars: 1 } } }]));
    const issue = e.issues.find((i) => i.path === 'targets[1].split.shares');
    expect(issue?.message).toContain('missing: ton');
    // The first target follows the top-level race and is fine.
    expect(e.issues.map((i) => i.path)).not.toContain('split.shares');
  });

  it('requires starsPerTon for cheapest with two methods, at the top level or on the target that sets it', () => {
    expect(failing(tree([{}], { split: { policy: 'cheapest' } })).issues.map((i) => i.path)).toContain('split.starsPerTon');
    const own = failing(tree([{ split: { policy: 'cheapest' } }]));
    expect(own.issues.map((i) => i.path)).toEqual(['targets[0].split.starsPerTon']);
    expect(own.issues[0]!.message).toContain('starsPerTon');
  });

  it('lets cheapest with a single method go without starsPerTon', () => {
    const cfg = parse(tree([{ methods: ['ton'] }], { split: { policy: 'cheapest' } }));
    expect(cfg.split.policy).toBe('cheapest');
  });

  it('refuses starsPerTon written as a number or with decimals', () => {
    expect(failing(tree([{}], { split: { policy: 'cheapest', starsPerTon: 300 } })).issues.map((i) => i.path)).toContain('split.starsPerTon');
    expect(failing(tree([{}], { split: { policy: 'cheapest', starsPerTon: '300.5' } })).issues.map((i) => i.path)).toContain('split.starsPerTon');
  });

  it('lets a target override the top-level split, checking each target against the split it follows', () => {
    const cfg = parse(tree(
      [{}, { split: { policy: 'cheapest', starsPerTon: '250' } }, { methods: ['ton'] }],
      { split: { policy: 'split', shares: { ton: 1, stars: 3 } } },
    ));
    expect(targetSplit(cfg, cfg.targets[0]!)).toEqual({ policy: 'split', shares: { ton: 1, stars: 3 } });
    // Keys the target leaves out are inherited (the shares here).
    expect(targetSplit(cfg, cfg.targets[1]!)).toEqual({ policy: 'cheapest', shares: { ton: 1, stars: 3 }, starsPerTon: 250n });
    expect(targetSplit(cfg, cfg.targets[2]!).policy).toBe('split');
  });

  it('keeps the top-level policy for a target that only sets another split key', () => {
    const cfg = parse(tree([{ split: { starsPerTon: '250' } }], { split: { policy: 'split', shares: { ton: 1, stars: 3 } } }));
    expect(targetSplit(cfg, cfg.targets[0]!)).toEqual({ policy: 'split', shares: { ton: 1, stars: 3 }, starsPerTon: 250n });
  });

  it('does not demand top-level shares that no target uses when every target overrides the split', () => {
    const cfg = parse(tree([{ split: { policy: 'race' } }], { split: { policy: 'split' } }));
    expect(targetSplit(cfg, cfg.targets[0]!)).toEqual({ policy: 'race' });
  });

  it('refuses an unknown policy and an unknown split key', () => {
    expect(failing(tree([{}], { split: { policy: 'fastest' } })).issues.map((i) => i.path)).toContain('split.policy');
    const e = failing(tree([{}], { split: { policy: 'race', share: { ton: 1 } } }));
    expect(e.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(e.path).toBe('split.share');
  });
});
