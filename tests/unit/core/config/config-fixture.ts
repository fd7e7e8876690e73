/** A valid configuration and its environment, shared by the configuration tests. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ConfigError } from '../../../../core/config/config-error.js';

export const MNEMONIC = [
  'abandon', 'ability', 'able', 'about', 'above', 'absent', 'absorb', 'abstract', 'absurd', 'abuse', 'access', 'accident',
  'account', 'accuse', 'achieve', 'acid', 'acoustic', 'acquire', 'across', 'act', 'action', 'actor', 'actress', 'actual',
].join(' ');
export const STORE_TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXNlY3JldA';
export const API_KEY = 'toncenter-key-0123456789';

/** The environment the fixture's `${VAR}` references need. */
export const ENV: Readonly<Record<string, string>> = { STORE_TOKEN, TON_MNEMONIC: MNEMONIC, TONCENTER_API_KEY: API_KEY, TG_API_HASH: '0123456789abcdef0123456789abcdef' };

export const VALID_YAML = `
profile: balanced
accounts:
  - name: main
    storeToken: \${STORE_TOKEN}
    wallet: main
  - name: second
wallets:
  - name: main
    method: ton
    mnemonic: \${TON_MNEMONIC}
targets:
  - collection: 19
    character: 2
    packs: 10
    maxPricePerPack: { TON: "3.5", XTR: "500" }
    methods: [ton]
    accounts: [main]
budget: { TON: "50", XTR: "10000" }
plugins:
  ton:
    apiKey: \${TONCENTER_API_KEY}
`;

/** Runs `fn` and returns the ConfigError it throws (fails the test when it throws something else or nothing). */
export function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  return expect.fail('expected a ConfigError, but nothing was thrown');
}

/** The same for an async loader. */
export async function configErrorOfAsync(fn: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  return expect.fail('expected a ConfigError, but nothing was thrown');
}

/** A temporary directory holding `files`; call `remove` when done. */
export async function tempDir(files: Record<string, string>): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'automint-config-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
