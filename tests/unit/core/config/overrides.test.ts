import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../../core/config/load.js';
import { ENV, VALID_YAML, configErrorOf } from './config-fixture.js';

const load = (env: Record<string, string>, flags = {}) => parseConfig(VALID_YAML, { env: { ...ENV, ...env }, flags, label: 'test.yaml' });

describe('environment overrides', () => {
  it('matches key segments case-insensitively and ignoring underscores', () => {
    expect(load({ AUTOMINT__STORE__BASEURL: 'https://one.example' }).config.store.baseUrl).toBe('https://one.example');
    expect(load({ AUTOMINT__STORE__BASE_URL: 'https://two.example' }).config.store.baseUrl).toBe('https://two.example');
    expect(load({ AUTOMINT__Telemetry__logLevel: 'debug' }).config.telemetry.logLevel).toBe('debug');
  });

  it('reads values as YAML scalars for numbers, flags and lists', () => {
    const { config } = load({
      AUTOMINT__DRYRUN: 'true',
      AUTOMINT__TARGETS__0__PACKS: '5',
      AUTOMINT__STORE__MIRRORS: '[https://m1.example, https://m2.example]',
    });
    expect(config.dryRun).toBe(true);
    expect(config.targets[0]!.packs).toBe(5);
    expect(config.store.mirrors).toEqual(['https://m1.example', 'https://m2.example']);
  });

  it('keeps text keys verbatim, so an amount stays decimal text', () => {
    const { config } = load({ AUTOMINT__BUDGET__TON: '12.5', AUTOMINT__ACCOUNTS__1__NAME: '007' });
    expect(config.budget.TON).toBe(12_500_000_000n);
    expect(config.accounts[1]!.name).toBe('007');
  });

  it('addresses list entries by index and appends at the next index', () => {
    const token = 'aaa.bbb.ccc';
    const { config } = load({
      AUTOMINT__ACCOUNTS__1__STORETOKEN: token,
      AUTOMINT__ACCOUNTS__2__NAME: 'third',
      AUTOMINT__ACCOUNTS__2__WALLET: 'main',
    });
    expect(config.accounts[1]!.storeToken).toBe(token);
    expect(config.accounts[2]).toEqual({ name: 'third', wallet: 'main' });
  });

  it('refuses an index that would leave a gap in a list', () => {
    const e = configErrorOf(() => load({ AUTOMINT__ACCOUNTS__5__NAME: 'x' }));
    expect(e.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(e.message).toContain('AUTOMINT__ACCOUNTS__5__NAME');
    expect(e.message).toContain('index from 0 to 2');
  });

  it('names an environment variable that matches no key, with a suggestion', () => {
    const e = configErrorOf(() => load({ AUTOMINT__STORE__BASURL: 'https://x.example', AUTOMINT__NOPE: '1' }));
    expect(e.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(e.issues.map((i) => i.where)).toEqual(['environment variable AUTOMINT__NOPE', 'environment variable AUTOMINT__STORE__BASURL']);
    expect(e.issues[1]!.message).toContain('did you mean store.baseUrl?');
  });

  it('names free-form plugin keys from the existing block, or in camelCase when new', () => {
    const { config } = load({ AUTOMINT__PLUGINS__TON__APIKEY: 'replaced-key', AUTOMINT__PLUGINS__TON__CONFIRM_POLL_MS: '250' });
    expect(config.plugins['ton']).toEqual({ apiKey: 'replaced-key', confirmPollMs: 250 });
  });

  it('keeps a secret verbatim even inside a free-form plugin block', () => {
    const { config } = load({ AUTOMINT__PLUGINS__NOTIFIER__BOT_TOKEN: '12345' });
    expect(config.plugins['notifier']).toEqual({ botToken: '12345' });
  });

  it('says where an invalid overridden value came from', () => {
    const e = configErrorOf(() => load({ AUTOMINT__TARGETS__0__PACKS: 'many' }));
    expect(e.path).toBe('targets[0].packs');
    expect(e.issues[0]!.where).toBe('AUTOMINT__TARGETS__0__PACKS');
  });

  it('ignores variables without the double-underscore prefix', () => {
    expect(() => load({ AUTOMINT_CONFIG: 'x', AUTOMINTX__Y: 'z' })).not.toThrow();
  });
});

describe('precedence', () => {
  it('lets flags beat the environment, which beats the file', () => {
    expect(load({}).config.profile).toBe('balanced');
    expect(load({ AUTOMINT__PROFILE: 'fast' }).config.profile).toBe('fast');
    const both = load({ AUTOMINT__PROFILE: 'fast', AUTOMINT__DATADIR: '/env' }, { profile: 'safe', dataDir: '/flag', dryRun: true });
    expect(both.config).toMatchObject({ profile: 'safe', dataDir: '/flag', dryRun: true });
    expect(both.source.overrides).toEqual([
      'dataDir from AUTOMINT__DATADIR',
      'profile from AUTOMINT__PROFILE',
      'profile from --profile',
      'dryRun from --dry-run',
      'dataDir from --data-dir',
    ]);
  });

  it('applies --set after the environment and before the named flags', () => {
    const { config, source } = load(
      { AUTOMINT__TARGETS__0__PACKS: '3' },
      { set: ['targets[0].packs=7', 'budget.XTR=250', 'profile=fast'], profile: 'extreme' },
    );
    expect(config.targets[0]!.packs).toBe(7);
    expect(config.budget.XTR).toBe(250n);
    expect(config.profile).toBe('extreme');
    expect(source.overrides).toContain('targets[0].packs from --set');
  });

  it('accepts dotted indexes in --set, keeps free-form keys as written and reads quoted values as text', () => {
    const { config } = load({}, { set: ['targets.0.dropAt=2026-12-01T12:00:00Z', 'plugins.stars.apiId=100', 'plugins.stars.phoneNumber="+100"'] });
    expect(config.targets[0]!.dropAt).toBe('2026-12-01T12:00:00Z');
    expect(config.plugins['stars']).toEqual({ apiId: 100, phoneNumber: '+100' });
  });

  it('refuses a --set that names no key or has no value', () => {
    const unknown = configErrorOf(() => load({}, { set: ['store.baseUrll=https://x.example'] }));
    expect(unknown.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(unknown.message).toContain('did you mean store.baseUrl?');
    const noValue = configErrorOf(() => load({}, { set: ['store.baseUrl'] }));
    expect(noValue.message).toContain('KEY=VALUE');
  });

  it('refuses a --set that would write to the object prototype', () => {
    const e = configErrorOf(() => load({}, { set: ['plugins.__proto__.polluted=1'] }));
    expect(e.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
