/** The CommandKit the CLI lends a plugin's command (core/plugins/command.ts): the host's config options, its config
 *  loading (secrets registered with the scrubber first thing) and its way of ending with an exit code. Loaded only
 *  when a plugin's command runs. */
import type { CommandKit } from '../core/plugins/command.js';
import { loadValidatedConfig } from '../core/config/load.js';
import { configFlags, configOption, withOverrides } from './config-options.js';
import { action } from './failure.js';
import { protectSecrets } from './session.js';

export const commandKit: CommandKit = {
  addConfigOption: (command) => command.addOption(configOption().makeOptionMandatory()),
  addOverrideOptions: withOverrides,
  async loadConfig(options) {
    const { config } = await loadValidatedConfig({ file: options.config, flags: configFlags(options) });
    protectSecrets(config);
    return config;
  },
  action,
};
