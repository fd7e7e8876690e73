/** The Stars plugin's commands (core/plugins/command.ts), the manifest's `commands`. In a module of their own, with
 *  type imports only, so the host lists them for `automint --help` without importing the manifest (its config schema
 *  and zod) or anything that implements them (GramJS loads only when one runs). */
import type { PluginCommand } from '../../core/plugins/command.js';

export const commands: readonly PluginCommand[] = [
  {
    name: 'login',
    description: 'log an account in to Telegram (phone, code, 2FA password) and save its session (mode 0600) in the data folder',
    usage: '[options]',
    load: () => import('./login-command.js'),
  },
  {
    name: 'session',
    description: "an account's saved Telegram session",
    load: () => import('./session-command.js'),
  },
];
