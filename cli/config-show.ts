/** `automint config show`: the merged configuration with every secret redacted, as YAML that loads again. */
import YAML from 'yaml';
import { loadValidatedConfig } from '../core/config/load.js';
import { redactConfig } from '../core/config/redact.js';
import { action } from './failure.js';
import { configFlags, type ConfigCommandOptions } from './config-options.js';

export const configShowCommand = action(async (opts: ConfigCommandOptions): Promise<number> => {
  const { config, source } = await loadValidatedConfig({ file: opts.config, flags: configFlags(opts) });
  const header = [`# automint configuration from ${source.file ?? '(no file)'}; secrets redacted`];
  for (const o of source.overrides) header.push(`# override: ${o}`);
  process.stdout.write(header.join('\n') + '\n' + YAML.stringify(redactConfig(config)));
  return 0;
});
