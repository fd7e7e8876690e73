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

  it("assumes the store's per-IP guess unless told, and names the key of a per-IP limit it cannot use", () => {
    expect(parse(VALID_YAML).config.store.perIp).toEqual({ burst: 60, perSec: 40, inFlight: 32 });
    expect(parse(`${VALID_YAML}\nstore: { perIp: { burst: 250 } }\n`).config.store.perIp).toEqual({ burst: 250, perSec: 40, inFlight: 32 });
    const e = configErrorOf(() => parse(`${VALID_YAML}\nstore: { perIp: { burst: 0, perSec: 50 } }\n`));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.path).toBe('store.perIp.burst');
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

  it('requires at least one account, and then a target or a snipe filter', () => {
    const e = configErrorOf(() => parse('profile: safe\n'));
    expect(e.issues.map((i) => [i.path, i.message])).toEqual([['accounts', 'required key is missing']]);
    const none = configErrorOf(() => parse('accounts: [{ name: main }]\n'));
    expect(none.issues.map((i) => [i.path, i.message])).toEqual([['targets', 'configure at least one target or one snipe filter']]);
  });

  it('keeps every secret out of every error message', () => {
    const broken = VALID_YAML.replace('wallet: main', 'wallet: nowhere').replace('packs: 10', 'packs: -1');
    const e = configErrorOf(() => parse(broken));
    const printed = formatConfigError(e) + e.message + JSON.stringify(e);
    for (const secret of [STORE_TOKEN, MNEMONIC, ENV.TONCENTER_API_KEY!]) expect(printed).not.toContain(secret);
  });
});

describe('paths in the configuration', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const withPaths = `${VALID_YAML.replace('plugins:\n', 'plugins:\n  paths: [./local.js, ../shared/other.mjs, /abs/plugin.js, some-package, plugin-folder/index.cjs]\n')}dataDir: ./state\n`;
  beforeAll(async () => {
    ({ dir, remove } = await tempDir({}));
    const { mkdir, writeFile } = await import('node:fs/promises');
    await mkdir(join(dir, 'conf'));
    await writeFile(join(dir, 'conf', 'paths.yaml'), withPaths);
    await writeFile(join(dir, 'conf', 'default.yaml'), VALID_YAML);
    // An installed package, resolved from the file's folder as Node resolves require('some-package') from there.
    await mkdir(join(dir, 'conf', 'node_modules', 'some-package'), { recursive: true });
    await writeFile(join(dir, 'conf', 'node_modules', 'some-package', 'package.json'), '{"name":"some-package","main":"main.js"}');
    await writeFile(join(dir, 'conf', 'node_modules', 'some-package', 'main.js'), 'module.exports = {};\n');
  });
  afterAll(() => remove());

  it('resolves dataDir against the folder of the configuration file, not the working directory', async () => {
    const { config } = await loadConfig({ file: join(dir, 'conf', 'paths.yaml'), env: ENV });
    expect(config.dataDir).toBe(join(dir, 'conf', 'state'));
  });

  it('resolves the default dataDir against the folder of the configuration file too', async () => {
    const { config } = await loadConfig({ file: join(dir, 'conf', 'default.yaml'), env: ENV });
    expect(config.dataDir).toBe(join(dir, 'conf', 'data'));
  });

  it('resolves file entries of plugins.paths against the file\'s folder and package names from it to their module', async () => {
    const { config } = await loadConfig({ file: join(dir, 'conf', 'paths.yaml'), env: ENV });
    expect(config.plugins.paths).toEqual([
      join(dir, 'conf', 'local.js'), join(dir, 'shared', 'other.mjs'), '/abs/plugin.js', join(dir, 'conf', 'node_modules', 'some-package', 'main.js'),
      join(dir, 'conf', 'plugin-folder', 'index.cjs'),
    ]);
  });

  it('refuses a package name that is not installed where the file is, at its entry, naming the folder searched', async () => {
    const file = join(dir, 'conf', 'paths.yaml');
    const e = await configErrorOfAsync(() => loadConfig({ file, env: { ...ENV, AUTOMINT__PLUGINS__PATHS__3: 'not-installed-anywhere' } }));
    expect(e.path).toBe('plugins.paths[3]');
    // Set from the environment: looked up from the working directory.
    expect(e.issues[0]!.message).toContain(`no installed package "not-installed-anywhere" found from ${process.cwd()}`);
  });

  it('resolves --data-dir, --set and AUTOMINT__ values against the working directory', async () => {
    const file = join(dir, 'conf', 'paths.yaml');
    expect((await loadConfig({ file, env: ENV, flags: { dataDir: 'flagged' } })).config.dataDir).toBe(join(process.cwd(), 'flagged'));
    expect((await loadConfig({ file, env: ENV, flags: { set: ['dataDir=set-here'] } })).config.dataDir).toBe(join(process.cwd(), 'set-here'));
    const fromEnv = await loadConfig({ file, env: { ...ENV, AUTOMINT__DATADIR: 'env-dir', AUTOMINT__PLUGINS__PATHS__1: './from-env.js' } });
    expect(fromEnv.config.dataDir).toBe(join(process.cwd(), 'env-dir'));
    expect(fromEnv.config.plugins.paths.slice(0, 2)).toEqual([join(dir, 'conf', 'local.js'), join(process.cwd(), 'from-env.js')]);
  });

  it('resolves paths against the working directory when there is no file', async () => {
    const env = {
      AUTOMINT__ACCOUNTS__0__NAME: 'solo', AUTOMINT__TARGETS__0__COLLECTION: '7', AUTOMINT__TARGETS__0__CHARACTER: '1',
      AUTOMINT__TARGETS__0__PACKS: '2', AUTOMINT__TARGETS__0__METHODS: '[stars]',
    };
    expect((await loadConfig({ env, allowMissingFile: true })).config.dataDir).toBe(join(process.cwd(), 'data'));
    expect(parse(VALID_YAML).config.dataDir).toBe(join(process.cwd(), 'data'));
  });

  it('keeps an absolute dataDir as written', () => {
    expect(parse(`${VALID_YAML}dataDir: /var/lib/automint\n`).config.dataDir).toBe('/var/lib/automint');
  });
});

describe('alias bombs and other resource limits', () => {
  const bomb = [
    'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
    'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]',
    'e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]',
    'f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]',
    'g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]',
  ].join('\n');

  it('refuses a billion-laughs file as invalid YAML at the key path and position of its first alias', () => {
    const started = Date.now();
    const e = configErrorOf(() => parse(`${VALID_YAML}${bomb}\n`));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(e.code).toBe('CONFIG_YAML_INVALID');
    expect(e.path).toBe('b[0]');
    const line = VALID_YAML.split('\n').length + 1;
    expect(e.issues[0]!.where).toBe(`test.yaml:${line}:8`);
    expect(e.message).toContain('alias');
  });

  it('finds the first alias inside nested keys and lists', () => {
    const nested = `${VALID_YAML}${bomb.replace(/^(\w): /gm, 'x$1: ')}\n`.replace('xb: &b', 'xb:\n  deep:\n    - 1\n    - &b');
    const e = configErrorOf(() => parse(nested));
    expect(e.path).toBe('xb.deep[1][0]');
  });

  it('still reads a file that uses a few aliases', () => {
    const { config } = parse(VALID_YAML.replace('maxPricePerPack: { TON: "3.5", XTR: "500" }', 'maxPricePerPack: &cap { TON: "3.5", XTR: "500" }\n    budget: *cap'));
    expect(config.targets[0]!.budget).toEqual({ TON: 3_500_000_000n, XTR: 500n });
  });

  it('refuses nesting too deep to read as invalid YAML with a position', () => {
    const e = configErrorOf(() => parse(`${VALID_YAML}deep: ${'['.repeat(5_000)}${']'.repeat(5_000)}\n`));
    expect(e.code).toBe('CONFIG_YAML_INVALID');
    expect(e.issues[0]!.where).toMatch(/^test\.yaml:\d+:\d+$/);
  });
});

describe('configuration files that cannot be read', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, remove } = await tempDir({ 'locked.yaml': VALID_YAML }));
  });
  afterAll(() => remove());

  it('says a directory given as the configuration is a directory, not that it is missing', async () => {
    const e = await configErrorOfAsync(() => loadConfig({ file: dir, env: ENV }));
    expect(e.issues[0]!.message).toBe(`${dir} is a directory, not a file`);
    expect(formatConfigError(e)).not.toMatch(/not found/);
  });

  it('refuses a FIFO without opening it, instead of waiting for a writer forever', async () => {
    const { execFileSync } = await import('node:child_process');
    const fifo = join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    const e = await configErrorOfAsync(() => loadConfig({ file: fifo, env: ENV }));
    expect(e.issues[0]!.message).toBe(`${fifo} is a named pipe (FIFO), not a regular file`);
  });

  it('refuses a device as a configuration file', async () => {
    const e = await configErrorOfAsync(() => loadConfig({ file: '/dev/zero', env: ENV }));
    expect(e.issues[0]!.message).toContain('character device');
  });

  it.skipIf(process.getuid?.() === 0)('gives the operating system reason for a file it may not read', async () => {
    const { chmod } = await import('node:fs/promises');
    await chmod(join(dir, 'locked.yaml'), 0o000);
    const e = await configErrorOfAsync(() => loadConfig({ file: join(dir, 'locked.yaml'), env: ENV }));
    expect(e.issues[0]!.message).toContain('EACCES: permission denied');
  });
});

describe('payment methods of a target', () => {
  it('refuses a method listed twice at the second entry', () => {
    const e = configErrorOf(() => parse(VALID_YAML.replace('methods: [ton]', 'methods: [ton, ton]')));
    expect(e.path).toBe('targets[0].methods[1]');
    expect(e.message).toContain('"ton" is listed twice (also at targets[0].methods[0])');
    expect(e.issues[0]!.where).toMatch(/^test\.yaml:\d+:\d+$/);
  });
});
