import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { substituteEnvReferences } from '../../../../core/config/env-substitution.js';
import { parseConfig } from '../../../../core/config/load.js';
import { AutomintConfigSchema } from '../../../../core/config/schema.js';
import { ENV, VALID_YAML, configErrorOf } from './config-fixture.js';

const substitute = (tree: unknown, env: Record<string, string>) => substituteEnvReferences(tree, env, AutomintConfigSchema);

describe('${VAR} substitution', () => {
  it('replaces a whole value and references embedded in text', () => {
    const { value, missing } = substitute(
      { store: { baseUrl: 'https://${HOST}:${PORT}/api', userAgent: '${UA}' } },
      { HOST: 'store.example', PORT: '8443', UA: 'agent/1' },
    );
    expect(missing).toEqual([]);
    expect(value).toEqual({ store: { baseUrl: 'https://store.example:8443/api', userAgent: 'agent/1' } });
  });

  it('turns $${VAR} into the literal ${VAR}', () => {
    const { value } = substitute({ dataDir: '/d/$${HOME}/x', telemetry: { serviceName: '$${A}${A}' } }, { A: 'a', HOME: 'h' });
    expect(value).toEqual({ dataDir: '/d/${HOME}/x', telemetry: { serviceName: '${A}a' } });
  });

  it('leaves text that is not a well-formed reference alone', () => {
    const { value, missing } = substitute({ dataDir: '$HOME/${not closed and ${1X}' }, {});
    expect(missing).toEqual([]);
    expect(value).toEqual({ dataDir: '$HOME/${not closed and ${1X}' });
  });

  it('reads a whole reference as YAML where the key takes a number or a flag', () => {
    const { value } = substitute({ dryRun: '${DRY}', targets: [{ packs: '${PACKS}', methods: '${METHODS}' }] }, {
      DRY: 'true',
      PACKS: '10',
      METHODS: '[ton, stars]',
    });
    expect(value).toEqual({ dryRun: true, targets: [{ packs: 10, methods: ['ton', 'stars'] }] });
  });

  it('keeps text keys and secrets as text even when they look like numbers', () => {
    const { value } = substitute({ budget: { TON: '${B}' }, plugins: { x: { password: '${P}' } } }, { B: '50', P: '1234' });
    expect(value).toEqual({ budget: { TON: '50' }, plugins: { x: { password: '1234' } } });
  });

  it('reports every missing variable with the key path that refers to it', () => {
    const { missing } = substitute({ accounts: [{ storeToken: '${A}' }, { storeToken: 'x${B}y' }] }, {});
    expect(missing).toEqual([
      { path: ['accounts', 0, 'storeToken'], variable: 'A' },
      { path: ['accounts', 1, 'storeToken'], variable: 'B' },
    ]);
  });

  it('does not let a variable value change the structure of the file', () => {
    const { config } = parseConfig(VALID_YAML.replace('profile: balanced', 'dataDir: ${DIR}'), {
      env: { ...ENV, DIR: 'x\nprofile: extreme' },
    });
    expect(config.profile).toBe('balanced');
    expect(config.dataDir).toBe(resolve('x\nprofile: extreme'));
  });

  it('does not substitute inside environment overrides', () => {
    const { config } = parseConfig(VALID_YAML, { env: { ...ENV, AUTOMINT__DATADIR: '${HOME}' } });
    // Taken literally, then resolved like any path from the environment: against the working directory.
    expect(config.dataDir).toBe(resolve('${HOME}'));
  });

  it('names all unset variables in one error', () => {
    const e = configErrorOf(() => parseConfig(VALID_YAML, { env: {} }));
    expect(e.code).toBe('CONFIG_ENV_MISSING');
    expect(e.issues.map((i) => i.message)).toEqual([
      'environment variable STORE_TOKEN is not set',
      'environment variable TON_MNEMONIC is not set',
      'environment variable TONCENTER_API_KEY is not set',
    ]);
  });
});
