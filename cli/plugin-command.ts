/** A plugin's command on the program: a stand-in with the declared name and description (all `automint --help`
 *  needs), which on its first use imports the command's module, puts the real command in its place and hands it the
 *  words it was given. Its own options, sub-commands and help are therefore the real command's: `automint login
 *  --help`, `automint help session` and a missing `--account` all answer as if it had been defined from the start. */
import type { Command } from 'commander';
import { isPluginCommandModule } from '../core/plugins/command.js';
import type { DeclaredCommand } from '../core/plugins/plugin-commands.js';
import { PluginError } from '../core/plugins/plugin-error.js';

/** Stand-ins, and what `automint --help` shows after their names (commander would show nothing: they declare no
 *  options of their own). */
const usageOf = new WeakMap<Command, string>();
/** Stand-ins, and what swaps the real command in for each (once). */
const realOf = new WeakMap<Command, () => Promise<Command>>();

/** The help term of a command in its parent's list: a stand-in's declared usage, else commander's own term. */
export function pluginAwareTerm(cmd: Command, commanderTerm: (cmd: Command) => string): string {
  const usage = usageOf.get(cmd);
  return usage === undefined ? commanderTerm(cmd) : [cmd.name(), usage].filter((s) => s !== '').join(' ');
}

/** Names the program takes after the plugins' commands are added: commander's `help` and the host's `plugins`. */
const NAMES_ADDED_LATER = new Set(['help', 'plugins']);

/** Adds `declared` to `program` as a stand-in, and says whether it did. A name the program already has is left out
 *  with a warning on stderr: a plugin cannot replace a host command, nor another plugin's, and one plugin's clash must
 *  not take every command down with it (`automint plugins -c …`, the command to look into it, included). */
export function addPluginCommand(
  program: Command, { command: spec, plugin }: DeclaredCommand, warn: (line: string) => void = (line) => process.stderr.write(line),
): boolean {
  if (NAMES_ADDED_LATER.has(spec.name) || program.commands.some((c) => c.name() === spec.name || c.aliases().includes(spec.name))) {
    warn(`warning: plugin ${plugin} declares the command "${spec.name}", which automint already has; it is left out\n`);
    return false;
  }
  const standIn = program
    .command(spec.name)
    .description(spec.description)
    // Every word after the name, options and --help included, is the real command's to read.
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async () => {
      const words = [...standIn.args];
      const real = await realOf.get(standIn)!();
      await real.parseAsync(words, { from: 'user' });
    });
  usageOf.set(standIn, spec.usage ?? '');
  let real: Promise<Command> | undefined;
  realOf.set(standIn, () => (real ??= realCommand(program, standIn, spec.name, spec.description, spec.load, plugin)));
  return true;
}

/** The command `argv` (process.argv form) runs, or asks help for (`automint help session`): its first word that is
 *  no option nor the file after `-c`/`--config`; undefined when there is none. */
export function commandWordOf(argv: readonly string[]): string | undefined {
  const words = argv.slice(2).filter((w, i, all) => !w.startsWith('-') && all[i - 1] !== '-c' && all[i - 1] !== '--config');
  return words[0] === 'help' ? words[1] : words[0];
}

/** Swaps in the real command `argv` (process.argv form) runs, or asks help for (`automint help session`), before
 *  commander parses: its help is printed by commander itself, without running the stand-in's action. */
export async function preparePluginCommand(program: Command, argv: readonly string[]): Promise<void> {
  const standIn = program.commands.find((c) => c.name() === commandWordOf(argv));
  if (standIn !== undefined && realOf.has(standIn)) await realOf.get(standIn)!();
}

/** Loads the command's module and swaps the real command in for the stand-in, with the program's settings
 *  (exit override, help after errors) as commander gives any sub-command. */
async function realCommand(
  program: Command, standIn: Command, name: string, description: string, load: () => Promise<unknown>, plugin: string,
): Promise<Command> {
  const module = await load();
  if (!isPluginCommandModule(module)) {
    throw new PluginError('PLUGIN_LOAD_FAILED', `plugin ${plugin}: the module of its command "${name}" does not export defineCommand(command, kit)`, { plugin });
  }
  const { commandKit } = await import('./command-kit.js');
  const commands = program.commands as Command[];
  commands.splice(commands.indexOf(standIn), 1);
  const real = program.createCommand(name).description(description);
  real.copyInheritedSettings(program);
  program.addCommand(real);
  module.defineCommand(real, commandKit);
  return real;
}
