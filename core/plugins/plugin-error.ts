/** Errors of loading plugins. A bad plugin config block is a config error (exit code 2) naming the key. */
import { AutomintError } from '../errors.js';

export class PluginError extends AutomintError {
  constructor(
    code:
      | 'PLUGIN_NOT_FOUND' | 'PLUGIN_NOT_A_MANIFEST' | 'PLUGIN_HOST_VERSION' | 'PLUGIN_CONFIG_INVALID' | 'PLUGIN_DUPLICATE'
      // A payment method settles in a currency no plugin declares: the plugin's manifest is at fault, not the config.
      | 'PLUGIN_CURRENCY_UNDECLARED'
      | 'PLUGIN_LOAD_FAILED' | 'PLUGIN_NOT_PAYMENT',
    message: string,
    details: { plugin: string; path?: string; source?: string },
    options?: { cause?: unknown },
  ) {
    super(code, message, details, options);
  }

  /** True when the fault is in the user's config, not in the plugin. */
  get isConfigFault(): boolean {
    return this.code === 'PLUGIN_CONFIG_INVALID' || this.code === 'PLUGIN_NOT_FOUND' || this.code === 'PLUGIN_NOT_PAYMENT';
  }
}
