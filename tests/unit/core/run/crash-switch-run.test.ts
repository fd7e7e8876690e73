/** `automint run` with a crash variable that names no injection point stops before it opens anything, with a config
 *  error (exit 2) that names the variable and the valid points. */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { buildProgram } from '../../../../cli/program.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-crash-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(env: Record<string, string>): Promise<{ code: number; err: string; dataDir: string }> {
  const dataDir = path.join(dir, `data-${Object.values(env).join('-').replace(/[^a-z0-9]/gi, '_')}`);
  const file = path.join(dir, 'config.yaml');
  await writeFile(file, YAML.stringify({
    dataDir,
    store: { baseUrl: 'http://127.0.0.1:9' },
    accounts: [{ name: 'main', storeToken: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl', wallet: 'w' }],
    wallets: [{ name: 'w', method: 'ton', mnemonic: Array.from({ length: 24 }, () => 'abandon').join(' ') }],
    targets: [{ collection: 1, character: 2, packs: 5, methods: ['ton'] }],
    budget: { TON: '10' },
  }));
  let err = '';
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  process.exitCode = 0;
  try {
    await buildProgram().exitOverride().parseAsync(['node', 'automint', 'run', '--config', file]);
  } finally {
    e.mockRestore();
    o.mockRestore();
    process.env = saved;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, err, dataDir };
}

describe('automint run with a crash variable', () => {
  it('exits 2 naming AUTOMINT_CRASH_AT and the valid states when the state is unknown, before opening the ledger', async () => {
    const r = await run({ AUTOMINT_CRASH_AT: 'payer:paying' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('AUTOMINT_CRASH_AT');
    expect(r.err).toContain('sending');
    expect(existsSync(r.dataDir)).toBe(false);
  });

  it('exits 2 naming AUTOMINT_CRASH_RANDOM when its value is malformed', async () => {
    const r = await run({ AUTOMINT_CRASH_RANDOM: 'soon' });
    expect(r.code).toBe(2);
    expect(r.err).toContain('AUTOMINT_CRASH_RANDOM');
  });
});
