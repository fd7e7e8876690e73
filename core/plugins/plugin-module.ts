/** Finding and importing one plugin module: a file, a folder (its package.json entry or index), or an installed
 *  package resolved from a folder the way Node resolves `require(name)` from a file there (`createRequire`), ESM or
 *  CommonJS. What the module exports as its manifest is checked here: the brand, the fields the host reads, and the
 *  host version range, with both versions in the message when it does not match. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HOST_VERSION, isPluginManifest, manifestProblem, type PluginManifest } from './manifest.js';
import { declarePluginSecretKeys } from '../config/secret-paths.js';
import { CurrencyDeclarationInvalid, declareCurrency } from '../money.js';
import { satisfiesHostVersion } from './host-version.js';
import { PluginError } from './plugin-error.js';

/** `plugins.paths` entries that name files or folders; the others are package names. */
export function isFilePathEntry(entry: string): boolean {
  return /^\.\.?(\/|$)/.test(entry) || path.isAbsolute(entry) || /\.[cm]?[jt]s$/.test(entry);
}

/** The conditions an ESM-only package's `exports` is read with, in Node's order for `import`. */
const IMPORT_CONDITIONS = ['import', 'node', 'default'];

/** The entry an `exports` field gives `import` for the package root, or undefined. */
function importEntry(exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports;
  if (Array.isArray(exports)) return exports.map(importEntry).find((e) => e !== undefined);
  if (typeof exports !== 'object' || exports === null) return undefined;
  const map = exports as Record<string, unknown>;
  if ('.' in map) return importEntry(map['.']);
  for (const condition of IMPORT_CONDITIONS) {
    if (condition in map) {
      const entry = importEntry(map[condition]);
      if (entry !== undefined) return entry;
    }
  }
  return undefined;
}

/** The module file of installed package `name`, looked up from `fromDir` and its parents' node_modules, or null.
 *  `require.resolve` first (main, exports with require/default, CommonJS); an ESM-only package (exports with `import`
 *  only) is read from its package.json in the folder require would have used. */
export function resolvePluginPackage(name: string, fromDir: string): string | null {
  const require = createRequire(path.join(fromDir, 'automint-plugins.cjs'));
  try {
    return require.resolve(name);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') return null;
  }
  for (const dir of require.resolve.paths(name) ?? []) {
    const manifest = path.join(dir, name, 'package.json');
    if (!existsSync(manifest)) continue;
    const entry = importEntry((JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: unknown }).exports);
    return entry === undefined ? null : path.resolve(dir, name, entry);
  }
  return null;
}

/** The module file a file-or-folder entry names: the file itself, or a folder's package entry (`exports` for
 *  import, else `main`) or index file. */
export function pluginFile(entry: string): string | null {
  if (!existsSync(entry)) return null;
  if (!statSync(entry).isDirectory()) return entry;
  const packageJson = path.join(entry, 'package.json');
  if (existsSync(packageJson)) {
    const pkg = JSON.parse(readFileSync(packageJson, 'utf8')) as { exports?: unknown; main?: unknown };
    const declared = importEntry(pkg.exports) ?? (typeof pkg.main === 'string' ? pkg.main : undefined);
    if (declared !== undefined) return tryResolve(path.resolve(entry, declared));
  }
  for (const name of ['index.js', 'index.mjs', 'index.cjs', 'index.ts']) {
    const file = path.join(entry, name);
    if (existsSync(file)) return file;
  }
  return null;
}

/** A file path as `require` completes it (`./lib/main` → `./lib/main.js`), or null when nothing is there. */
function tryResolve(file: string): string | null {
  if (existsSync(file) && statSync(file).isFile()) return file;
  try {
    return createRequire(file).resolve(file);
  } catch {
    return null;
  }
}

/** The manifest a module exports: an ES module's default export, a CommonJS module's `module.exports` (which Node
 *  hands over as the default) or its `exports.default`. */
function exportedManifest(mod: Record<string, unknown>): unknown {
  const first = mod['default'];
  if (isPluginManifest(first)) return first;
  const nested = (first as { default?: unknown } | null | undefined)?.default;
  return nested ?? first;
}

/** Imports `file` and returns its checked manifest; `source` is what the configuration wrote (for messages). */
export async function importManifest(file: string, source: string): Promise<PluginManifest> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    throw new PluginError('PLUGIN_LOAD_FAILED', `could not load plugin module ${file}: ${(e as Error).message}`, { plugin: file, source }, { cause: e });
  }
  return checkedManifest(exportedManifest(mod), file, source);
}

/** `value` checked as a plugin manifest (brand, fields, host version range); `where` names it in messages (its file,
 *  or what a test handed over). */
export function checkedManifest(value: unknown, where: string, source: string): PluginManifest {
  if (!isPluginManifest(value)) {
    throw new PluginError('PLUGIN_NOT_A_MANIFEST', `${where} does not export a plugin manifest as default (use definePlugin, or export an object with $$type 'automint.plugin/1')`, { plugin: where, source });
  }
  const problem = manifestProblem(value);
  if (problem !== undefined) {
    throw new PluginError('PLUGIN_NOT_A_MANIFEST', `plugin ${value.id} (${where}): ${problem}`, { plugin: value.id, source });
  }
  if (!satisfiesHostVersion(value.hostVersion, HOST_VERSION)) {
    throw new PluginError(
      'PLUGIN_HOST_VERSION',
      `plugin ${value.id} (${source}) is made for automint host version ${value.hostVersion}, but this host is version ${HOST_VERSION}: install a release of the plugin made for host ${HOST_VERSION}`,
      { plugin: value.id, source },
    );
  }
  return value;
}

/** Makes what a found plugin declares known before any configuration is read: its currencies (budgets and price caps
 *  accept them) and its secret keys (redacted by `config show`, scrubbed from logs). */
export function adoptDeclarations(manifest: PluginManifest, source: string): void {
  try {
    for (const currency of manifest.currencies ?? []) declareCurrency(currency, `plugin ${manifest.id}`);
  } catch (e) {
    if (!(e instanceof CurrencyDeclarationInvalid)) throw e;
    throw new PluginError('PLUGIN_NOT_A_MANIFEST', e.message, { plugin: manifest.id, source }, { cause: e });
  }
  declarePluginSecretKeys(manifest.id, manifest.secretKeys ?? []);
}
