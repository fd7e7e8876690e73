/** What a plugin's manifest declares beside its code: the secret keys of its config block (redacted and scrubbed
 *  like the host's own) and the currencies it settles in (budget and price-cap keys). */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { reportFailure } from '../../../../cli/failure.js';
import { protectSecrets } from '../../../../cli/session.js';
import { loadValidatedConfig } from '../../../../core/config/load.js';
import { secretValues } from '../../../../core/config/redact.js';
import { AutomintError } from '../../../../core/errors.js';
import { scrub } from '../../../../core/telemetry/secret-registry.js';
import { ENV, VALID_YAML } from '../config/config-fixture.js';
import { cli } from '../../../support/cli-in-process.js';
import { esmPlugin, installPackage, projectFolder } from '../../../support/plugin-packages.js';

/** 24 words that are not a TON mnemonic: what a voucher code looks like. */
const VOUCHER = 'zebra yacht xenon whale violet umber tiger salmon quartz pepper otter nectar mango lemon kiwi jade iris hazel grape fig ebony daisy cobalt birch';
const TOKEN = 'vch-token-7f3a9c21e4b8';
const env = { ...ENV, VOUCHER, VOUCHER_TOKEN: TOKEN };

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => {
  ({ dir, remove } = await projectFolder());
  await installPackage(dir, 'automint-voucher', { type: 'module' }, {
    'index.js': esmPlugin({
      id: 'voucher',
      configSchema: `z.object({
        voucherCode: z.string().superRefine((v, ctx) => { if (v.split(' ').length !== 24) ctx.addIssue({ code: 'custom', message: 'voucher ' + v + ' is not 24 words' }); }),
        accounts: z.array(z.object({ name: z.string(), token: z.string() })).default([]),
      }).strict()`,
      extra: `secretKeys: ['voucherCode', 'accounts.*.token'], currencies: [{ code: 'VCH', decimals: 2, name: 'Voucher credit' }],`,
    }),
  });
  await installPackage(dir, 'automint-coupon', { type: 'module' }, {
    'index.js': esmPlugin({ id: 'coupon', extra: `currencies: [{ code: 'CPN', decimals: 0 }],` }),
  });
  await installPackage(dir, 'automint-bad-ton', { type: 'module' }, {
    'index.js': esmPlugin({ id: 'bad-ton', extra: `currencies: [{ code: 'TON', decimals: 6 }],` }),
  });
});
afterAll(() => remove());
afterEach(() => {
  vi.restoreAllMocks();
});

/** The fixture config with the voucher plugin and `edit` applied, written to a new file in the project folder. */
async function config(edit: (yaml: string) => string = (y) => y, voucherBlock = '    voucherCode: ${VOUCHER}\n    accounts: [{ name: main, token: "${VOUCHER_TOKEN}" }]\n'): Promise<string> {
  const file = path.join(dir, `automint-${Math.random().toString(36).slice(2)}.yaml`);
  const yaml = VALID_YAML.replace('plugins:\n', `plugins:\n  paths: [automint-voucher, automint-coupon]\n  voucher:\n${voucherBlock}`);
  await writeFile(file, edit(yaml));
  return file;
}

describe('a plugin\'s secret keys', () => {
  it('are redacted by key in config show: a 24-word voucherCode and every accounts[].token', async () => {
    const r = await cli(['config', 'show', '--config', await config()], env);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/voucherCode: "?\[redacted\]"?/);
    expect(r.out).toMatch(/token: "?\[redacted\]"?/);
    for (const word of ['zebra', 'quartz', 'birch', TOKEN]) expect(r.out).not.toContain(word);
  });

  it('are scrubbed by value from errors and log text once the config is loaded, like the host\'s secrets', async () => {
    const { config: loaded } = await loadValidatedConfig({ file: await config(), env });
    expect(secretValues(loaded)).toEqual(expect.arrayContaining([VOUCHER, TOKEN]));
    protectSecrets(loaded);
    expect(scrub(`voucher service refused ${TOKEN} for ${VOUCHER.replace(/ /g, ', ')}`)).toBe('voucher service refused [redacted] for [redacted]');
    let err = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
    expect(reportFailure(new AutomintError('VOUCHER_REFUSED', `the voucher service refused token ${TOKEN}`, { plugin: 'voucher' }))).toBe(1);
    expect(err).toBe('error [VOUCHER_REFUSED]: the voucher service refused token [redacted]\n');
  });

  it('are never quoted by the plugin\'s own schema errors (exit 2)', async () => {
    const short = VOUCHER.split(' ').slice(1).join(' ');
    const r = await cli(['config', 'show', '--config', await config()], { ...env, VOUCHER: short });
    expect(r.code).toBe(2);
    expect(r.err).toContain('plugins.voucher.voucherCode');
    expect(r.err).not.toContain('zebra');
    expect(r.err).not.toContain('yacht xenon');
  });
});

describe('a plugin\'s currencies', () => {
  it('are budget and price-cap keys, counted in their declared decimals, and shown back as decimal text', async () => {
    const file = await config((y) => y.replace('budget: { TON: "50", XTR: "10000" }', 'budget: { TON: "50", XTR: "10000", VCH: "12.5" }')
      .replace('maxPricePerPack: { TON: "3.5", XTR: "500" }', 'maxPricePerPack: { TON: "3.5", XTR: "500", VCH: "0.75" }\n    budget: { CPN: "40" }'));
    const { config: loaded } = await loadValidatedConfig({ file, env });
    expect(loaded.budget).toEqual({ TON: 50_000_000_000n, XTR: 10_000n, VCH: 1250n });
    expect(loaded.targets[0]!.maxPricePerPack['VCH']).toBe(75n);
    expect(loaded.targets[0]!.budget).toEqual({ CPN: 40n });
    const r = await cli(['config', 'show', '--config', file], env);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/VCH: "?12\.5"?/);
    expect(r.out).toMatch(/VCH: "?0\.75"?/);
  });

  it('take an amount from the environment by its code as written', async () => {
    const { config: loaded } = await loadValidatedConfig({ file: await config(), env: { ...env, AUTOMINT__BUDGET__VCH: '3.01' } });
    expect(loaded.budget['VCH']).toBe(301n);
  });

  it('refuse a currency no plugin declares with exit 2, naming the key and the currencies the plugins declare', async () => {
    const file = await config((y) => y.replace('maxPricePerPack: { TON: "3.5", XTR: "500" }', 'maxPricePerPack: { TON: "3.5", XTR: "500" }\n    budget: { ZZZ: "1" }'));
    const r = await cli(['config', 'show', '--config', file], env);
    expect(r.code).toBe(2);
    expect(r.err).toContain('targets[0].budget.ZZZ: unknown currency ZZZ');
    expect(r.err).toMatch(/currencies the plugins declare: TON, XTR, .*VCH/);
  });

  it('refuse more decimals than the currency declares, and a code in lower case', async () => {
    const decimals = await cli(['config', 'show', '--config', await config((y) => y.replace('XTR: "10000" }', 'XTR: "10000", VCH: "1.005" }'))], env);
    expect(decimals.code).toBe(2);
    expect(decimals.err).toContain('budget.VCH: invalid VCH amount "1.005": more than 2 decimal places');
    const lower = await cli(['config', 'show', '--config', await config((y) => y.replace('XTR: "10000" }', 'xtr: "1" }'))], env);
    expect(lower.code).toBe(2);
    expect(lower.err).toContain('budget.xtr: not a currency code');
  });

  it('refuse a currency whose only plugin is switched off', async () => {
    const file = await config((y) => y.replace('budget: { TON: "50", XTR: "10000" }', 'budget: { TON: "50", CPN: "5" }')
      .replace('  voucher:\n', '  coupon: { enabled: false }\n  voucher:\n'));
    const r = await cli(['config', 'show', '--config', file], env);
    expect(r.code).toBe(2);
    expect(r.err).toContain('budget.CPN: no enabled plugin declares currency CPN');
    expect(r.err).not.toMatch(/enabled plugins declare: [^\n]*CPN/);
  });

  it('refuse a plugin that gives a known currency other decimals, at its plugins.paths entry', async () => {
    const file = await config((y) => y.replace('paths: [automint-voucher, automint-coupon]', 'paths: [automint-voucher, automint-bad-ton]'));
    const r = await cli(['config', 'show', '--config', file], env);
    expect(r.code).toBe(2);
    expect(r.err).toContain('plugins.paths[1]');
    expect(r.err).toContain('plugin bad-ton declares currency TON with 6 decimals, but host declared it with 9');
  });
});
