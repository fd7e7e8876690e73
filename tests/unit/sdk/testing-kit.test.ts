/** The test kit loads a plugin as the host does, whether it is handed the manifest or a module path: the same checks
 *  with the same codes (brand, host version), the same declarations (currencies, secret keys) before the config is
 *  read, and for a notifier, the same subscribing and closing around a bus the test emits on. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePlugin } from '../../../core/plugins/manifest.js';
import { NOTIFIER } from '../../../core/plugins/notifier.js';
import { isKnownCurrency } from '../../../core/money.js';
import { isSecretPath } from '../../../core/config/secret-paths.js';
import { loadNotifierPlugin } from '../../../sdk/testing.js';
import { eventsProbe } from '../../support/events-probe-plugin.js';

const quiet = (over: Partial<Parameters<typeof definePlugin>[0]> = {}) => definePlugin({
  kind: 'notifier', id: 'kit-quiet', description: 'test', hostVersion: '^1', configSchema: z.object({ key: z.string().optional() }).strict(),
  register(c) {
    c.register(NOTIFIER, { useValue: { id: 'kit-quiet', subscribe: () => undefined } });
  },
  ...over,
});

describe('the test kit\'s loaders', () => {
  it('refuse a given manifest made for another host version, and an object that is not a manifest, with the host\'s codes', async () => {
    await expect(loadNotifierPlugin({ plugin: quiet({ hostVersion: '^2' }) })).rejects.toMatchObject({ code: 'PLUGIN_HOST_VERSION' });
    await expect(loadNotifierPlugin({ plugin: { id: 'x' } as never, id: 'x' })).rejects.toMatchObject({ code: 'PLUGIN_NOT_A_MANIFEST' });
  });

  it('make a given manifest\'s currencies and secret keys known, as discovery does', async () => {
    const loaded = await loadNotifierPlugin({ plugin: quiet({ id: 'kit-declares', currencies: [{ code: 'KITX', decimals: 2 }], secretKeys: ['key'] }), config: { key: 'k' } });
    await loaded.close();
    expect(isKnownCurrency('KITX')).toBe(true);
    expect(isSecretPath(['plugins', 'kit-declares', 'key'])).toBe(true);
  });

  it('load a notifier by module path, subscribe it, deliver what the test emits and close it', async () => {
    const loaded = await loadNotifierPlugin({ plugin: path.resolve('tests/support/events-probe-plugin.ts'), id: 'events-probe' });
    expect(loaded.notifiers.map((n) => n.id)).toEqual(['events-probe']);
    loaded.emit({ type: 'sold-out', target: '1:1' });
    // The probe's blocking subscriber would hold the drain for 10 s: a short drain bound, as a run's end would give.
    await loaded.close(200);
    expect(eventsProbe().recorded.map((e) => e.type)).toContain('sold-out');
    expect(eventsProbe().closed).toBe(true);
  });
});
