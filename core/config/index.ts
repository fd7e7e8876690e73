/** The configuration module's public surface. */
export { ConfigError, formatConfigError, CONFIG_ERROR_CODES, type ConfigErrorCode, type ConfigIssue } from './config-error.js';
export { ENV_PREFIX, type Environment } from './env-overrides.js';
export { configJsonSchema, renderConfigKeyTable, renderProfileTable, renderConfigSchemaJson } from './json-schema.js';
export {
  loadConfig,
  loadValidatedConfig,
  parseConfig,
  type ConfigFlags,
  type ConfigSource,
  type LoadConfigOptions,
  type LoadedConfig,
} from './load.js';
export { PROFILES, PROFILE_NAMES, profileSettings, type ProfileName, type ProfileSettings } from './profiles.js';
export { REDACTED, redactConfig, secretValues, type PlainConfig } from './redact.js';
export {
  AutomintConfigSchema,
  pluginBlocks,
  targetAccounts,
  type AccountConfig,
  type AutomintConfig,
  type AutomintConfigInput,
  type BudgetConfig,
  type TargetConfig,
  type WalletConfig,
} from './schema.js';
export { SECRET_PATHS, isSecretPath } from './secret-paths.js';
