/** The CLI commands in-process: exit codes, what goes to stdout and stderr. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { buildProgram } from '../../../../core/cli/program.js';

let dir: string;
const mnemonic = Array.from({ length: 24 }, () => 'abandon').join(' ');
const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2VjcmV0c2lnbmF0dXJlMTIz';

async function cli(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  const saved = { ...process.env };
  Object.assign(process.env, env);
  process.exitCode = 0;
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'automint', ...argv]);
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.env = saved;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, out, err };
}

async function configFile(name: string, body: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, typeof body === 'string' ? body : YAML.stringify(body));
  return file;
}

const valid = {
  accounts: [{ name: 'main', storeToken: '${T}', wallet: 'w' }],
  wallets: [{ name: 'w', method: 'ton', mnemonic: '${M}' }],
  targets: [{ collection: 1, character: 2, packs: 5, methods: ['ton'] }],
  budget: { TON: '10' },
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('automint config show', () => {
  it('prints the merged configuration with every secret redacted', async () => {
    const file = await configFile('ok.yaml', valid);
    const r = await cli(['config', 'show', '--config', file, '--profile', 'fast'], { T: token, M: mnemonic, AUTOMINT__BUDGET__TON: '12.5' });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(token);
    expect(r.out).not.toContain('abandon');
    const shown = YAML.parse(r.out.split('\n').filter((l) => !l.startsWith('#')).join('\n'));
    expect(shown).toMatchObject({ profile: 'fast', budget: { TON: '12.5' }, accounts: [{ storeToken: '[redacted]' }], wallets: [{ mnemonic: '[redacted]' }] });
  });

  it('exits 2 naming the key when the config is invalid, without echoing secrets', async () => {
    const file = await configFile('bad.yaml', { ...valid, budget: { TON: '-3' } });
    const r = await cli(['config', 'show', '--config', file], { T: token, M: mnemonic });
    expect(r.code).toBe(2);
    expect(r.err).toContain('budget.TON');
    expect(r.err).not.toContain(token);
  });

  it('exits 2 for a missing file, bad YAML and an unknown key, each with its own message', async () => {
    const missing = await cli(['config', 'show', '--config', path.join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/not found/);
    const yaml = await cli(['config', 'show', '--config', await configFile('broken.yaml', 'accounts: [\n  - name: x\n')]);
    expect(yaml.code).toBe(2);
    expect(yaml.err).toMatch(/YAML/);
    const unknown = await cli(['config', 'show', '--config', await configFile('typo.yaml', { ...valid, targets: [{ ...valid.targets[0], colection: 3 }] })], { T: token, M: mnemonic });
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('targets[0].colection');
  });
});

describe('automint plugins', () => {
  it('lists the built-in TON plugin', async () => {
    const r = await cli(['plugins']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ton\s+payment/m);
  });

  it('exits 2 when a plugin block in the config is invalid', async () => {
    const file = await configFile('plug.yaml', { ...valid, plugins: { ton: { toleranceBps: 'lots' } } });
    const r = await cli(['plugins', '--config', file], { T: token, M: mnemonic });
    expect(r.code).toBe(2);
    expect(r.err).toContain('plugins.ton.toleranceBps');
  });
});
