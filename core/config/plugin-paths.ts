/** Where the entries of `plugins.paths` point. A file or folder entry (starting with `./`, `../` or `/`, or ending in
 *  `.js`/`.ts`) is read against a base folder; anything else is a package name, resolved from the same folder the
 *  way Node resolves `require(name)` from a file there (its node_modules, then its parents'). The base is the
 *  configuration file's folder for an entry written in the file, the working directory for one set by `--set` or the
 *  environment (and when there is no file). A package that is not installed is a ConfigError at its entry. */
import { resolve } from 'node:path';
import { isFilePathEntry, resolvePluginPackage } from '../plugins/plugin-module.js';
import { ConfigError } from './config-error.js';
import { formatPath, type ConfigPath } from './config-path.js';
import type { Locate } from './zod-issues.js';

/** The `plugins.paths` of a configuration tree not validated yet, or undefined when it is not a list of text (the
 *  schema will say what is wrong with it). */
export function pluginPathsOf(tree: Readonly<Record<string, unknown>>): string[] | undefined {
  const plugins = tree['plugins'];
  const paths = typeof plugins === 'object' && plugins !== null ? (plugins as Record<string, unknown>)['paths'] : undefined;
  return Array.isArray(paths) && paths.every((p): p is string => typeof p === 'string' && p !== '') ? paths : undefined;
}

/** Each entry made absolute: a file or folder against its base, a package name to the module file it resolves to.
 *  `baseFor` gives the base folder of the entry at a key path. Throws ConfigError for a package not installed. */
export function resolvePluginPaths(
  entries: readonly string[], baseFor: (path: ConfigPath) => string, locate: Locate, file: string | undefined,
): string[] {
  return entries.map((entry, i) => {
    const path: ConfigPath = ['plugins', 'paths', i];
    const base = baseFor(path);
    if (isFilePathEntry(entry)) return resolve(base, entry);
    const module = resolvePluginPackage(entry, base);
    if (module !== null) return module;
    throw new ConfigError('CONFIG_INVALID', [{
      path: formatPath(path),
      message: `no installed package "${entry}" found from ${base} (looked in node_modules there and in its parents); install it there, or write a file path starting with ./`,
      where: locate(path),
    }], file);
  });
}
