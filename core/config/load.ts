/** Loading the configuration: the YAML file, then `${VAR}` references in it, then AUTOMINT__ environment
 *  overrides, then command-line flags (later wins), validated by the one schema. Every failure is a ConfigError
 *  that lists all problems with their key paths and where each value came from. */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import YAML, { isPair, isScalar, isSeq, LineCounter, type Document } from 'yaml';
import { osReason } from '../os-reason.js';
import { checkPluginConfig, discoverConfiguredPlugins } from '../plugins/config-check.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { formatPath, isPathPrefix, splitPath, type ConfigPath } from './config-path.js';
import { applyEnvOverrides, type Environment } from './env-overrides.js';
import { substituteEnvReferences } from './env-substitution.js';
import { overrideValue, resolveOverridePath, setAtPath, type OverrideRecord } from './overrides.js';
import { pluginPathsOf, resolvePluginPaths } from './plugin-paths.js';
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
  /** Where the value at a key path came from: the override that set it, else its `file:line:col` in the file. */
  readonly locate: Locate;
  /** Where a relative `dataDir` written in the file pointed before paths were read relative to the file (the working
   *  folder's), when that is another folder: a run checks no ledger was left there. */
  readonly legacyDataDir?: string;
};

export type LoadedConfig = { readonly config: AutomintConfig; readonly source: ConfigSource };

/** Reads, merges and validates the configuration. Throws ConfigError. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  return validateTree(await readTree(options));
}

/** Like `loadConfig`, with the plugins first: the plugins `plugins.paths` names are found (built-ins and each entry
 *  loaded) before the schema reads the rest, so their currencies are budget keys and their secret keys are hidden in
 *  any message; then the plugin side is checked against them: each `plugins.<id>` block by its plugin's own schema,
 *  each method a target names. Every command loads its configuration this way, so they all refuse the same
 *  configurations with the same messages. Throws ConfigError. */
export async function loadValidatedConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const tree = await readTree(options);
  const written = pluginPathsOf(tree.tree);
  // A `plugins.paths` that is not a list of text is the schema's to report; the built-ins are found either way.
  const paths = written === undefined ? [] : resolvePluginPaths(written, tree.baseFor, tree.locate, tree.file);
  const discovered = await discoverConfiguredPlugins(paths, tree.locate, tree.file);
  const loaded = validateTree(tree);
  checkPluginConfig(loaded, discovered);
  return loaded;
}

/** The plugin modules a configuration's `plugins.paths` names, resolved as `loadValidatedConfig` resolves them, without
 *  validating the rest: the CLI finds external plugins' commands with it before it knows which command runs (that
 *  command then loads the configuration for itself and reports what is wrong with it). Throws ConfigError. */
export async function configuredPluginPaths(options: LoadConfigOptions): Promise<string[]> {
  const tree = await readTree(options);
  const written = pluginPathsOf(tree.tree);
  return written === undefined ? [] : resolvePluginPaths(written, tree.baseFor, tree.locate, tree.file);
}

/** The file (or none) as a merged tree, ready for the schema. */
async function readTree(options: LoadConfigOptions): Promise<ConfigTree> {
  if (options.file === undefined) {
    if (!options.allowMissingFile) {
      throw new ConfigError('CONFIG_FILE_MISSING', [{ path: '', message: 'no configuration file was given' }]);
    }
    return prepareTree(undefined, options);
  }
  const file = resolve(options.file);
  const text = await readConfigFile(file);
  return prepareTree(text, { ...options, file, label: options.file });
}

/** A configuration file is small: anything larger is not one (and is not read into memory whole). */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** The file's text. It is looked at before it is opened: reading a FIFO or a device could block forever. */
async function readConfigFile(file: string): Promise<string> {
  const refuse = (message: string): never => {
    throw new ConfigError('CONFIG_FILE_MISSING', [{ path: '', message }], file);
  };
  let info;
  try {
    info = await stat(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return refuse(code === 'ENOENT' || code === 'ENOTDIR' ? `file not found: ${file}` : `cannot read ${file} (${osReason(e)})`);
  }
  if (info.isDirectory()) return refuse(`${file} is a directory, not a file`);
  if (!info.isFile()) return refuse(`${file} is ${specialFileKind(info)}, not a regular file`);
  if (info.size > MAX_CONFIG_BYTES) return refuse(`${file} is too large for a configuration file (${info.size} bytes)`);
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    return refuse(`cannot read ${file} (${osReason(e)})`);
  }
}

function specialFileKind(info: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'a special file';
}

/** Everything `loadConfig` does after reading the file, for text already in hand (`undefined`: no file). Paths in
 *  the file (`dataDir`, `plugins.paths` entries) resolve against the file's folder, like docker compose; paths from
 *  the environment or flags, and all paths when there is no file, against the working directory. */
export function parseConfig(text: string | undefined, options: ParseOptions = {}): LoadedConfig {
  return validateTree(prepareTree(text, options));
}

type ParseOptions = Omit<LoadConfigOptions, 'file' | 'allowMissingFile'> & { readonly file?: string; readonly label?: string };

/** A configuration merged from the file, `${VAR}` references, the environment and flags, not validated yet. */
interface ConfigTree {
  readonly tree: Record<string, unknown>;
  readonly file: string | undefined;
  readonly overrides: readonly OverrideRecord[];
  readonly locate: Locate;
  /** The folder a relative path at a key path is read against: the file's, or the working directory's for a value
   *  set from outside the file. */
  readonly baseFor: (path: ConfigPath) => string;
}

/** The file's text merged with `${VAR}` references, the environment and flags. Throws ConfigError. */
function prepareTree(text: string | undefined, options: ParseOptions): ConfigTree {
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
  const fileFolder = file ? dirname(file) : process.cwd();
  const baseFor = (path: ConfigPath): string => (overrides.some((o) => isPathPrefix(o.path, path)) ? process.cwd() : fileFolder);
  return { tree, file, overrides, locate, baseFor };
}

/** The merged tree checked by the schema, with its paths absolute. Throws ConfigError. */
function validateTree({ tree, file, overrides, locate, baseFor }: ConfigTree): LoadedConfig {
  const result = AutomintConfigSchema.safeParse(tree, { error: configErrorMap });
  if (!result.success) {
    const { issues, unknownKeys } = toConfigIssues(result.error.issues, AutomintConfigSchema, locate, secretValues(tree));
    const [first, ...rest] = issues;
    throw new ConfigError(unknownKeys ? 'CONFIG_UNKNOWN_KEY' : 'CONFIG_INVALID', [first!, ...rest], file);
  }
  const config = result.data;
  const plugins = { ...config.plugins };
  plugins.paths = resolvePluginPaths(config.plugins.paths, baseFor, locate, file);
  return {
    config: { ...config, dataDir: resolve(baseFor(['dataDir']), config.dataDir), plugins },
    source: {
      file: file ?? null, overrides: overrides.map((o) => `${formatPath(o.path)} from ${o.origin}`), locate,
      ...legacyDataDir(config.dataDir, file, overrides),
    },
  };
}

/** The folder a relative `dataDir` from the file meant when it was read against the working folder, if another. */
function legacyDataDir(dataDir: string, file: string | undefined, overrides: readonly OverrideRecord[]): { legacyDataDir?: string } {
  if (file === undefined || isAbsolute(dataDir) || overrides.some((o) => isPathPrefix(o.path, ['dataDir']))) return {};
  const legacy = resolve(process.cwd(), dataDir);
  return legacy === resolve(dirname(file), dataDir) ? {} : { legacyDataDir: legacy };
}

/** The parsed file as plain data; YAML errors and a top level that is not a mapping are errors. */
function fileTree(doc: Document, position: (offset: number) => string, file: string | undefined): Record<string, unknown> {
  const [first, ...rest] = doc.errors.map((error): ConfigIssue => ({ path: '', message: error.message, where: position(error.pos[0]) }));
  if (first) throw new ConfigError('CONFIG_YAML_INVALID', [first, ...rest], file);
  const value = plainData(doc, position, file);
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

/** Aliases a file may expand before it is taken for a "billion laughs" attack. */
const MAX_ALIAS_COUNT = 100;

/** `doc.toJS()`, with yaml's resource limits (too many aliases expanded, nesting too deep) as a CONFIG_YAML_INVALID
 *  error at the first alias instead of an unexpected crash. */
function plainData(doc: Document, position: (offset: number) => string, file: string | undefined): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (!(e instanceof ReferenceError || e instanceof RangeError)) throw e;
    const alias = firstAlias(doc);
    const issue: ConfigIssue = alias
      ? {
          path: formatPath(alias.path),
          message: `the aliases in this file expand into too much data (more than ${MAX_ALIAS_COUNT} alias expansions); write the values out instead`,
          where: alias.offset === undefined ? undefined : position(alias.offset),
        }
      : { path: '', message: 'the file is nested too deeply to be read' };
    throw new ConfigError('CONFIG_YAML_INVALID', [issue], file);
  }
}

/** The key path and offset of the first alias (`*name`) in the document, if it has one. */
function firstAlias(doc: Document): { path: ConfigPath; offset: number | undefined } | undefined {
  let found: { path: ConfigPath; offset: number | undefined } | undefined;
  YAML.visit(doc, {
    Alias(_key, node, ancestors) {
      const chain: unknown[] = [...ancestors, node];
      const path: (string | number)[] = [];
      for (let i = 0; i + 1 < chain.length; i++) {
        const [parent, child] = [chain[i], chain[i + 1]];
        if (isSeq(parent)) path.push(parent.items.indexOf(child as never));
        else if (isPair(parent) && parent.value === child) path.push(isScalar(parent.key) ? String(parent.key.value) : String(parent.key));
      }
      found = { path, offset: node.range?.[0] };
      return YAML.visit.BREAK;
    },
  });
  return found;
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
