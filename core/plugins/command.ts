/** The command contract: `automint` sub-commands a plugin contributes (`automint login`, `automint session …` are the
 *  Stars plugin's). A command is declared by name and description, and its implementation is a module loaded only
 *  when the command runs (or its own help is asked for): `automint --help` lists every command without importing
 *  what implements them, so it starts about as fast as bare Node. Types only, besides the check of a declaration. */
import type { Command } from 'commander';
import type { AutomintConfig } from '../config/schema.js';

/** One command, as a manifest's `commands` declares it. */
export interface PluginCommand {
  /** The word after `automint` (`login`): lower-case letters, digits and dashes; not one of the host's commands. */
  readonly name: string;
  /** One line for `automint --help`. */
  readonly description: string;
  /** What `automint --help` shows after the name, e.g. `[options]` (default: nothing, as for a command that only
   *  groups sub-commands). */
  readonly usage?: string;
  /** Imports the module that defines the command: `() => import('./login-command.js')`. Called once, when the
   *  command is run. */
  load(): Promise<PluginCommandModule>;
}

/** What the module `load` imports exports. */
export interface PluginCommandModule {
  /** Defines the command on `command`, which is already named, described and placed under `automint`: its options,
   *  arguments, sub-commands (`command.command('info')`) and actions. Build options with `command.createOption` and
   *  sub-commands with `command.command`, so the plugin needs no commander of its own. */
  defineCommand(command: Command, kit: CommandKit): void;
}

/** The options `kit.addConfigOption` and `kit.addOverrideOptions` add, as commander parses them. */
export interface ConfigCommandOptions {
  readonly config?: string;
  readonly profile?: string;
  readonly dryRun?: boolean;
  readonly dataDir?: string;
  readonly set?: readonly string[];
}

/** What the host lends a plugin's command, so it reads its configuration and ends like the host's own commands. */
export interface CommandKit {
  /** Adds `-c, --config <file>` (mandatory). The host's commands add it first, then their own options, then the
   *  override flags. */
  addConfigOption(command: Command): Command;
  /** Adds the flags that override configuration keys: `--profile`, `--dry-run`, `--data-dir`, `--set`. */
  addOverrideOptions(command: Command): Command;
  /** Loads and validates the configuration those options name (file, `${VAR}`, AUTOMINT__ environment, flags; the
   *  plugins' blocks by their own schemas) and registers its secrets with the log scrubber. A bad configuration
   *  throws a ConfigError, which `action` turns into exit 2. */
  loadConfig(options: ConfigCommandOptions): Promise<AutomintConfig>;
  /** Wraps an action: the number it returns is the exit code (0 done, 1 failed; none means 0). A throw is reported on
   *  stderr scrubbed of secrets, with the host's exit codes: 2 a bad configuration, 3 a data folder held by a
   *  running bot, 1 anything else. */
  action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void>;
}

const NAME = /^[a-z][a-z0-9-]*$/;

/** What is wrong with a manifest's `commands`, or undefined. */
export function commandsProblem(commands: unknown): string | undefined {
  if (!Array.isArray(commands)) return 'commands must be a list of { name, description, load }';
  const names = new Set<string>();
  for (const c of commands as Partial<PluginCommand>[]) {
    if (typeof c !== 'object' || c === null) return 'commands must be a list of { name, description, load }';
    if (typeof c.name !== 'string' || !NAME.test(c.name)) {
      return `a command's name must be lower-case letters, digits and dashes (found ${JSON.stringify(c.name)})`;
    }
    // Every command line has `help`: a plugin's would take over `automint help`.
    if (c.name === 'help') return 'a command may not be named "help"';
    if (names.has(c.name)) return `the command "${c.name}" is declared twice`;
    names.add(c.name);
    if (typeof c.description !== 'string') return `command ${c.name}: description must be text`;
    if (c.usage !== undefined && typeof c.usage !== 'string') return `command ${c.name}: usage must be text`;
    if (typeof c.load !== 'function') return `command ${c.name}: load must be a function that imports its module`;
  }
  return undefined;
}

/** True when a loaded command module has the shape `PluginCommandModule` asks for. */
export function isPluginCommandModule(value: unknown): value is PluginCommandModule {
  return typeof value === 'object' && value !== null && typeof (value as { defineCommand?: unknown }).defineCommand === 'function';
}
