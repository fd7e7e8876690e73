/** The one error configuration loading throws. It lists every problem found, each with the key path, a message a
 *  person can act on and where the value came from; it never carries a secret value. The CLI prints
 *  `formatConfigError(e)` and exits 2. */
import { AutomintError } from '../errors.js';

export const CONFIG_ERROR_CODES = [
  'CONFIG_FILE_MISSING',
  'CONFIG_YAML_INVALID',
  'CONFIG_UNKNOWN_KEY',
  'CONFIG_INVALID',
  'CONFIG_ENV_MISSING',
  'CONFIG_CAMPAIGN_CHANGED',
] as const;
export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];

/** One problem. `path` is a key path such as `targets[0].maxPricePerPack.TON` ('' for the whole file). */
export type ConfigIssue = {
  readonly path: string;
  readonly message: string;
  /** Where the value came from: `config.yaml:12:5`, `AUTOMINT__STORE__BASEURL`, `--set store.baseUrl`. */
  readonly where?: string;
};

const HEADLINES: Readonly<Record<ConfigErrorCode, string>> = {
  CONFIG_FILE_MISSING: 'cannot read the configuration file',
  CONFIG_YAML_INVALID: 'configuration file is not valid YAML',
  CONFIG_UNKNOWN_KEY: 'unknown configuration key',
  CONFIG_INVALID: 'invalid configuration',
  CONFIG_ENV_MISSING: 'configuration refers to an unset environment variable',
  CONFIG_CAMPAIGN_CHANGED: "configuration changed this ledger's campaign",
};

function issueLine(issue: ConfigIssue): string {
  const where = issue.where ? ` (${issue.where})` : '';
  return issue.path ? `${issue.path}: ${issue.message}${where}` : `${issue.message}${where}`;
}

export class ConfigError extends AutomintError {
  /** The key path of the first problem. */
  readonly path: string;
  readonly issues: readonly ConfigIssue[];
  /** The configuration file involved, if any. */
  readonly file: string | undefined;

  constructor(code: ConfigErrorCode, issues: readonly [ConfigIssue, ...ConfigIssue[]], file?: string) {
    const [first] = issues;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(code, `${HEADLINES[code]}: ${issueLine(first)}${more}`, { path: first.path, issues, file });
    this.path = first.path;
    this.issues = issues;
    this.file = file;
  }
}

/** The multi-line text the CLI prints for a configuration error: a headline, then one line per problem. */
export function formatConfigError(e: ConfigError): string {
  const code = e.code as ConfigErrorCode;
  // A file that cannot be read is named by its problem line ("file not found: …"); the others say which file they are in.
  const inFile = e.file && code !== 'CONFIG_FILE_MISSING' ? ` in ${e.file}` : '';
  const headline = `${HEADLINES[code] ?? 'configuration error'}${inFile} [${e.code}]`;
  const lines = e.issues.map((issue) => `  - ${issueLine(issue)}`);
  const hint =
    code === 'CONFIG_FILE_MISSING'
      ? ['  Pass --config FILE, or start from config/example.yaml (docs/configuration.md lists every key).']
      : code === 'CONFIG_ENV_MISSING'
        ? ['  Set the variable, or write $${NAME} in the file for a literal "${NAME}".']
        : code === 'CONFIG_CAMPAIGN_CHANGED'
          ? ['  Run again with --accept-config-change if the change is meant (packs and money already spent still count),',
             '  or give a new campaign its own dataDir.']
          : [];
  return [headline, ...lines, ...hint].join('\n');
}
