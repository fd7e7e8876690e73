/** The plugin host: discovers built-in plugins in `plugins/*` and external ones from configured paths, checks the
 *  brand and host version, validates each enabled plugin's config block with the plugin's own schema (errors name
 *  the key under `plugins.<id>`), and lets each register on one child container. Payment methods are then found
 *  with `resolveAll(PAYMENT_METHOD)`: the host never names a plugin. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DependencyContainer } from 'tsyringe';
import { HOST_VERSION, isPluginManifest, type PluginKind, type PluginManifest } from './manifest.js';
import { satisfiesHostVersion } from './host-version.js';
import { PAYMENT_METHOD, type PaymentMethod } from './payment.js';
import { PluginError } from './plugin-error.js';

export interface DiscoveredPlugin {
  readonly manifest: PluginManifest;
  /** 'built-in' or the path it was loaded from. */
  readonly source: string;
}

export interface LoadedPlugin {
  readonly id: string;
  readonly kind: PluginKind;
  readonly description: string;
  readonly hostVersion: string;
  readonly source: string;
  readonly enabled: boolean;
}

/** The folder that holds the built-in plugins, next to `core/` in both the sources and `dist/`. */
export function builtinPluginDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../plugins');
}

/** Finds and imports every plugin: built-ins first, then `paths` (files or folders with an index). */
export async function discoverPlugins(paths: readonly string[] = [], builtinDir = builtinPluginDir()): Promise<DiscoveredPlugin[]> {
  const found: DiscoveredPlugin[] = [];
  const seen = new Set<string>();
  const add = async (file: string, source: string): Promise<void> => {
    const manifest = await importManifest(file, source);
    if (seen.has(manifest.id)) {
      throw new PluginError('PLUGIN_DUPLICATE', `two plugins claim the id "${manifest.id}" (${source})`, { plugin: manifest.id, source });
    }
    seen.add(manifest.id);
    found.push({ manifest, source });
  };
  if (existsSync(builtinDir)) {
    for (const entry of readdirSync(builtinDir, { withFileTypes: true }).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      const index = indexFile(path.join(builtinDir, entry.name));
      if (index) await add(index, 'built-in');
    }
  }
  for (const p of paths) {
    const abs = path.resolve(p);
    const file = existsSync(abs) && !/\.[cm]?[jt]s$/.test(abs) ? indexFile(abs) : abs;
    if (!file || !existsSync(file)) {
      throw new PluginError('PLUGIN_NOT_FOUND', `no plugin module at ${p}`, { plugin: p, path: 'plugins.paths', source: p });
    }
    await add(file, p);
  }
  return found;
}

/**
 * Validates and registers the enabled plugins on a child of `container`. A plugin is enabled when a target names it
 * in `methods` or its config block is present without `enabled: false`.
 */
export async function registerPlugins(
  container: DependencyContainer,
  discovered: readonly DiscoveredPlugin[],
  blocks: Readonly<Record<string, unknown>>,
  wanted: ReadonlySet<string>,
): Promise<{ scope: DependencyContainer; loaded: LoadedPlugin[]; payments: PaymentMethod[] }> {
  const byId = new Map(discovered.map((d) => [d.manifest.id, d]));
  for (const id of Object.keys(blocks)) {
    if (id !== 'paths' && !byId.has(id)) {
      throw new PluginError('PLUGIN_NOT_FOUND', `plugins.${id}: no plugin with id "${id}" (have: ${[...byId.keys()].join(', ') || 'none'})`, { plugin: id, path: `plugins.${id}` });
    }
  }
  for (const id of wanted) {
    if (!byId.has(id)) {
      throw new PluginError('PLUGIN_NOT_FOUND', `a target pays with "${id}" but no plugin provides it (have: ${[...byId.keys()].join(', ') || 'none'})`, { plugin: id, path: 'targets[].methods' });
    }
  }
  const scope = container.createChildContainer();
  const loaded: LoadedPlugin[] = [];
  for (const { manifest, source } of discovered) {
    const block = blocks[manifest.id];
    const enabled = isPluginEnabled(manifest.id, block, wanted);
    loaded.push({ id: manifest.id, kind: manifest.kind, description: manifest.description, hostVersion: manifest.hostVersion, source, enabled });
    if (!enabled) continue;
    const parsed = manifest.configSchema.safeParse(pluginSettings(block));
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `plugins.${manifest.id}${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`);
      throw new PluginError('PLUGIN_CONFIG_INVALID', issues.join('\n'), { plugin: manifest.id, path: issues[0]?.split(':')[0] });
    }
    await manifest.register(scope, parsed.data);
  }
  const payments = scope.isRegistered(PAYMENT_METHOD, true) ? scope.resolveAll<PaymentMethod>(PAYMENT_METHOD) : [];
  return { scope, loaded, payments };
}

/** True when the plugin is switched off by `enabled: false` in its block. */
export function isPluginDisabled(block: unknown): boolean {
  return typeof block === 'object' && block !== null && (block as { enabled?: unknown }).enabled === false;
}

/** Whether a plugin runs: a target names it in `methods`, or its block is present, and it is not switched off. */
export function isPluginEnabled(id: string, block: unknown, wanted: ReadonlySet<string>): boolean {
  return !isPluginDisabled(block) && (wanted.has(id) || block !== undefined);
}

/** What the plugin's own schema checks: its block without the host's `enabled` switch (`{}` when there is none). */
export function pluginSettings(block: unknown): unknown {
  if (block === undefined) return {};
  if (typeof block !== 'object' || block === null) return block;
  const { enabled: _enabled, ...rest } = block as Record<string, unknown>;
  return rest;
}

function indexFile(dir: string): string | null {
  for (const name of ['index.js', 'index.ts']) {
    const f = path.join(dir, name);
    if (existsSync(f)) return f;
  }
  return null;
}

async function importManifest(file: string, source: string): Promise<PluginManifest> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw new PluginError('PLUGIN_LOAD_FAILED', `could not load plugin module ${file}: ${(e as Error).message}`, { plugin: file, source }, { cause: e });
  }
  const manifest = mod.default;
  if (!isPluginManifest(manifest)) {
    throw new PluginError('PLUGIN_NOT_A_MANIFEST', `${file} does not export a plugin manifest as default (use definePlugin)`, { plugin: file, source });
  }
  if (!satisfiesHostVersion(manifest.hostVersion, HOST_VERSION)) {
    throw new PluginError('PLUGIN_HOST_VERSION', `plugin ${manifest.id} wants host ${manifest.hostVersion}; this host is ${HOST_VERSION}`, { plugin: manifest.id, source });
  }
  return manifest;
}
