import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../core/config/config-error.js';
import { loadValidatedConfig } from '../../../../core/config/load.js';
import { API_KEY, ENV, VALID_YAML } from '../config/config-fixture.js';

let dir: string;
const manifestModule = pathToFileURL(path.resolve('core/plugins/manifest.ts')).href;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-config-check-'));
  await writeFile(path.join(dir, 'notify.ts'), `import { definePlugin } from ${JSON.stringify(manifestModule)};\nimport { z } from 'zod';\n` +
    `export default definePlugin({ kind: 'notifier', id: 'pager', description: 'test', hostVersion: '^1', configSchema: z.object({}).strict(), register() {} });\n`);
  await writeFile(path.join(dir, 'broken.ts'), 'throw new Error("this plugin does not load");\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Loads `yaml` from a file in the temp folder the way every command does; returns the ConfigError it throws. */
async function refusal(yaml: string, env: Record<string, string> = ENV): Promise<ConfigError> {
  const file = path.join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, yaml);
  try {
    await loadValidatedConfig({ file, env });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  return expect.fail('expected a ConfigError');
}

const withPlugins = (block: string): string => VALID_YAML.replace(`plugins:\n  ton:\n    apiKey: \${TONCENTER_API_KEY}\n`, `plugins:\n${block}`);

describe('the plugin side of a configuration', () => {
  it('accepts config/example.yaml, every plugin block included', async () => {
    const { config } = await loadValidatedConfig({ file: 'config/example.yaml', env: ENV });
    expect(config.plugins['ton']).toMatchObject({ apiKey: API_KEY });
  });

  it('checks a plugin block with the plugin\'s own schema, naming the full key path and its place in the file', async () => {
    const e = await refusal(withPlugins('  stars:\n    bot: "@sticker_bot"\n'));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.path).toBe('plugins.stars.bot');
    expect(e.issues[0]!.message).toContain('without "@"');
    expect(e.issues[0]!.where).toMatch(/config-\w+\.yaml:\d+:10$/);
  });

  it('refuses a TON endpoint that is not a URL and a negative Stars reserve, listing both', async () => {
    const e = await refusal(withPlugins('  ton:\n    endpoint: toncenter.com\n  stars:\n    starsReserve: "-0.1"\n'));
    expect(e.issues.map((i) => i.path)).toEqual(['plugins.stars.starsReserve', 'plugins.ton.endpoint']);
    for (const issue of e.issues) expect(issue.where).toMatch(/:\d+:\d+$/);
  });

  it('names a misspelt plugin id as an unknown plugin and suggests the right one', async () => {
    const e = await refusal(withPlugins('  tno:\n    endpoint: https://toncenter.com/api/v2/jsonRPC\n'));
    expect(e.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(e.path).toBe('plugins.tno');
    expect(e.issues[0]!.message).toBe('unknown plugin; did you mean ton?');
  });

  it('suggests the right key for a misspelt key inside a plugin block', async () => {
    const e = await refusal(withPlugins('  ton:\n    endpont: https://toncenter.com/api/v2/jsonRPC\n'));
    expect(e.code).toBe('CONFIG_UNKNOWN_KEY');
    expect(e.path).toBe('plugins.ton.endpont');
    expect(e.issues[0]!.message).toContain('did you mean endpoint?');
  });

  it('says where a plugin key set from the environment came from', async () => {
    const e = await refusal(VALID_YAML, { ...ENV, AUTOMINT__PLUGINS__TON__EXPIRYMARGINSEC: '99999' });
    // The environment cannot know a plugin's key spelling: the plugin's schema names the key it meant.
    expect(e.path).toBe('plugins.ton.expirymarginsec');
    expect(e.issues[0]!.message).toContain('did you mean expiryMarginSec?');
    expect(e.issues[0]!.where).toBe('AUTOMINT__PLUGINS__TON__EXPIRYMARGINSEC');
  });

  it('refuses a method no plugin provides at its key path, listing the payment plugins', async () => {
    const e = await refusal(VALID_YAML.replace('methods: [ton]', 'methods: [paypal]'));
    expect(e.path).toBe('targets[0].methods[0]');
    expect(e.issues[0]!.message).toBe('no payment plugin "paypal" (payment plugins: stars, ton)');
    expect(e.issues[0]!.where).toMatch(/:\d+:\d+$/);
  });

  it('refuses a split share for a method no plugin provides', async () => {
    const e = await refusal(`${VALID_YAML}split: { policy: race, shares: { ton: 1, paypal: 2 } }\n`);
    expect(e.path).toBe('split.shares.paypal');
    expect(e.issues[0]!.message).toContain('payment plugins: stars, ton');
    const own = await refusal(VALID_YAML.replace('methods: [ton]', 'methods: [ton]\n    split: { shares: { tonn: 1 } }'));
    expect(own.path).toBe('targets[0].split.shares.tonn');
    expect(own.issues[0]!.message).toContain('did you mean ton?');
  });

  it('refuses a plugin that is not a payment plugin as a method', async () => {
    const yaml = withPlugins(`  paths: [${JSON.stringify(path.join(dir, 'notify.ts'))}]\n`).replace('methods: [ton]', 'methods: [ton, pager]');
    const e = await refusal(yaml);
    expect(e.path).toBe('targets[0].methods[1]');
    expect(e.issues[0]!.message).toBe('plugin "pager" is a notifier plugin, not a payment method (payment plugins: stars, ton)');
  });

  it('refuses a method whose plugin is switched off', async () => {
    const e = await refusal(withPlugins('  ton:\n    enabled: false\n'));
    expect(e.path).toBe('targets[0].methods[0]');
    expect(e.issues[0]!.message).toContain('switched off');
  });

  it('refuses a plugins.paths entry that does not load, at that entry', async () => {
    const e = await refusal(withPlugins('  paths: [./broken.ts]\n'));
    expect(e.path).toBe('plugins.paths[0]');
    expect(e.issues[0]!.message).toContain('this plugin does not load');
    expect(e.issues[0]!.message).toContain(path.join(dir, 'broken.ts'));
    const missing = await refusal(withPlugins('  paths: [./nowhere.js]\n'));
    expect(missing.issues[0]!.message).toContain(path.join(dir, 'nowhere.js'));
  });
});
