/** Finding the commands plugins contribute (command.ts), for the CLI to list and run.
 *
 *  A built-in plugin keeps its declarations in a `commands` module beside its index (`plugins/stars/commands.ts`,
 *  whose list the manifest's `commands` is too): reading the manifest would import its config schema and zod, about
 *  as long again as bare Node takes to start, and `automint --help` must list the commands without that. An external
 *  plugin's are read from its manifest, which is only possible once a configuration names it in `plugins.paths`. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtinPluginDir } from './builtin-dir.js';
import { commandsProblem, type PluginCommand } from './command.js';
import { PluginError } from './plugin-error.js';

/** A command and the plugin that declares it. */
export interface DeclaredCommand {
  readonly command: PluginCommand;
  /** The built-in plugin's folder name, or the `plugins.paths` entry the plugin was loaded from. */
  readonly plugin: string;
}

/** The commands of every built-in plugin, in the order of their folders. A malformed declaration is the built-in's
 *  bug: PLUGIN_NOT_A_MANIFEST. */
export async function builtinCommands(dir = builtinPluginDir()): Promise<DeclaredCommand[]> {
  if (!existsSync(dir)) return [];
  const found: DeclaredCommand[] = [];
  // By code unit, not localeCompare: its first call loads ICU's collation, ~6 ms of `automint --help`'s ~20.
  const folders = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  for (const name of folders) {
    const file = ['commands.js', 'commands.ts'].map((n) => path.join(dir, name, n)).find((f) => existsSync(f));
    if (file === undefined) continue;
    const commands = ((await import(pathToFileURL(file).href)) as { commands?: unknown }).commands;
    const problem = commandsProblem(commands);
    if (problem !== undefined) {
      throw new PluginError('PLUGIN_NOT_A_MANIFEST', `built-in plugin ${name} (${file}): ${problem}`, { plugin: name, source: 'built-in' });
    }
    found.push(...(commands as PluginCommand[]).map((command) => ({ command, plugin: name })));
  }
  return found;
}

/** The commands of the external plugins at `paths` (absolute files or folders, as the configuration loader resolved
 *  `plugins.paths`), each manifest loaded and checked as a run loads it. */
export async function externalCommands(paths: readonly string[]): Promise<DeclaredCommand[]> {
  const { importManifest, pluginFile } = await import('./plugin-module.js');
  const found: DeclaredCommand[] = [];
  for (const p of paths) {
    const file = pluginFile(p);
    if (file === null) throw new PluginError('PLUGIN_NOT_FOUND', `no plugin module at ${p}`, { plugin: p, path: 'plugins.paths', source: p });
    const manifest = await importManifest(file, p);
    found.push(...(manifest.commands ?? []).map((command) => ({ command, plugin: manifest.id })));
  }
  return found;
}
