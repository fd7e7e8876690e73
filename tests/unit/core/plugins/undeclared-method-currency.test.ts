/** A payment method that settles in a currency no plugin declares is refused once the plugins are registered: every
 *  method already made (the bad one and the good ones) is closed, as are the plugins, and the error says what is
 *  wrong (PLUGIN_CURRENCY_UNDECLARED, a fault of the plugin's manifest, not of the user's config). */
import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { container } from 'tsyringe';
import { pino } from 'pino';
import { discoverPlugins, registerPlugins } from '../../../../core/plugins/host.js';
import { PluginError } from '../../../../core/plugins/plugin-error.js';
import { CONFIG, LOGGER } from '../../../../core/plugins/tokens.js';

let dir: string;
const manifestModule = path.resolve('core/plugins/manifest.ts');
const paymentModule = path.resolve('core/plugins/payment.ts');
const closed = Symbol.for('automint.test.closed-methods');

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-plugins-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A payment plugin `id` whose method settles in `currency` and records its close on globalThis. */
async function paymentPlugin(id: string, currency: string): Promise<string> {
  const file = path.join(dir, `${id}.ts`);
  const method = `{ id: '${id}', currency: '${currency}', orderPolicy: { toleranceBps: 0, expiryMarginMs: 0 }, prepare: async () => {},
    capacity: async () => 0n, steps: () => { throw new Error('unused'); }, reconcile: async () => ({ outcome: 'unknown', reason: 'x' }),
    close: async () => { ((globalThis as any)[Symbol.for('automint.test.closed-methods')] ??= []).push('${id}'); } }`;
  await writeFile(file, `import { definePlugin } from ${JSON.stringify(pathToFileURL(manifestModule).href)};
import { PAYMENT_METHOD } from ${JSON.stringify(pathToFileURL(paymentModule).href)};
import { z } from 'zod';
export default definePlugin({ kind: 'payment', id: '${id}', description: 'test', hostVersion: '^1', configSchema: z.object({}).strict(),
  register(c) { c.register(PAYMENT_METHOD, { useFactory: () => (${method}) }); } });
`);
  return file;
}

describe('a payment method in a currency no plugin declares', () => {
  it('closes every method already made and refuses with PLUGIN_CURRENCY_UNDECLARED (not a config fault)', async () => {
    const found = await discoverPlugins([await paymentPlugin('cash', 'XTR'), await paymentPlugin('odd', 'ODDCOIN')]);
    const scope = container.createChildContainer();
    scope.register(CONFIG, { useValue: { wallets: [], accounts: [] } as never });
    scope.register(LOGGER, { useValue: pino({ level: 'silent' }) });
    const error = await registerPlugins(scope, found, {}, new Set(['cash', 'odd'])).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(PluginError);
    expect(error).toMatchObject({ code: 'PLUGIN_CURRENCY_UNDECLARED', details: { plugin: 'odd' } });
    expect((error as PluginError).message).toMatch(/payment method odd settles in ODDCOIN, which no plugin declares/);
    expect((error as PluginError).isConfigFault).toBe(false);
    expect([...((globalThis as Record<symbol, string[] | undefined>)[closed] ?? [])].sort()).toEqual(['cash', 'odd']);
  });
});
