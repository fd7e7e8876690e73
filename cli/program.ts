/** The `automint` command line. Only commander loads here: each command imports its heavy modules (GramJS, the
 *  OpenTelemetry SDK, the TON sandbox) when it runs, so `automint --help` starts about as fast as bare Node. Plugins'
 *  commands are stand-ins until they run (plugin-command.ts): the built-ins' are read from their `commands` modules,
 *  an external plugin's from its manifest when the command line names a configuration that loads it. */
import { Command, CommanderError, Help, InvalidArgumentError } from 'commander';
import { builtinCommands, type DeclaredCommand } from '../core/plugins/plugin-commands.js';
import { configOption, withOverrides } from './config-options.js';
import { commandLineConfig } from './command-line-config.js';
import { packageVersion } from './package-root.js';
import { addPluginCommand, commandWordOf, pluginAwareTerm, preparePluginCommand } from './plugin-command.js';

/** The built-in plugins' commands, found once when the program module loads. */
const BUILTIN_COMMANDS = await builtinCommands();

/** `--buyers`' value: a whole number from 1 (the world checks the upper bound), else a usage error. */
function buyerCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('a whole number of buyers, 1 or more');
  return n;
}

/** The exit code of a usage error: the same as a bad configuration, since either way the input was wrong. */
const EXIT_USAGE = 2;

/** Runs the program on `argv` (process.argv form). A usage error (a missing mandatory option or argument, an unknown
 *  option or command, a value outside its choices) exits 2 like any other bad input; help and --version exit 0. */
export async function runProgram(argv: readonly string[]): Promise<void> {
  try {
    // An external plugin's commands are looked for only when the command line may name one: a command the program
    // has anyway (`run -c …`, `doctor -c …`) reads its configuration once, itself, not once more here.
    const word = commandWordOf(argv);
    const known = word !== undefined && buildProgram().commands.some((c) => c.name() === word);
    const program = buildProgram([...BUILTIN_COMMANDS, ...(known ? [] : await commandLineConfig(argv))]);
    await preparePluginCommand(program, argv);
    await program.parseAsync(argv);
  } catch (e) {
    if (!(e instanceof CommanderError)) {
      // A plugin whose command could not be added or loaded: reported like any command's error.
      process.exitCode = (await import('./failure.js')).reportFailure(e);
      return;
    }
    process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
  }
}

/** Builds the program with the plugins' commands (default: the built-ins'); `main.ts` runs it on process.argv, tests
 *  run it on their own argv. */
export function buildProgram(pluginCommands: readonly DeclaredCommand[] = BUILTIN_COMMANDS): Command {
  const commanderHelp = new Help();
  const program = new Command('automint')
    .description('Buys limited Telegram sticker packs on the Stickerdom store the moment they drop, paying with TON and Telegram Stars.')
    .version(packageVersion())
    .showHelpAfterError()
    .configureHelp({ subcommandTerm: (cmd) => pluginAwareTerm(cmd, (c) => commanderHelp.subcommandTerm(c)) })
    // Usage errors throw instead of exiting 1, so runProgram can exit 2 for them; every command added below inherits it.
    .exitOverride();

  program
    .command('demo')
    .description('start the simulated world (store + TON chain), load config/demo.yaml and buy a simulated drop end to end')
    .option('--json', 'print one JSON object with the figures as the last line of stdout')
    .option('--scenario <name>', 'world scenario', 'demo')
    .action(async (opts: { json?: boolean; scenario: string }) => (await import('./demo.js')).demoCommand(opts));

  program
    .command('world')
    .description('run the simulated world (store, TON chain, Telegram) in this process until SIGINT/SIGTERM; write its endpoints and buyers to a state file (mode 0600)')
    .option('--scenario <name>', 'world scenario', 'demo')
    .option('--buyers <n>', "buyers to mint (Telegram users, sessions, funded wallets, Stars): the scenario's own first, then buyer3, buyer4, …", buyerCount)
    .option('--state <file>', 'where to write the state file (default: a file in the temporary folder)')
    .action(async (opts: { scenario: string; buyers?: number; state?: string }) => (await import('./world.js')).worldCommand(opts));

  withOverrides(
    program.command('run').description('watch the configured targets and buy when they drop').addOption(configOption().makeOptionMandatory())
      .option('--accept-config-change', "take a config that changed the ledger's campaign (targets, packs, budgets) as the new campaign; what was spent still counts"),
  ).action(async (opts) => (await import('./run.js')).runCommand(opts));

  const config = program.command('config').description('inspect the configuration');
  withOverrides(
    config
      .command('show')
      .description('print the merged configuration (file, AUTOMINT__ environment, flags) with every secret redacted')
      .addOption(configOption().makeOptionMandatory()),
  ).action(async (opts) => (await import('./config-show.js')).configShowCommand(opts));

  withOverrides(
    program
      .command('doctor')
      .description('check config, ledger, rate-limit pools, store reachability and auth, and wallet balances; exit 0 only when all pass')
      .addOption(configOption().makeOptionMandatory()),
  ).action(async (opts) => (await import('./doctor.js')).doctorCommand(opts));

  withOverrides(
    program
      .command('orders')
      .description('list the orders in the ledger: state, method, amount, fee, payment (a table, or --json)')
      .addOption(configOption().makeOptionMandatory())
      .option('--json', 'one JSON object per order, one per line')
      .option('--state <state>', 'only orders in this state (created, paying, paid, unknown, refused, failed, expired)'),
  ).action(async (opts) => (await import('./orders.js')).ordersCommand(opts));

  withOverrides(
    program
      .command('reconcile')
      .description('settle every payment whose outcome is not known against the chain and Telegram, and report what changed')
      .addOption(configOption().makeOptionMandatory())
      .option('--json', 'print one JSON object'),
  ).action(async (opts) => (await import('./reconcile.js')).reconcileCommand(opts));

  // Between the host's commands and `plugins`, where login and session always were.
  for (const declared of pluginCommands) addPluginCommand(program, declared);

  program
    .command('plugins')
    .description('list the plugins found, and which a configuration enables')
    .addOption(configOption())
    .action(async (opts) => (await import('./plugins.js')).pluginsCommand(opts));

  return program;
}
