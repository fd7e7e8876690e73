/** Plugins' commands on the command line: listed by `--help` without loading their modules, loaded once when run (or
 *  when their own help is asked for), given the host's kit; the built-ins' found without a configuration, an external
 *  plugin's when the command line names a configuration that loads it. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { addPluginCommand } from '../../../cli/plugin-command.js';
import { buildProgram, runProgram } from '../../../cli/program.js';
import { captureCli as capture } from '../../support/cli-in-process.js';
import { commandsProblem, type CommandKit, type PluginCommand, type PluginCommandModule } from '../../../core/plugins/command.js';
import { builtinCommands, type DeclaredCommand } from '../../../core/plugins/plugin-commands.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'automint-plugin-commands-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A `hello` command whose module is counted when loaded; its action prints the greeting and exits with --code. */
function hello(): { declared: DeclaredCommand; load: ReturnType<typeof vi.fn> } {
  const module: PluginCommandModule = {
    defineCommand(command: Command, kit: CommandKit) {
      command
        .requiredOption('--name <who>', 'who to greet')
        .option('--code <n>', 'exit code', '0')
        .action(kit.action(async (opts: { name: string; code: string }) => {
          process.stdout.write(`hello ${opts.name}\n`);
          return Number(opts.code);
        }));
    },
  };
  const load = vi.fn(async () => module);
  const command: PluginCommand = { name: 'hello', description: 'greets someone', usage: '[options]', load };
  return { declared: { command, plugin: 'greeter' }, load };
}

const run = (program: Command, argv: string[]) => capture(() => program.exitOverride().parseAsync(['node', 'automint', ...argv]).then(() => undefined));

describe('plugin commands', () => {
  it('--help lists them (with their usage) without loading their modules', async () => {
    const { declared, load } = hello();
    const help = buildProgram([declared]).helpInformation();
    expect(help).toMatch(/hello \[options\]\s+greets someone/);
    expect(load).not.toHaveBeenCalled();
  });

  it('runs one: its module loaded once, its options parsed, its exit code kept', async () => {
    const { declared, load } = hello();
    const r = await run(buildProgram([declared]), ['hello', '--name', 'ada', '--code', '1']);
    expect(r).toEqual({ code: 1, out: 'hello ada\n', err: '' });
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("a usage error of the real command is commander's, with its own usage line", async () => {
    const { declared } = hello();
    await expect(run(buildProgram([declared]), ['hello'])).rejects.toMatchObject({ code: 'commander.missingMandatoryOptionValue' });
  });

  it('its own help is the real command\'s, through runProgram as the binary runs it', async () => {
    const builtins = await builtinCommands();
    expect(builtins.map((d) => d.command.name)).toEqual(['login', 'session']);
    const r = await capture(() => runProgram(['node', 'automint', 'help', 'session']));
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: automint session [options] [command]');
    expect(r.out).toMatch(/info \[options\]/);
    expect(r.out).toMatch(/logout \[options\]/);
  });

  it('a name the program already has (or adds later: help, plugins) is left out with a warning, the rest still there', () => {
    const { declared } = hello();
    const warned: string[] = [];
    const program = new Command();
    program.command('run');
    for (const name of ['run', 'help', 'plugins']) {
      expect(addPluginCommand(program, { ...declared, command: { ...declared.command, name } }, (l) => warned.push(l))).toBe(false);
    }
    expect(addPluginCommand(program, declared, (l) => warned.push(l))).toBe(true);
    expect(warned).toEqual(['run', 'help', 'plugins'].map((n) => expect.stringContaining(`declares the command "${n}", which automint already has`)));
    expect(program.commands.map((c) => c.name())).toEqual(['run', declared.command.name]);
    expect(() => buildProgram([{ ...declared, command: { ...declared.command, name: 'run' } }])).not.toThrow();
  });

  it('refuses a command named help in a manifest', () => {
    expect(commandsProblem([{ name: 'help', description: 'mine', load: async () => ({}) }])).toBe('a command may not be named "help"');
  });

  it("an external plugin's commands are there when the command line names a config that loads it", async () => {
    await writeFile(path.join(dir, 'greet-command.mjs'), [
      'export function defineCommand(command, kit) {',
      "  kit.addConfigOption(command).action(kit.action(async (opts) => { process.stdout.write('greeted from ' + opts.config + '\\n'); return 0; }));",
      '}',
    ].join('\n'));
    await writeFile(path.join(dir, 'greeter.mjs'), [
      "const { z } = await import('zod');",
      'export default {',
      "  $$type: 'automint.plugin/1', kind: 'notifier', id: 'greeter', description: 'greets', hostVersion: '^1',",
      '  configSchema: z.object({}), register() {},',
      "  commands: [{ name: 'greet', description: 'greets from a plugin', load: () => import('./greet-command.mjs') }],",
      '};',
    ].join('\n'));
    const config = path.join(dir, 'automint.yaml');
    await writeFile(config, 'plugins:\n  paths: [./greeter.mjs]\n');
    const r = await capture(() => runProgram(['node', 'automint', 'greet', '-c', config]));
    expect(r).toEqual({ code: 0, out: `greeted from ${config}\n`, err: '' });
    // Without the config the command is unknown (a usage error, exit 2).
    const without = await capture(() => runProgram(['node', 'automint', 'greet']));
    expect(without.code).toBe(2);
    expect(without.err).toMatch(/unknown command 'greet'/);
  });
});
