import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { join } from 'node:path';
import { formatConfigError } from '../../../../core/config/config-error.js';
import { loadConfig, parseConfig } from '../../../../core/config/load.js';
import type { Nano, Stars } from '../../../../core/money.js';
import { ENV, MNEMONIC, STORE_TOKEN, VALID_YAML, configErrorOf, configErrorOfAsync, tempDir } from './config-fixture.js';

const parse = (text: string, env: Record<string, string> = ENV) => parseConfig(text, { env, label: 'test.yaml' });

describe('loadConfig', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, remove } = await tempDir({ 'good.yaml': VALID_YAML, 'bad.yaml': 'accounts: [\n', 'list.yaml': '- 1\n- 2\n' }));
  });
  afterAll(() => remove());

  it('reads a file and reports where it came from', async () => {
    const { config, source } = await loadConfig({ file: join(dir, 'good.yaml'), env: ENV });
    expect(config.accounts.map((a) => a.name)).toEqual(['main', 'second']);
    expect(source.file).toBe(join(dir, 'good.yaml'));
    expect(source.overrides).toEqual([]);
  });

  it('names the path of a configuration file that does not exist', async () => {
    const missing = join(dir, 'nope.yaml');
    const e = await configErrorOfAsync(() => loadConfig({ file: missing, env: ENV, allowMissingFile: true }));
    expect(e.code).toBe('CONFIG_FILE_MISSING');
    expect(e.message).toContain(missing);
    expect(formatConfigError(e)).toContain('config/example.yaml');
  });

  it('requires a file unless told a missing one is fine', async () => {
    const e = await configErrorOfAsync(() => loadConfig({ env: ENV }));
    expect(e.code).toBe('CONFIG_FILE_MISSING');
  });

  it('builds the configuration from the environment alone when no file is needed', async () => {
    const env = {
      AUTOMINT__ACCOUNTS__0__NAME: 'solo',
      AUTOMINT__TARGETS__0__COLLECTION: '7',
      AUTOMINT__TARGETS__0__CHARACTER: '1',
      AUTOMINT__TARGETS__0__PACKS: '2',
      AUTOMINT__TARGETS__0__METHODS: '[stars]',
    };
    const { config, source } = await loadConfig({ env, allowMissingFile: true });
    expect(source.file).toBeNull();
    expect(config.targets[0]).toMatchObject({ collection: 7, character: 1, packs: 2, methods: ['stars'] });
  });

  it('gives line and column of invalid YAML', async () => {
    const e = await configErrorOfAsync(() => loadConfig({ file: join(dir, 'bad.yaml'), env: ENV }));
    expect(e.code).toBe('CONFIG_YAML_INVALID');
    expect(e.issues[0]!.where).toMatch(/bad\.yaml:\d+:\d+$/);
  });

  it('refuses a file whose top level is a list', async () => {
    const e = await configErrorOfAsync(() => loadConfig({ file: join(dir, 'list.yaml'), env: ENV }));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toContain('mapping');
  });
});

describe('validation errors', () => {
  it('loads the valid fixture with amounts as bigint and defaults filled in', () => {
    const { config } = parse(VALID_YAML);
    expect(config.budget).toEqual({ TON: 50_000_000_000n, XTR: 10_000n });
    expectTypeOf(config.budget.TON).toEqualTypeOf<Nano>();
    expectTypeOf(config.budget.XTR).toEqualTypeOf<Stars>();
    expectTypeOf(config.targets[0]!.maxPricePerPack.TON).toEqualTypeOf<Nano | undefined>();
    expect(config.targets[0]!.maxPricePerPack).toEqual({ TON: 3_500_000_000n, XTR: 500n });
    expect(config.store.baseUrl).toBe('https://api.stickerdom.store');
    expect(config.telemetry).toEqual({ serviceName: 'automint', logLevel: 'info', logFormat: 'auto' });
    expect(config.wallets[0]!.mnemonic).toBe(MNEMONIC);
  });

  it('names the full path of an unknown key and suggests the right one', () => {
    const e = configErrorOf(() => parse(VALID_YAML.replace('collection: 19', 'colection: 19')));
    expect(e.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(e.path).toBe('targets[0].colection');
    expect(e.issues[0]!.message).toContain('did you mean collection?');
    expect(e.issues[0]!.where).toMatch(/^test\.yaml:\d+:\d+$/);
  });

  it('lists the known keys when an unknown key resembles none', () => {
    const e = configErrorOf(() => parse(`${VALID_YAML}\nstore: { zzzzzz: 1 }\n`));
    expect(e.path).toBe('store.zzzzzz');
    expect(e.issues[0]!.message).toContain('baseUrl, mirrors, userAgent');
  });

  it('refuses a negative budget, naming the key', () => {
    const e = configErrorOf(() => parse(VALID_YAML.replace('TON: "50"', 'TON: "-5"')));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.path).toBe('budget.TON');
    expect(e.message).toContain('negative');
  });

  it('refuses a malformed amount, naming the key', () => {
    const e = configErrorOf(() => parse(VALID_YAML.replace('TON: "3.5"', 'TON: "3,5"')));
    expect(e.path).toBe('targets[0].maxPricePerPack.TON');
    expect(e.message).toContain('not a plain decimal number');
  });

  it('refuses more decimals than the currency has', () => {
    const e = configErrorOf(() => parse(VALID_YAML.replace('XTR: "500"', 'XTR: "500.5"')));
    expect(e.path).toBe('targets[0].maxPricePerPack.XTR');
    expect(e.message).toContain('more than 0 decimal places');
  });

  it('asks for an unquoted amount to be quoted', () => {
    const e = configErrorOf(() => parse(VALID_YAML.replace('TON: "50"', 'TON: 50')));
    expect(e.path).toBe('budget.TON');
    expect(e.message).toContain('quoted decimal string');
  });

  it('describes a mnemonic of the wrong length without echoing it', () => {
    const short = MNEMONIC.split(' ').slice(0, 12).join(' ');
    const e = configErrorOf(() => parse(VALID_YAML, { ...ENV, TON_MNEMONIC: short }));
    expect(e.path).toBe('wallets[0].mnemonic');
    expect(e.message).toContain('24 words');
    expect(e.message).toContain('found 12');
    const printed = formatConfigError(e) + JSON.stringify(e);
    for (const word of short.split(' ')) expect(printed).not.toContain(word);
  });

  it('describes a mnemonic with a capitalised word without echoing it', () => {
    const words = MNEMONIC.split(' ');
    words[4] = 'Above';
    const e = configErrorOf(() => parse(VALID_YAML, { ...ENV, TON_MNEMONIC: words.join(' ') }));
    expect(e.message).toContain('word 5');
    expect(formatConfigError(e) + JSON.stringify(e)).not.toMatch(/above|abandon/i);
  });

  it('refuses a store token that is not a JWT without echoing it', () => {
    const e = configErrorOf(() => parse(VALID_YAML, { ...ENV, STORE_TOKEN: 'Bearer not-a-jwt-secret' }));
    expect(e.path).toBe('accounts[0].storeToken');
    expect(formatConfigError(e) + JSON.stringify(e)).not.toContain('not-a-jwt-secret');
  });

  it('names the key and the variable of an unset ${VAR}', () => {
    const { TON_MNEMONIC: _, ...env } = ENV;
    const e = configErrorOf(() => parse(VALID_YAML, env));
    expect(e.code).toBe('CONFIG_ENV_MISSING');
    expect(e.path).toBe('wallets[0].mnemonic');
    expect(e.message).toContain('TON_MNEMONIC');
    expect(e.issues[0]!.where).toMatch(/^test\.yaml:11:\d+$/);
  });

  it('reports a wallet reference to nothing at the account that makes it', () => {
    const e = configErrorOf(() => parse(VALID_YAML.replace('wallet: main', 'wallet: cold')));
    expect(e.path).toBe('accounts[0].wallet');
    expect(e.message).toContain('no wallet named "cold"');
  });

  it('reports a target account that does not exist', () => {
    const e = configErrorOf(() => parse(VALID_YAML.replace('accounts: [main]', 'accounts: [main, ghost]')));
    expect(e.path).toBe('targets[0].accounts[1]');
    expect(e.message).toContain('"ghost"');
  });

  it('refuses duplicate account names and duplicate targets', () => {
    const e1 = configErrorOf(() => parse(VALID_YAML.replace('name: second', 'name: main')));
    expect(e1.path).toBe('accounts[1].name');
    expect(e1.message).toContain('duplicate account name');
    const twice = VALID_YAML.replace('budget:', '  - { collection: 19, character: 2, packs: 1, methods: [stars] }\nbudget:');
    const e2 = configErrorOf(() => parse(twice));
    expect(e2.path).toBe('targets[1]');
    expect(e2.message).toContain('same collection and character as targets[0]');
  });

  it('refuses an empty list of payment methods', () => {
    const e = configErrorOf(() => parse(VALID_YAML.replace('methods: [ton]', 'methods: []')));
    expect(e.path).toBe('targets[0].methods');
  });

  it('names the allowed profiles when the profile is wrong', () => {
    const e = configErrorOf(() => parse(VALID_YAML.replace('profile: balanced', 'profile: turbo')));
    expect(e.path).toBe('profile');
    expect(e.message).toContain('"safe"|"balanced"|"fast"|"aggressive"|"extreme"');
  });

  it('lists every problem at once, unknown keys first', () => {
    const text = VALID_YAML.replace('TON: "50"', 'TON: "-1"').replace('packs: 10', 'packs: 0').replace('character: 2', 'charakter: 2');
    const e = configErrorOf(() => parse(text));
    expect(e.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(e.issues.map((i) => i.path)).toEqual([
      'targets[0].charakter',
      'targets[0].character',
      'targets[0].packs',
      'budget.TON',
    ]);
    expect(formatConfigError(e).split('\n')).toHaveLength(5);
  });

  it('requires at least one account and one target', () => {
    const e = configErrorOf(() => parse('profile: safe\n'));
    expect(e.issues.map((i) => [i.path, i.message])).toEqual([
      ['accounts', 'required key is missing'],
      ['targets', 'required key is missing'],
    ]);
  });

  it('keeps every secret out of every error message', () => {
    const broken = VALID_YAML.replace('wallet: main', 'wallet: nowhere').replace('packs: 10', 'packs: -1');
    const e = configErrorOf(() => parse(broken));
    const printed = formatConfigError(e) + e.message + JSON.stringify(e);
    for (const secret of [STORE_TOKEN, MNEMONIC, ENV.TONCENTER_API_KEY!]) expect(printed).not.toContain(secret);
  });
});
