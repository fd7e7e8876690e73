/** `automint session info|logout --account NAME`: the account's saved Telegram session — where it points and whether
 *  Telegram still accepts it (never the session itself), or ending it at Telegram and deleting its file. */
import type { Command } from 'commander';
import type { CommandKit } from '../../core/plugins/command.js';
import { EXIT_FAILURE, EXIT_OK, setUpAccountCommand, type AccountOptions } from './account-command.js';

export function defineCommand(command: Command, kit: CommandKit): void {
  kit.addOverrideOptions(
    kit.addConfigOption(command.command('info').description('where the session points and whether Telegram still accepts it (never prints the session)'))
      .requiredOption('-a, --account <name>', 'account name from the configuration')
      .option('--json', 'print one JSON object')
      .option('--no-check', 'do not connect to Telegram'),
  ).action(kit.action((opts: AccountOptions) => sessionInfo(kit, opts)));
  kit.addOverrideOptions(
    kit.addConfigOption(command.command('logout').description('end the session at Telegram and delete its file'))
      .requiredOption('-a, --account <name>', 'account name from the configuration'),
  ).action(kit.action((opts: AccountOptions) => sessionLogout(kit, opts)));
}

async function sessionInfo(kit: CommandKit, opts: AccountOptions): Promise<number> {
  const { config, log, sessions } = await setUpAccountCommand(kit, opts, false, 'session info');
  const info = await sessions.sessionInfo({ config, account: opts.account, log, check: opts.check !== false });
  if (opts.json) {
    process.stdout.write(JSON.stringify(info) + '\n');
  } else {
    const lines = [`account ${info.account}`, `  file     ${info.file}${info.mode ? ` (mode ${info.mode})` : ''}`];
    if (info.exists) lines.push(`  server   dc ${info.dcId} at ${info.server}`, `  auth key ${info.authKeyId}`);
    if (info.user) lines.push(`  user     ${info.user.username ? '@' + info.user.username : ''} id ${info.user.id} (Telegram accepts the session)`);
    if (info.problem) lines.push(`  problem  ${info.problem}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  return info.exists && info.problem === undefined ? EXIT_OK : EXIT_FAILURE;
}

async function sessionLogout(kit: CommandKit, opts: AccountOptions): Promise<number> {
  const { config, log, sessions, release } = await setUpAccountCommand(kit, opts, true, 'session logout');
  const r = await sessions.logoutAccount({ config, account: opts.account, log }).finally(release);
  const told = r.loggedOut ? 'logged out at Telegram' : `not logged out at Telegram${r.problem ? ` (${r.problem})` : ''}`;
  process.stdout.write(`account ${opts.account}: ${told}; session file ${r.deleted ? 'deleted' : 'absent'}\n`);
  return r.deleted ? EXIT_OK : EXIT_FAILURE;
}
