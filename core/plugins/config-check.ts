/** The plugin side of a configuration, checked against the plugins actually found: every `plugins.paths` entry
 *  loads, every `plugins.<id>` block names a plugin and passes that plugin's own schema, and every payment method a
 *  target or snipe filter names (`methods`, its `split.shares`, the top-level `split.shares`) is an enabled payment
 *  plugin (a notifier there is refused at its key). `loadValidatedConfig` finds the plugins before the schema and
 *  checks the rest right after it, so `config show`, `doctor`, `run` and the other commands refuse the same
 *  configurations with the same messages, before anything is armed: a key path, where the value came from, exit 2. */
// Plugin modules register with tsyringe, which needs the metadata polyfill loaded before them.
import 'reflect-metadata';
import { ConfigError, type ConfigIssue } from '../config/config-error.js';
import { formatPath, type ConfigPath } from '../config/config-path.js';
import type { LoadedConfig } from '../config/load.js';
import { secretValues } from '../config/redact.js';
import { methodsInUse, pluginBlocks, type AutomintConfig } from '../config/schema.js';
import { HOST_CURRENCIES } from '../money.js';
import { closestMatch } from '../config/spelling.js';
import { configErrorMap, toConfigIssues, type Locate } from '../config/zod-issues.js';
import { discoverPlugins, isPluginDisabled, isPluginEnabled, pluginSettings, type DiscoveredPlugin } from './host.js';
import type { PluginManifest } from './manifest.js';
import { PluginError } from './plugin-error.js';

/** What is wrong with the plugin side of `config`, given the plugins found; `unknownKeys` when a key or a plugin id
 *  names nothing (it decides the error code). */
export function pluginConfigIssues(
  config: AutomintConfig,
  discovered: readonly DiscoveredPlugin[],
  locate: Locate,
): { readonly issues: ConfigIssue[]; readonly unknownKeys: boolean } {
  const byId = new Map<string, PluginManifest>(discovered.map((d) => [d.manifest.id, d.manifest]));
  const ids = [...byId.keys()];
  const blocks = pluginBlocks(config);
  const wanted = methodsInUse(config);
  const secrets = secretValues(config);
  const unknown: ConfigIssue[] = [];
  const invalid: ConfigIssue[] = [];
  const at = (path: ConfigPath, message: string): ConfigIssue => ({ path: formatPath(path), message, where: locate(path) });

  for (const id of Object.keys(blocks)) {
    if (byId.has(id)) continue;
    const suggestion = closestMatch(id, ids);
    unknown.push(at(['plugins', id], suggestion ? `unknown plugin; did you mean ${suggestion}?` : `unknown plugin (plugins found: ${ids.join(', ') || 'none'})`));
  }
  for (const manifest of byId.values()) {
    const block = blocks[manifest.id];
    const enabled = block?.['enabled'];
    if (enabled !== undefined && typeof enabled !== 'boolean') invalid.push(at(['plugins', manifest.id, 'enabled'], 'must be true or false'));
    if (!isPluginEnabled(manifest.id, block, wanted)) continue;
    const parsed = manifest.configSchema.safeParse(pluginSettings(block), { error: configErrorMap });
    if (parsed.success) continue;
    const found = toConfigIssues(parsed.error.issues, manifest.configSchema, locate, secrets, ['plugins', manifest.id]);
    (found.unknownKeys ? unknown : invalid).push(...found.issues);
  }

  const payments = discovered.filter((d) => d.manifest.kind === 'payment').map((d) => d.manifest.id);
  const known = `payment plugins: ${payments.join(', ') || 'none'}`;
  const methodProblem = (id: string): string | undefined => {
    const manifest = byId.get(id);
    if (!manifest) {
      const suggestion = closestMatch(id, payments);
      return `no payment plugin "${id}"${suggestion ? `; did you mean ${suggestion}?` : ''} (${known})`;
    }
    if (manifest.kind !== 'payment') return `plugin "${id}" is a ${manifest.kind} plugin, not a payment method (${known})`;
    if (isPluginDisabled(blocks[id])) return `plugin "${id}" is switched off (plugins.${id}.enabled: false)`;
    return undefined;
  };
  const checkShares = (path: ConfigPath, shares: Readonly<Record<string, number>> | undefined): void => {
    for (const id of Object.keys(shares ?? {})) {
      const problem = methodProblem(id);
      if (problem) invalid.push(at([...path, id], problem));
    }
  };
  for (const key of ['targets', 'snipe'] as const) {
    config[key].forEach((target, i) => {
      target.methods.forEach((id, k) => {
        const problem = methodProblem(id);
        if (problem) invalid.push(at([key, i, 'methods', k], problem));
      });
      checkShares([key, i, 'split', 'shares'], target.split?.shares);
    });
  }
  checkShares(['split', 'shares'], config.split.shares);
  invalid.push(...currencyIssues(config, discovered, blocks).map(([path, message]) => at(path, message)));
  return { issues: [...unknown, ...invalid], unknownKeys: unknown.length > 0 };
}

/** Every amount map keyed by currency (budgets and price caps), with its key path. */
function amountMaps(config: AutomintConfig): [ConfigPath, Readonly<Record<string, unknown>> | undefined][] {
  const maps: [ConfigPath, Readonly<Record<string, unknown>> | undefined][] = [[['budget'], config.budget]];
  config.accounts.forEach((a, i) => maps.push([['accounts', i, 'budget'], a.budget]));
  for (const key of ['targets', 'snipe'] as const) {
    config[key].forEach((t, i) => maps.push([[key, i, 'budget'], t.budget], [[key, i, 'maxPricePerPack'], t.maxPricePerPack]));
  }
  return maps;
}

/** Currencies of budgets and price caps that no plugin in use declares: the host's own (TON, XTR) and those of the
 *  plugins found that are not switched off are accepted. (The schema already refused codes nobody declared; this
 *  catches a currency whose only plugin is switched off.) */
function currencyIssues(
  config: AutomintConfig, discovered: readonly DiscoveredPlugin[], blocks: Readonly<Record<string, unknown>>,
): [ConfigPath, string][] {
  const usable = new Set<string>(HOST_CURRENCIES.map((c) => c.code));
  for (const { manifest } of discovered) {
    if (isPluginDisabled(blocks[manifest.id])) continue;
    for (const c of manifest.currencies ?? []) usable.add(c.code);
  }
  const issues: [ConfigPath, string][] = [];
  for (const [path, amounts] of amountMaps(config)) {
    for (const code of Object.keys(amounts ?? {})) {
      if (!usable.has(code)) issues.push([[...path, code], `no enabled plugin declares currency ${code} (currencies the enabled plugins declare: ${[...usable].join(', ')})`]);
    }
  }
  return issues;
}

/** Finds the configuration's plugins (built-ins and `paths`, the absolute entries of `plugins.paths`); an entry that
 *  does not load (missing, not a manifest, made for another host version) is a ConfigError at that entry. */
export async function discoverConfiguredPlugins(paths: readonly string[], locate: Locate, file?: string): Promise<DiscoveredPlugin[]> {
  try {
    return await discoverPlugins(paths);
  } catch (e) {
    const source = e instanceof PluginError ? e.details['source'] : undefined;
    const index = typeof source === 'string' ? paths.indexOf(source) : -1;
    // A built-in plugin that fails to load is not the configuration's fault.
    if (index < 0) throw e;
    const path = ['plugins', 'paths', index];
    throw new ConfigError('CONFIG_INVALID', [{ path: formatPath(path), message: (e as Error).message, where: locate(path) }], file);
  }
}

/** Checks the plugin side of a loaded configuration against the plugins found. Throws ConfigError. */
export function checkPluginConfig(loaded: LoadedConfig, discovered: readonly DiscoveredPlugin[]): void {
  const { issues, unknownKeys } = pluginConfigIssues(loaded.config, discovered, loaded.source.locate);
  const [first, ...rest] = issues;
  if (first) throw new ConfigError(unknownKeys ? 'CONFIG_UNKNOWN_KEY' : 'CONFIG_INVALID', [first, ...rest], loaded.source.file ?? undefined);
}
