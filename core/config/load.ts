/** Loading the configuration: the YAML file, then `${VAR}` references in it, then AUTOMINT__ environment
 *  overrides, then command-line flags (later wins), validated by the one schema. Every failure is a ConfigError
 *  that lists all problems with their key paths and where each value came from. */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import YAML, { LineCounter, type Document } from 'yaml';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { formatPath, isPathPrefix, splitPath, type ConfigPath } from './config-path.js';
import { applyEnvOverrides, type Environment } from './env-overrides.js';
import { substituteEnvReferences } from './env-substitution.js';
import { overrideValue, resolveOverridePath, setAtPath, type OverrideRecord } from './overrides.js';
import { secretValues } from './redact.js';
import { AutomintConfigSchema, type AutomintConfig } from './schema.js';
import { configErrorMap, toConfigIssues, type Locate } from './zod-issues.js';

/** Command-line flags that set configuration keys; they beat the file and the environment. */
export type ConfigFlags = {
  readonly profile?: string;
  readonly dryRun?: boolean;
  readonly dataDir?: string;
  /** `key.path=value` assignments (`targets[0].packs=5`), applied in order, before the named flags above. */
  readonly set?: readonly string[];
};

export type LoadConfigOptions = {
  /** The YAML file. Required unless `allowMissingFile`; a file named here must exist. */
  readonly file?: string;
  /** Variables for `${VAR}` references and AUTOMINT__ overrides; defaults to `process.env`. */
  readonly env?: Environment;
  readonly flags?: ConfigFlags;
  /** Start from an empty configuration when no file is named (the environment and flags must then supply it). */
  readonly allowMissingFile?: boolean;
};

export type ConfigSource = {
  /** Absolute path of the file read, or null when none was. */
  readonly file: string | null;
  /** Keys set from outside the file, as `store.baseUrl from AUTOMINT__STORE__BASEURL` (values left out). */
  readonly overrides: readonly string[];
};

export type LoadedConfig = { readonly config: AutomintConfig; readonly source: ConfigSource };

/** Reads, merges and validates the configuration. Throws ConfigError. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  if (options.file === undefined) {
    if (!options.allowMissingFile) {
      throw new ConfigError('CONFIG_FILE_MISSING', [{ path: '', message: 'no configuration file was given' }]);
    }
    return parseConfig(undefined, options);
  }
  const file = resolve(options.file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' || code === 'ENOTDIR' ? `file not found: ${file}` : `cannot read ${file} (${code ?? 'unknown error'})`;
    throw new ConfigError('CONFIG_FILE_MISSING', [{ path: '', message }], file);
  }
  return parseConfig(text, { ...options, file, label: options.file });
}

/** Everything `loadConfig` does after reading the file, for text already in hand (`undefined`: no file). */
export function parseConfig(
  text: string | undefined,
  options: Omit<LoadConfigOptions, 'file' | 'allowMissingFile'> & { readonly file?: string; readonly label?: string } = {},
): LoadedConfig {
  const env = options.env ?? process.env;
  const file = options.file;
  const label = options.label ?? file ?? 'config';
  const lines = new LineCounter();
  const doc = text === undefined ? undefined : YAML.parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });

  const position = (offset: number): string => {
    const { line, col } = lines.linePos(offset);
    return `${label}:${line}:${col}`;
  };
  const fileLocation = (path: ConfigPath): string | undefined => {
    if (!doc) return undefined;
    for (let depth = path.length; depth >= 0; depth--) {
      const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
      const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) return position(range[0]);
    }
    return undefined;
  };

  const fromFile = doc ? fileTree(doc, position, file) : {};
  const substituted = substituteEnvReferences(fromFile, env, AutomintConfigSchema);
  const [firstMissing, ...moreMissing] = substituted.missing.map(
    ({ path, variable }): ConfigIssue => ({
      path: formatPath(path),
      message: `environment variable ${variable} is not set`,
      where: fileLocation(path),
    }),
  );
  if (firstMissing) throw new ConfigError('CONFIG_ENV_MISSING', [firstMissing, ...moreMissing], file);

  const tree = substituted.value as Record<string, unknown>;
  const overrides = [...applyEnvOverrides(tree, env, AutomintConfigSchema), ...applyFlags(tree, options.flags ?? {})];

  const locate: Locate = (path) => {
    const latest = [...overrides].reverse().find((o) => isPathPrefix(o.path, path));
    return latest?.origin ?? fileLocation(path);
  };
  const result = AutomintConfigSchema.safeParse(tree, { error: configErrorMap });
  if (!result.success) {
    const { issues, unknownKeys } = toConfigIssues(result.error.issues, AutomintConfigSchema, locate, secretValues(tree));
    const [first, ...rest] = issues;
    throw new ConfigError(unknownKeys ? 'CONFIG_UNKNOWN_KEY' : 'CONFIG_INVALID', [first!, ...rest], file);
  }
  return {
    config: result.data,
    source: { file: file ?? null, overrides: overrides.map((o) => `${formatPath(o.path)} from ${o.origin}`) },
  };
}

/** The parsed file as plain data; YAML errors and a top level that is not a mapping are errors. */
function fileTree(doc: Document, position: (offset: number) => string, file: string | undefined): Record<string, unknown> {
  const [first, ...rest] = doc.errors.map((error): ConfigIssue => ({ path: '', message: error.message, where: position(error.pos[0]) }));
  if (first) throw new ConfigError('CONFIG_YAML_INVALID', [first, ...rest], file);
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      [{ path: '', message: `the file must be a mapping of keys to values, not ${Array.isArray(value) ? 'a list' : 'a single value'}` }],
      file,
    );
  }
  return value as Record<string, unknown>;
}

/** Applies `--set` assignments, then `--profile`, `--dry-run` and `--data-dir`. */
function applyFlags(tree: Record<string, unknown>, flags: ConfigFlags): OverrideRecord[] {
  const applied: OverrideRecord[] = [];
  for (const assignment of flags.set ?? []) {
    const equals = assignment.indexOf('=');
    const key = equals < 0 ? assignment : assignment.slice(0, equals);
    if (equals < 0) {
      throw new ConfigError('CONFIG_INVALID', [{ path: key, message: 'expected KEY=VALUE', where: '--set' }]);
    }
    const segments = splitPath(key.trim());
    const resolved = resolveOverridePath(AutomintConfigSchema, tree, segments.length ? segments : [key], 'verbatim');
    if (!resolved.ok) {
      const path = formatPath([...resolved.at, resolved.segment]);
      throw new ConfigError('CONFIG_UNKNOWN_KEY', [{ path, message: resolved.reason, where: `--set ${key}` }]);
    }
    setAtPath(tree, resolved.path, overrideValue(resolved.schema, resolved.path, assignment.slice(equals + 1)));
    applied.push({ path: resolved.path, origin: '--set' });
  }
  const named: [string, unknown, string][] = [
    ['profile', flags.profile, '--profile'],
    ['dryRun', flags.dryRun, '--dry-run'],
    ['dataDir', flags.dataDir, '--data-dir'],
  ];
  for (const [key, value, origin] of named) {
    if (value === undefined) continue;
    tree[key] = value;
    applied.push({ path: [key], origin });
  }
  return applied;
}
