/** An account's Telegram session as the CLI manages it: `automint login` creates it, `automint session info` shows
 *  where it points (never the session itself), `automint session logout` ends it at Telegram and deletes the file. */
import { stat } from 'node:fs/promises';
import { Api } from 'telegram';
import type { Logger } from 'pino';
import { AutomintError } from '../../core/errors.js';
import { PluginError } from '../../core/plugins/plugin-error.js';
import type { AutomintConfig } from '../../core/config/schema.js';
import { missingApiKeys, starsConfigSchema, type StarsConfig } from './config.js';
import { describeSession, logIn, type LoginPrompts } from './login.js';
import { deleteSession, readSession, sessionPath, writeSession } from './session-file.js';
import { TelegramConnection } from './telegram-connection.js';
import { TelegramNotConfigured } from './telegram-error.js';
import { accountProxy, type AccountProxy } from '../../core/store/proxy.js';

/** The `plugins.stars` block of a config, validated (errors name `plugins.stars.<key>`; exit 2). */
export function starsConfigOf(config: AutomintConfig): StarsConfig {
  const parsed = starsConfigSchema.safeParse(config.plugins['stars'] ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `plugins.stars${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`);
    throw new PluginError('PLUGIN_CONFIG_INVALID', issues.join('\n'), { plugin: 'stars', path: issues[0]?.split(':')[0] });
  }
  const missing = missingApiKeys(parsed.data).map((k) => `plugins.stars.${k}`);
  if (missing.length > 0) throw new PluginError('PLUGIN_CONFIG_INVALID', new TelegramNotConfigured(missing).message, { plugin: 'stars', path: missing[0] });
  return parsed.data;
}

/** The account's proxy, as an option of TelegramConnection.open / logIn (none: no key). */
function proxyOf(config: AutomintConfig, account: string): { proxy?: AccountProxy } {
  const proxy = accountProxy(config.accounts, account);
  return proxy === undefined ? {} : { proxy };
}

/** The account must be in the config: a session for a name the bot never uses would be a stray secret. */
function checkAccount(config: AutomintConfig, account: string): void {
  if (!config.accounts.some((a) => a.name === account)) {
    throw new PluginError('PLUGIN_CONFIG_INVALID', `no account named "${account}" (accounts: ${config.accounts.map((a) => a.name).join(', ')})`, { plugin: 'stars', path: 'accounts' });
  }
}

export interface LoggedIn {
  readonly account: string;
  readonly file: string;
  readonly userId: string;
  readonly username?: string;
  readonly firstName: string;
}

/** Logs the account in interactively and saves its session (mode 0600), replacing an older one. */
export async function loginAccount(opts: { config: AutomintConfig; account: string; prompts: LoginPrompts; log: Logger; signal?: AbortSignal }): Promise<LoggedIn> {
  checkAccount(opts.config, opts.account);
  const stars = starsConfigOf(opts.config);
  const result = await logIn({ config: stars, prompts: opts.prompts, log: opts.log, signal: opts.signal, account: opts.account, ...proxyOf(opts.config, opts.account) });
  const file = sessionPath(opts.config.dataDir, opts.account);
  const previous = await readSession(file, opts.log);
  await writeSession(file, result.session);
  // The replaced session would stay authorised at Telegram: end it (best effort; it may be dead already).
  if (previous !== null && previous !== result.session) await endSession(opts.account, previous, stars, opts.log, opts.signal, proxyOf(opts.config, opts.account).proxy);
  return { account: opts.account, file, userId: result.userId.toString(), ...(result.username === undefined ? {} : { username: result.username }), firstName: result.firstName };
}

export interface SessionInfo {
  readonly account: string;
  readonly file: string;
  readonly exists: boolean;
  /** e.g. `0600`. */
  readonly mode?: string;
  readonly dcId?: number;
  readonly server?: string;
  readonly authKeyId?: string;
  /** Whether Telegram still accepts it, and as whom (only with `check`). */
  readonly user?: { readonly id: string; readonly username?: string };
  readonly problem?: string;
}

/** Where the account's session points, and with `check` whether Telegram still accepts it. */
export async function sessionInfo(opts: { config: AutomintConfig; account: string; log: Logger; check: boolean; signal?: AbortSignal }): Promise<SessionInfo> {
  checkAccount(opts.config, opts.account);
  const file = sessionPath(opts.config.dataDir, opts.account);
  const session = await readSession(file, opts.log);
  if (session === null) return { account: opts.account, file, exists: false, problem: `no session: run \`automint login --account ${opts.account}\`` };
  const mode = ((await stat(file)).mode & 0o777).toString(8).padStart(4, '0');
  const where = describeSession(session);
  const base = { account: opts.account, file, exists: true, mode, dcId: where.dcId, server: where.serverAddress, authKeyId: where.authKeyId };
  if (!opts.check) return base;
  try {
    const conn = await TelegramConnection.open({ account: opts.account, session, config: starsConfigOf(opts.config), log: opts.log, signal: opts.signal, ...proxyOf(opts.config, opts.account) });
    try {
      const [me] = await conn.invoke(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }), { signal: opts.signal });
      const username = me instanceof Api.User ? me.username : undefined;
      return { ...base, user: { id: conn.userId.toString(), ...(username === undefined ? {} : { username }) } };
    } finally {
      await conn.close();
    }
  } catch (e) {
    if (e instanceof AutomintError) return { ...base, problem: e.message };
    throw e;
  }
}

/** Logs `session` out at Telegram; true when Telegram confirmed. Never throws for a session that no longer works. */
async function endSession(
  account: string, session: string, stars: StarsConfig, log: Logger, signal?: AbortSignal, proxy?: AccountProxy,
): Promise<{ loggedOut: boolean; problem?: string }> {
  try {
    const conn = await TelegramConnection.open({ account, session, config: stars, log, signal, ...(proxy === undefined ? {} : { proxy }) });
    try {
      await conn.invoke(new Api.auth.LogOut(), { signal });
      return { loggedOut: true };
    } finally {
      await conn.close();
    }
  } catch (e) {
    if (!(e instanceof AutomintError)) throw e;
    return { loggedOut: false, problem: e.message };
  }
}

/** Ends the session at Telegram (best effort: a session Telegram already forgot is simply deleted) and deletes the file. */
export async function logoutAccount(opts: { config: AutomintConfig; account: string; log: Logger; signal?: AbortSignal }): Promise<{ deleted: boolean; loggedOut: boolean; problem?: string }> {
  checkAccount(opts.config, opts.account);
  const file = sessionPath(opts.config.dataDir, opts.account);
  const session = await readSession(file, opts.log);
  if (session === null) return { deleted: false, loggedOut: false, problem: 'no session file' };
  const { loggedOut, problem } = await endSession(opts.account, session, starsConfigOf(opts.config), opts.log, opts.signal, proxyOf(opts.config, opts.account).proxy);
  const deleted = await deleteSession(file);
  return { deleted, loggedOut, ...(problem === undefined ? {} : { problem }) };
}
