/** The options every config-reading command shares, turned into loadConfig flags. */
import type { ConfigFlags } from '../core/config/load.js';

export interface ConfigCommandOptions {
  readonly config?: string;
  readonly profile?: string;
  readonly dryRun?: boolean;
  readonly dataDir?: string;
  readonly set?: readonly string[];
}

/** The flags part of the options. */
export function configFlags(o: ConfigCommandOptions): ConfigFlags {
  return { profile: o.profile, dryRun: o.dryRun, dataDir: o.dataDir, set: o.set };
}
