/** Loading third-party plugins the ways a user installs them: a package in node_modules next to the config file
 *  (ESM or CommonJS), or a file path relative to the config file, whatever the working directory. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadValidatedConfig } from '../../../../core/config/load.js';
import { discoverPlugins } from '../../../../core/plugins/host.js';
import { ENV, VALID_YAML, configErrorOfAsync } from '../config/config-fixture.js';
import { cjsPlugin, esmPlugin, installPackage, projectFolder } from '../../../support/plugin-packages.js';

let dir: string;
let remove: () => Promise<void>;
beforeEach(async () => {
  ({ dir, remove } = await projectFolder());
});
afterEach(() => remove());

/** Writes the fixture config into `folder` with `paths` as its plugins.paths; returns the file. */
async function configWith(paths: readonly string[], folder = dir): Promise<string> {
  const file = path.join(folder, 'automint.yaml');
  await mkdir(folder, { recursive: true });
  await writeFile(file, VALID_YAML.replace('plugins:\n', `plugins:\n  paths: ${JSON.stringify(paths)}\n`));
  return file;
}

/** The ids and sources of the plugins the loaded config's paths name. */
async function found(file: string): Promise<{ paths: string[]; ids: string[] }> {
  const { config } = await loadValidatedConfig({ file, env: ENV });
  const plugins = await discoverPlugins(config.plugins.paths);
  return { paths: config.plugins.paths, ids: plugins.filter((p) => p.source !== 'built-in').map((p) => p.manifest.id) };
}

describe('plugins from installed packages', () => {
  it('loads an ES module package named in plugins.paths, resolved from the config file\'s folder, not the working directory', async () => {
    const root = await installPackage(dir, 'automint-voucher', { type: 'module', main: 'index.js' }, { 'index.js': esmPlugin({ id: 'voucher' }) });
    expect(process.cwd()).not.toBe(dir);
    const { paths, ids } = await found(await configWith(['automint-voucher']));
    expect(paths).toEqual([path.join(root, 'index.js')]);
    expect(ids).toEqual(['voucher']);
  });

  it('loads a CommonJS package whose module.exports is the manifest', async () => {
    await installPackage(dir, 'automint-cash', { main: 'lib/main.js' }, { 'lib/main.js': cjsPlugin({ id: 'cash' }) });
    expect((await found(await configWith(['automint-cash']))).ids).toEqual(['cash']);
  });

  it('loads a CommonJS package that sets exports.default, and a scoped package', async () => {
    await installPackage(dir, '@acme/automint-gift', {}, { 'index.js': cjsPlugin({ id: 'gift' }, 'exports.default') });
    expect((await found(await configWith(['@acme/automint-gift']))).ids).toEqual(['gift']);
  });

  it('loads an ES-module-only package whose exports offer only an import entry', async () => {
    await installPackage(dir, 'automint-esm-only', { type: 'module', exports: { '.': { import: './dist/plugin.js' } } }, {
      'dist/plugin.js': esmPlugin({ id: 'esm-only' }),
    });
    expect((await found(await configWith(['automint-esm-only']))).ids).toEqual(['esm-only']);
  });

  it('finds a package installed in a parent folder of the config file, as Node does', async () => {
    await installPackage(dir, 'automint-parent', { type: 'module' }, { 'index.js': esmPlugin({ id: 'parent' }) });
    expect((await found(await configWith(['automint-parent'], path.join(dir, 'configs', 'prod')))).ids).toEqual(['parent']);
  });

  it('refuses a package that is not installed, at its entry, naming the folder it looked from', async () => {
    const file = await configWith(['automint-missing']);
    const e = await configErrorOfAsync(() => loadValidatedConfig({ file, env: ENV }));
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.path).toBe('plugins.paths[0]');
    expect(e.issues[0]!.message).toContain(`no installed package "automint-missing" found from ${dir}`);
    expect(e.issues[0]!.where).toMatch(/automint\.yaml:\d+:\d+$/);
  });

  it('refuses a package whose manifest wants another host version, naming both versions', async () => {
    await installPackage(dir, 'automint-future', { type: 'module' }, { 'index.js': esmPlugin({ id: 'future', hostVersion: '^2' }) });
    const file = await configWith(['automint-future']);
    const e = await configErrorOfAsync(() => loadValidatedConfig({ file, env: ENV }));
    expect(e.path).toBe('plugins.paths[0]');
    expect(e.issues[0]!.message).toContain('plugin future (');
    expect(e.issues[0]!.message).toContain('made for automint host version ^2, but this host is version 1.0.0');
  });
});

describe('plugins from file paths', () => {
  it('loads a plugin file from a path relative to the config file, whatever the working directory', async () => {
    await mkdir(path.join(dir, 'plugins'));
    await writeFile(path.join(dir, 'plugins', 'cash.mjs'), esmPlugin({ id: 'cash' }));
    const { paths, ids } = await found(await configWith(['../plugins/cash.mjs'], path.join(dir, 'conf')));
    expect(paths).toEqual([path.join(dir, 'plugins', 'cash.mjs')]);
    expect(ids).toEqual(['cash']);
  });

  it('loads a plugin folder by its package.json entry, a CommonJS file by its module.exports', async () => {
    await mkdir(path.join(dir, 'local-plugin'));
    await writeFile(path.join(dir, 'local-plugin', 'package.json'), JSON.stringify({ main: 'plugin.cjs' }));
    await writeFile(path.join(dir, 'local-plugin', 'plugin.cjs'), cjsPlugin({ id: 'local' }));
    expect((await found(await configWith(['./local-plugin']))).ids).toEqual(['local']);
  });
});
