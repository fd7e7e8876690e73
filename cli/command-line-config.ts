/** External plugins' commands for this command line. They live in plugins that only a configuration names
 *  (`plugins.paths`), so they exist when the words name one: `automint voucher-balance -c automint.yaml`, or
 *  `automint help -c automint.yaml` to list them. A configuration that cannot be read (or a plugin that does not
 *  load) adds nothing here: the command that reads it reports what is wrong, with its own exit code. */
import type { DeclaredCommand } from '../core/plugins/plugin-commands.js';

/** The file after `-c`/`--config` (`--config=file`, `-cfile` too), or undefined. */
export function configFileOf(words: readonly string[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '--') return undefined;
    if ((w === '-c' || w === '--config') && i + 1 < words.length) return words[i + 1];
    if (w.startsWith('--config=')) return w.slice('--config='.length);
    if (/^-c[^-]/.test(w)) return w.slice(2);
  }
  return undefined;
}

/** The commands of the external plugins the configuration on `argv` (process.argv form) loads; none without one. */
export async function commandLineConfig(argv: readonly string[]): Promise<DeclaredCommand[]> {
  const file = configFileOf(argv.slice(2));
  if (file === undefined) return [];
  try {
    const { configuredPluginPaths } = await import('../core/config/load.js');
    const paths = await configuredPluginPaths({ file });
    if (paths.length === 0) return [];
    const { externalCommands } = await import('../core/plugins/plugin-commands.js');
    return await externalCommands(paths);
  } catch {
    return [];
  }
}
