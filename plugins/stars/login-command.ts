/** `automint login --account NAME`: logs the account in to Telegram (phone, code, 2FA password, asked on the
 *  terminal) and saves its session, kept by the Stars plugin in a 0600 file in the data folder. */
import type { Command } from 'commander';
import type { CommandKit } from '../../core/plugins/command.js';
import { registerSecret } from '../../core/telemetry/secret-registry.js';
import { EXIT_OK, setUpAccountCommand, type AccountOptions } from './account-command.js';
import { Prompter } from './prompt.js';

export function defineCommand(command: Command, kit: CommandKit): void {
  kit.addOverrideOptions(
    kit.addConfigOption(command).requiredOption('-a, --account <name>', 'account name from the configuration'),
  ).action(kit.action((opts: AccountOptions) => login(kit, opts)));
}

async function login(kit: CommandKit, opts: AccountOptions): Promise<number> {
  const { config, log, sessions, release } = await setUpAccountCommand(kit, opts, true, 'login');
  const prompter = new Prompter();
  try {
    const secret = async (question: string, hidden: boolean): Promise<string> => {
      const answer = await prompter.ask(question, { secret: hidden });
      registerSecret(answer);
      return answer;
    };
    const done = await sessions.loginAccount({
      config, account: opts.account, log,
      prompts: {
        phone: () => secret('Phone number (international format, e.g. +15550001): ', false),
        code: (viaApp) => secret(`Login code (sent ${viaApp ? 'to your Telegram app' : 'by SMS'}): `, false),
        password: (hint) => secret(`Two-step verification password${hint ? ` (hint: ${hint})` : ''}: `, true),
      },
    });
    const who = done.username ? `@${done.username}` : done.firstName || `user ${done.userId}`;
    process.stdout.write(`logged in account ${done.account} as ${who}; session saved to ${done.file} (mode 0600)\n`);
    return EXIT_OK;
  } finally {
    prompter.close();
    release();
  }
}
