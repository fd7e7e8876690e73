/** `automint login --account NAME` and `automint session info|logout --account NAME`: the account's Telegram session,
 *  kept by the Stars plugin in a 0600 file in the data folder. GramJS loads only here. */
import { loadValidatedConfig } from '../core/config/load.js';
import { createLogger } from '../core/telemetry/logger.js';
import { knownSecrets, registerSecret } from '../core/telemetry/secret-registry.js';
import { prepareDataDir } from '../core/run/data-dir.js';
import { lockDataDir, type DataDirLock } from '../core/run/data-dir-lock.js';
import { action, EXIT_FAILURE, EXIT_OK } from './failure.js';
import { configFlags, type ConfigCommandOptions } from './config-options.js';
import { Prompter } from './prompt.js';
import { protectSecrets } from './session.js';

interface AccountOptions extends ConfigCommandOptions {
  readonly account: string;
  readonly json?: boolean;
  readonly check?: boolean;
}

/** Loads the config; a command that writes to the data folder (`writes`) checks it first and holds its lock (a
 *  running bot uses the session a login would replace or a logout would end: exit 3 while it runs). */
async function setUp(opts: AccountOptions, writes: boolean, command: string) {
  const { config } = await loadValidatedConfig({ file: opts.config, flags: configFlags(opts) });
  protectSecrets(config);
  let lock: DataDirLock | undefined;
  if (writes) {
    prepareDataDir(config.dataDir);
    lock = lockDataDir(config.dataDir, command);
  }
  const log = createLogger({ level: config.telemetry.logLevel === 'info' ? 'warn' : config.telemetry.logLevel, format: config.telemetry.logFormat, secrets: knownSecrets });
  const sessions = await import('../plugins/stars/account-session.js');
  return { config, log, sessions, release: () => lock?.release() };
}

export const loginCommand = action(async (opts: AccountOptions): Promise<number> => {
  const { config, log, sessions, release } = await setUp(opts, true, 'login');
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
});

export const sessionInfoCommand = action(async (opts: AccountOptions): Promise<number> => {
  const { config, log, sessions } = await setUp(opts, false, 'session info');
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
});

export const sessionLogoutCommand = action(async (opts: AccountOptions): Promise<number> => {
  const { config, log, sessions, release } = await setUp(opts, true, 'session logout');
  const r = await sessions.logoutAccount({ config, account: opts.account, log }).finally(release);
  const told = r.loggedOut ? 'logged out at Telegram' : `not logged out at Telegram${r.problem ? ` (${r.problem})` : ''}`;
  process.stdout.write(`account ${opts.account}: ${told}; session file ${r.deleted ? 'deleted' : 'absent'}\n`);
  return r.deleted ? EXIT_OK : EXIT_FAILURE;
});
