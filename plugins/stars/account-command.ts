/** What `automint login` and `automint session info|logout` share: the options they read, their exit codes, and
 *  setting one up. GramJS loads only here, when one of them runs. */
import type { AutomintConfig } from '../../core/config/schema.js';
import type { CommandKit, ConfigCommandOptions } from '../../core/plugins/command.js';
import { createLogger } from '../../core/telemetry/logger.js';
import { knownSecrets } from '../../core/telemetry/secret-registry.js';
import { prepareDataDir } from '../../core/run/data-dir.js';
import { lockDataDir, type DataDirLock } from '../../core/run/data-dir-lock.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;

export interface AccountOptions extends ConfigCommandOptions {
  readonly account: string;
  readonly json?: boolean;
  readonly check?: boolean;
}

/** Loads the config; a command that writes to the data folder (`writes`) checks it first and holds its lock (a
 *  running bot uses the session a login would replace or a logout would end: exit 3 while it runs). */
export async function setUpAccountCommand(kit: CommandKit, opts: AccountOptions, writes: boolean, command: string) {
  const config: AutomintConfig = await kit.loadConfig(opts);
  let lock: DataDirLock | undefined;
  if (writes) {
    prepareDataDir(config.dataDir);
    lock = lockDataDir(config.dataDir, command);
  }
  const log = createLogger({ level: config.telemetry.logLevel === 'info' ? 'warn' : config.telemetry.logLevel, format: config.telemetry.logFormat, secrets: knownSecrets });
  const sessions = await import('./account-session.js');
  return { config, log, sessions, release: () => lock?.release() };
}
