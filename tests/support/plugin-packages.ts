/** Third-party plugins as a user installs them: a folder with a config file and node_modules/<package> (ESM or
 *  CommonJS), written without any import from automint (the brand is the string `automint.plugin/1`), with zod
 *  linked in as their dependency. */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const ZOD_DIR = path.resolve('node_modules/zod');

/** What a test plugin's manifest says besides its brand, as JavaScript source for each field. */
export interface PluginSource {
  readonly id: string;
  readonly kind?: string;
  readonly hostVersion?: string;
  /** A zod expression (the module has `z` in scope); `z.object({}).strict()` unless given. */
  readonly configSchema?: string;
  /** Further manifest fields as source (`secretKeys: ['voucherCode'], close() { … },`). */
  readonly extra?: string;
  /** Statements before the manifest (imports need `module` kind). */
  readonly prelude?: string;
}

/** The manifest object literal of a test plugin. */
export function manifestLiteral(p: PluginSource): string {
  return `{ $$type: 'automint.plugin/1', kind: ${JSON.stringify(p.kind ?? 'payment')}, id: ${JSON.stringify(p.id)}, description: 'test plugin ${p.id}',
  hostVersion: ${JSON.stringify(p.hostVersion ?? '^1')}, configSchema: ${p.configSchema ?? 'z.object({}).strict()'},
  register() {}, ${p.extra ?? ''} }`;
}

/** An ES module exporting the manifest as default. */
export function esmPlugin(p: PluginSource): string {
  return `import { z } from 'zod';\n${p.prelude ?? ''}\nexport default ${manifestLiteral(p)};\n`;
}

/** A CommonJS module exporting the manifest as `module.exports` (or `exports.default`). */
export function cjsPlugin(p: PluginSource, as: 'module.exports' | 'exports.default' = 'module.exports'): string {
  return `'use strict';\nconst { z } = require('zod');\n${p.prelude ?? ''}\n${as} = ${manifestLiteral(p)};\n`;
}

/** A temporary folder (the user's project) with zod installed; `remove` deletes it. */
export async function projectFolder(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'automint-plugin-pkg-'));
  await mkdir(path.join(dir, 'node_modules'), { recursive: true });
  await symlink(ZOD_DIR, path.join(dir, 'node_modules', 'zod'), 'dir');
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Installs package `name` into `<dir>/node_modules` with its package.json fields and files. */
export async function installPackage(dir: string, name: string, pkg: Record<string, unknown>, files: Record<string, string>): Promise<string> {
  const root = path.join(dir, 'node_modules', ...name.split('/'));
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, 'package.json'), JSON.stringify({ name, version: '1.0.0', ...pkg }, null, 2));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  return root;
}
