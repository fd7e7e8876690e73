/** The options every config-reading command shares: the config file, and the flags that override configuration keys
 *  (turned into loadConfig flags). Plugins' commands add the same ones through their CommandKit. */
import { Option, type Command } from 'commander';
import type { ConfigFlags } from '../core/config/load.js';
import type { ConfigCommandOptions } from '../core/plugins/command.js';

export type { ConfigCommandOptions };

const PROFILES = ['safe', 'balanced', 'fast', 'aggressive', 'extreme'];

/** `-c, --config <file>`: optional as made; commands that need a config make it mandatory. */
export const configOption = (): Option => new Option('-c, --config <file>', 'configuration file (YAML)');

/** The flags that override configuration keys, shared by every command that reads a config. */
export function withOverrides(cmd: Command): Command {
  return cmd
    .addOption(new Option('--profile <name>', 'speed profile').choices(PROFILES))
    .option('--dry-run', 'watch and evaluate only: create no orders, move no money')
    .option('--data-dir <dir>', 'folder of the ledger and secret files')
    .option('--set <key=value...>', 'set any configuration key, e.g. --set targets[0].packs=5');
}

/** The flags part of the options. */
export function configFlags(o: ConfigCommandOptions): ConfigFlags {
  return { profile: o.profile, dryRun: o.dryRun, dataDir: o.dataDir, set: o.set };
}
