/** The `snipe` filters as the configuration states them: the same buying keys as a target, a `match` block, targets
 *  optional once a filter is given, and every cross-key problem refused with the key that has it. The CLI exits 2 on
 *  an invalid filter. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { parseConfig } from '../../../../core/config/load.js';
import { methodsInUse } from '../../../../core/config/schema.js';
import { buildProgram } from '../../../../cli/program.js';
import { configErrorOf } from './config-fixture.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl';

type Tree = Record<string, unknown>;

/** One account, no targets, the given filters (each 2 packs with TON unless said), plus `extra` keys. */
function tree(filters: Tree[], extra: Tree = {}): Tree {
  return {
    accounts: [{ name: 'alice', storeToken: TOKEN }, { name: 'bob', storeToken: TOKEN }],
    snipe: filters.map((f) => ({ packs: 2, methods: ['ton'], ...f })),
    budget: { TON: '50' },
    ...extra,
  };
}

const parse = (t: Tree) => parseConfig(YAML.stringify(t), { env: {}, label: 'snipe.yaml' }).config;
const issuesOf = (t: Tree) => configErrorOf(() => parse(t)).issues;

describe('snipe configuration', () => {
  it('takes a config with filters and no targets, filling the match defaults', () => {
    const cfg = parse(tree([{ match: { title: '/dog/i', rarity: ['rare'] } }]));
    expect(cfg.targets).toEqual([]);
    expect(cfg.snipe[0]!.match).toMatchObject({ title: '/dog/i', rarity: ['rare'], pick: { by: 'all', count: 1 } });
    expect(cfg.snipe[0]!.maxPricePerPack).toEqual({});
  });

  it('reads every match key, amounts as bigint', () => {
    const cfg = parse(tree([{
      match: {
        title: 'Golden*', collections: { from: 10, to: 20 }, character: '/cat/', rarity: ['rare', 'epic'],
        supply: { min: 1, max: 100 }, price: { TON: '3', XTR: '300' }, pick: { by: 'rarest', count: 2 },
      },
      maxPricePerPack: { TON: '3.5' }, budget: { TON: '10' }, accounts: ['bob'], split: { policy: 'race' },
    }]));
    expect(cfg.snipe[0]!.match.price).toEqual({ TON: 3_000_000_000n, XTR: 300n });
    expect(cfg.snipe[0]!.budget).toEqual({ TON: 10_000_000_000n });
    expect(cfg.snipe[0]!.match.pick).toEqual({ by: 'rarest', count: 2 });
  });

  it('refuses a config with neither targets nor filters', () => {
    const issues = issuesOf(tree([]));
    expect(issues.find((i) => i.path === 'targets')?.message).toContain('at least one target or one snipe filter');
  });

  it('refuses a filter naming an account that does not exist', () => {
    const issues = issuesOf(tree([{ accounts: ['carol'] }]));
    expect(issues.find((i) => i.path === 'snipe[0].accounts[0]')?.message).toContain('no account named "carol"');
  });

  it('refuses a filter without methods, and one listing a method twice', () => {
    expect(issuesOf(tree([{ methods: [] }])).map((i) => i.path)).toContain('snipe[0].methods');
    expect(issuesOf(tree([{ methods: ['ton', 'ton'] }])).find((i) => i.path === 'snipe[0].methods[1]')?.message).toContain('listed twice');
  });

  it('refuses a split the filter could not follow, naming its own split', () => {
    const issues = issuesOf(tree([{ methods: ['ton', 'stars'], split: { policy: 'split', shares: { ton: 1 } } }]));
    expect(issues.find((i) => i.path === 'snipe[0].split.shares')?.message).toContain('missing: stars');
  });

  it('refuses a regular expression that does not compile, and a flag that would make it stateful', () => {
    expect(issuesOf(tree([{ match: { title: '/dog(/' } }])).find((i) => i.path === 'snipe[0].match.title')?.message).toContain('not a regular expression');
    expect(issuesOf(tree([{ match: { character: '/dog/g' } }])).find((i) => i.path === 'snipe[0].match.character')?.message).toContain('flag "g"');
  });

  it('refuses ranges whose ends are swapped or missing, and an empty price', () => {
    const paths = (m: Tree) => issuesOf(tree([{ match: m }])).map((i) => `${i.path}: ${i.message}`);
    expect(paths({ collections: { from: 9, to: 3 } }).join('\n')).toContain('snipe[0].match.collections.to: to (3) is below from (9)');
    expect(paths({ collections: {} }).join('\n')).toContain('snipe[0].match.collections: set from, to or both');
    expect(paths({ supply: { min: 10, max: 1 } }).join('\n')).toContain('snipe[0].match.supply.max');
    expect(paths({ price: {} }).join('\n')).toContain('snipe[0].match.price');
  });

  it('refuses unknown match keys and a pick that is not all, cheapest or rarest', () => {
    expect(issuesOf(tree([{ match: { colour: 'red' } }])).map((i) => i.path).join(' ')).toContain('snipe[0].match');
    expect(issuesOf(tree([{ match: { pick: { by: 'prettiest' } } }])).map((i) => i.path)).toContain('snipe[0].match.pick.by');
    expect(issuesOf(tree([{ match: { pick: { by: 'cheapest', count: 0 } } }])).map((i) => i.path)).toContain('snipe[0].match.pick.count');
  });

  it('counts the filters\' methods among the methods in use (the plugins a run needs)', () => {
    const cfg = parse(tree([{ methods: ['stars'] }], { targets: [{ collection: 1, character: 1, packs: 1, methods: ['ton'] }] }));
    expect([...methodsInUse(cfg)].sort()).toEqual(['stars', 'ton']);
  });
});

describe('automint run with an invalid snipe filter', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'automint-snipe-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 2 naming the key, before any run starts', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, YAML.stringify({ ...tree([{ match: { supply: { min: 5, max: 1 } } }]), dataDir: path.join(dir, 'data') }));
    let err = '';
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
    const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    process.exitCode = 0;
    try {
      await buildProgram().exitOverride().parseAsync(['node', 'automint', 'run', '--config', file]);
    } finally {
      e.mockRestore();
      o.mockRestore();
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    expect(code).toBe(2);
    expect(err).toContain('snipe[0].match.supply.max');
  });
});
