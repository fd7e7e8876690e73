/** Only payment plugins pay: a notifier (or any other kind) named where a payment method goes is refused at that key
 *  with exit 2, by every command, before anything is opened or armed. */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import 'reflect-metadata';
import { container } from 'tsyringe';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { reportFailure } from '../../../../cli/failure.js';
import { discoverPlugins, registerPlugins } from '../../../../core/plugins/host.js';
import { cli } from '../../../support/cli-in-process.js';
import { esmPlugin, projectFolder } from '../../../support/plugin-packages.js';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl';

let dir: string;
let remove: () => Promise<void>;
let pager: string;
beforeAll(async () => {
  ({ dir, remove } = await projectFolder());
  pager = path.join(dir, 'pager.mjs');
  await writeFile(pager, esmPlugin({ id: 'pager', kind: 'notifier' }));
});
afterAll(() => remove());

/** A config file buying with `methods` (and `extra` keys), the pager plugin loaded; returns the file and its data dir. */
async function config(extra: Record<string, unknown>): Promise<{ file: string; dataDir: string }> {
  const dataDir = path.join(dir, `data-${Math.random().toString(36).slice(2)}`);
  const file = path.join(dir, `automint-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, YAML.stringify({
    dataDir, store: { baseUrl: 'http://127.0.0.1:9' }, accounts: [{ name: 'alice', storeToken: TOKEN }],
    budget: { XTR: '100' }, plugins: { paths: ['./pager.mjs'] }, ...extra,
  }));
  return { file, dataDir };
}

describe('plugin kinds where payment methods go', () => {
  it('refuses a notifier in targets[].methods when running: exit 2 at the key path, nothing opened', async () => {
    const { file, dataDir } = await config({ targets: [{ collection: 1, character: 1, packs: 1, methods: ['stars', 'pager'] }] });
    const r = await cli(['run', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('targets[0].methods[1]: plugin "pager" is a notifier plugin, not a payment method (payment plugins: stars, ton)');
    expect(r.err).not.toContain('see the errors above');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses a notifier in a snipe filter\'s methods and in split shares, each at its key', async () => {
    const { file } = await config({
      snipe: [{ match: {}, packs: 1, methods: ['pager'], split: { policy: 'split', shares: { pager: 1 } } }],
      split: { shares: { pager: 2 } },
    });
    const r = await cli(['doctor', '--config', file]);
    expect(r.code).toBe(2);
    for (const key of ['snipe[0].methods[0]', 'snipe[0].split.shares.pager', 'split.shares.pager']) expect(r.err).toContain(`${key}: plugin "pager" is a notifier plugin`);
  });

  it('refuses it when registering too, for a config that skipped the check (exit 2, not an arming failure)', async () => {
    const found = await discoverPlugins([pager]);
    const e = await registerPlugins(container.createChildContainer(), found, {}, new Set(['pager'])).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PLUGIN_NOT_PAYMENT', details: { plugin: 'pager', path: 'targets[].methods' } });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(reportFailure(e)).toBe(2);
    vi.restoreAllMocks();
  });
});
