import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { container } from 'tsyringe';
import { pino } from 'pino';
import { discoverPlugins, registerPlugins } from '../../../../core/plugins/host.js';
import { PAYMENT_METHOD, type PaymentMethod } from '../../../../core/plugins/payment.js';
import { PluginError } from '../../../../core/plugins/plugin-error.js';
import { CONFIG, LOGGER } from '../../../../core/plugins/tokens.js';

let dir: string;
const manifestModule = path.resolve('core/plugins/manifest.js').replace(/\.js$/, '.ts');
const paymentModule = path.resolve('core/plugins/payment.ts');

/** Writes a third-party-style plugin module into the temp folder and returns its path. */
async function plugin(name: string, body: string): Promise<string> {
  const file = path.join(dir, `${name}.ts`);
  await writeFile(file, `import { definePlugin } from ${JSON.stringify(pathToFileURL(manifestModule).href)};\n` +
    `import { PAYMENT_METHOD } from ${JSON.stringify(pathToFileURL(paymentModule).href)};\nimport { z } from 'zod';\n${body}\n`);
  return file;
}

const fakeMethod = `{ id: 'cash', currency: 'XTR', orderPolicy: { toleranceBps: 0, expiryMarginMs: 0 }, prepare: async () => {},
  capacity: async () => 0n, steps: () => { throw new Error('unused'); }, reconcile: async () => ({ outcome: 'unknown', reason: 'x' }), close: async () => {} }`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-plugins-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function scope() {
  const c = container.createChildContainer();
  c.register(CONFIG, { useValue: { wallets: [], accounts: [] } as never });
  c.register(LOGGER, { useValue: pino({ level: 'silent' }) });
  return c;
}

describe('plugin host', () => {
  it('discovers the built-in TON plugin without being told about it', async () => {
    const found = await discoverPlugins();
    expect(found.map((p) => [p.manifest.id, p.manifest.kind, p.source])).toContainEqual(['ton', 'payment', 'built-in']);
  });

  it('loads a third-party payment method from a path and finds it with resolveAll', async () => {
    const file = await plugin('cash', `export default definePlugin({ kind: 'payment', id: 'cash', description: 'test', hostVersion: '^1',
      configSchema: z.object({ fee: z.number().int().min(0).default(0) }).strict(),
      register(c, cfg) { c.register(PAYMENT_METHOD, { useValue: { ...${fakeMethod}, fee: cfg.fee } }); } });`);
    const found = await discoverPlugins([file]);
    const { payments, loaded } = await registerPlugins(scope(), found, { cash: { fee: 3 } }, new Set(['cash']));
    expect(payments.map((p: PaymentMethod) => p.id)).toEqual(['cash']);
    expect((payments[0] as unknown as { fee: number }).fee).toBe(3);
    expect(loaded.find((l) => l.id === 'ton')?.enabled).toBe(false);
    expect(loaded.find((l) => l.id === 'cash')?.enabled).toBe(true);
  });

  it('names the key when a plugin config block is invalid', async () => {
    const found = await discoverPlugins();
    const err = await registerPlugins(scope(), found, { ton: { toleranceBps: -5 } }, new Set(['ton'])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe('PLUGIN_CONFIG_INVALID');
    expect((err as PluginError).message).toContain('plugins.ton.toleranceBps');
    expect((err as PluginError).isConfigFault).toBe(true);
  });

  it('refuses an unknown key in a plugin block', async () => {
    const err = await registerPlugins(scope(), await discoverPlugins(), { ton: { endpont: 'http://x' } }, new Set(['ton'])).catch((e: unknown) => e);
    expect((err as PluginError).message).toMatch(/plugins\.ton/);
  });

  it('says which plugin is missing when a target pays with an unknown method or config names one', async () => {
    const found = await discoverPlugins();
    await expect(registerPlugins(scope(), found, {}, new Set(['paypal']))).rejects.toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
    await expect(registerPlugins(scope(), found, { nosuch: {} }, new Set())).rejects.toMatchObject({ code: 'PLUGIN_NOT_FOUND', details: { path: 'plugins.nosuch' } });
  });

  it('refuses a module that does not export a branded manifest', async () => {
    const file = path.join(dir, 'plain.ts');
    await writeFile(file, 'export default { id: "plain", register() {} };\n');
    await expect(discoverPlugins([file])).rejects.toMatchObject({ code: 'PLUGIN_NOT_A_MANIFEST' });
  });

  it('refuses a plugin built for another host version', async () => {
    const file = await plugin('future', `export default definePlugin({ kind: 'payment', id: 'future', description: 'x', hostVersion: '^2',
      configSchema: z.object({}), register() {} });`);
    await expect(discoverPlugins([file])).rejects.toMatchObject({ code: 'PLUGIN_HOST_VERSION' });
  });

  it('refuses two plugins with the same id', async () => {
    const file = await plugin('ton-again', `export default definePlugin({ kind: 'payment', id: 'ton', description: 'x', hostVersion: '^1',
      configSchema: z.object({}), register() {} });`);
    await expect(discoverPlugins([file])).rejects.toMatchObject({ code: 'PLUGIN_DUPLICATE' });
  });

  it('reports a path with no module as a config fault', async () => {
    await expect(discoverPlugins([path.join(dir, 'missing.js')])).rejects.toMatchObject({ code: 'PLUGIN_NOT_FOUND' });
  });

  it('does not enable a plugin whose block says enabled: false', async () => {
    const { loaded, payments } = await registerPlugins(scope(), await discoverPlugins(), { ton: { enabled: false } }, new Set());
    expect(loaded.find((l) => l.id === 'ton')?.enabled).toBe(false);
    expect(payments).toEqual([]);
    expect(scope().isRegistered(PAYMENT_METHOD)).toBe(false);
  });
});

describe('closing plugins', () => {
  const calls = (): string[] => ((globalThis as { __automintCloses?: string[] }).__automintCloses ??= []);
  /** A notifier plugin `id` whose close notes its id (and throws when told to). */
  const closer = (id: string, extra = ''): Promise<string> => plugin(`closer-${id}`, `export default definePlugin({ kind: 'notifier', id: '${id}',
    description: 'x', hostVersion: '^1', configSchema: z.object({}).strict(), register() { ${extra} },
    close() { (globalThis.__automintCloses ??= []).push('${id}'); ${id.startsWith('throw') ? "throw new Error('close failed');" : ''} } });`);

  it('calls every registered plugin\'s close once, last registered first, however often close is asked', async () => {
    calls().length = 0;
    const found = await discoverPlugins([await closer('alpha'), await closer('beta'), await closer('idle')]);
    const registered = await registerPlugins(scope(), found, { alpha: {}, beta: {} }, new Set());
    await Promise.all([registered.close(), registered.close()]);
    await registered.close();
    // `idle` has no block and no target names it: never registered, never closed.
    expect(calls()).toEqual(['beta', 'alpha']);
  });

  it('closes the plugins registered before one whose register fails, then throws its error', async () => {
    calls().length = 0;
    const found = await discoverPlugins([await closer('first'), await closer('broken', "throw new Error('register failed');")]);
    await expect(registerPlugins(scope(), found, { first: {}, broken: {} }, new Set())).rejects.toThrow('register failed');
    expect(calls()).toEqual(['broken', 'first']);
  });

  it('logs a close that throws and still closes the others', async () => {
    calls().length = 0;
    const warnings: unknown[] = [];
    const c = container.createChildContainer();
    c.register(LOGGER, { useValue: { warn: (facts: unknown, message: string) => warnings.push([facts, message]) } as never });
    const found = await discoverPlugins([await closer('calm'), await closer('throwing')]);
    const registered = await registerPlugins(c, found, { calm: {}, throwing: {} }, new Set());
    await expect(registered.close()).resolves.toBeUndefined();
    expect(calls()).toEqual(['throwing', 'calm']);
    expect(warnings).toEqual([[{ plugin: 'throwing', err: { message: 'close failed' } }, 'plugin throwing did not close cleanly']]);
  });
});
