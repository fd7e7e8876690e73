import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../core/config/load.js';
import { ENV } from './config-fixture.js';

const EXAMPLE = 'config/example.yaml';

describe('config/example.yaml', () => {
  it('validates when the variables it refers to are set', async () => {
    const { config } = await loadConfig({ file: EXAMPLE, env: ENV });
    expect(config.accounts[0]!.wallet).toBe(config.wallets[0]!.name);
    expect(config.targets.length).toBeGreaterThan(0);
    expect(config.budget.TON).toBeGreaterThan(0n);
    // Each plugin block passes its plugin's own schema too.
    const { starsConfigSchema } = await import('../../../../plugins/stars/config.js');
    const { tonConfigSchema } = await import('../../../../plugins/ton/config.js');
    expect(starsConfigSchema.safeParse(config.plugins['stars']).success).toBe(true);
    expect(tonConfigSchema.safeParse(config.plugins['ton']).success).toBe(true);
  });

  it('keeps every secret out of the file itself', async () => {
    const text = await readFile(EXAMPLE, 'utf8');
    expect(text).toMatch(/storeToken: \$\{STORE_TOKEN\}/);
    expect(text).toMatch(/mnemonic: \$\{TON_MNEMONIC\}/);
    expect(text).toMatch(/apiKey: \$\{TONCENTER_API_KEY\}/);
    expect(text).toMatch(/apiHash: \$\{TG_API_HASH\}/);
  });

  it('comments every key it sets', async () => {
    const lines = (await readFile(EXAMPLE, 'utf8')).split('\n');
    lines.forEach((line, i) => {
      const key = /^\s*(?:- )?([A-Za-z]+):/.exec(line);
      if (!key || line.includes('#')) return;
      const before = lines.slice(0, i).reverse();
      const commentAbove = before.find((l) => l.trim() !== '')?.trim().startsWith('#') ?? false;
      const groupKey = /^\s*(?:- )?[A-Za-z]+:\s*$/.test(line) || /^\s*(TON|XTR):/.test(line);
      expect(commentAbove || groupKey, `line ${i + 1}: ${line.trim()}`).toBe(true);
    });
  });
});
