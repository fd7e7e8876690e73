/** The plugin host: discovers built-in plugins in `plugins/*` and external ones from configured paths (files,
 *  folders or installed packages, resolved by the configuration loader), checks the brand and host version, makes
 *  each found plugin's currencies and secret keys known, validates each enabled plugin's config block with the
 *  plugin's own schema (errors name the key under `plugins.<id>`), lets each register on one child container, and
 *  closes them again. Payment methods are then found with `resolveAll(PAYMENT_METHOD)`: the host never names a
 *  plugin. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { DependencyContainer } from 'tsyringe';
import { errorFacts } from '../errors.js';
import { isKnownCurrency, type Currency } from '../money.js';
import { builtinPluginDir } from './builtin-dir.js';
import type { PluginKind, PluginManifest } from './manifest.js';
import { adoptDeclarations, importManifest, pluginFile } from './plugin-module.js';
import { PAYMENT_METHOD, type PaymentMethod } from './payment.js';
import { PluginError } from './plugin-error.js';
import { LOGGER } from './tokens.js';

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
  /** The currency codes the plugin declares. */
  readonly currencies: readonly Currency[];
  /** The CLI commands the plugin contributes (`automint <name>`). */
  readonly commands: readonly string[];
}

/** What registering the enabled plugins gives: their container, what was found, the payment methods, and `close`. */
export interface RegisteredPlugins {
  readonly scope: DependencyContainer;
  readonly loaded: LoadedPlugin[];
  readonly payments: PaymentMethod[];
  /** Calls every registered plugin's `close` once (later calls do nothing), last registered first; a throw or a
   *  close taking longer than PLUGIN_CLOSE_LIMIT_MS is logged, never thrown: the command still ends. */
  close(): Promise<void>;
}

/** Longest the host waits for one plugin's `close`. */
export const PLUGIN_CLOSE_LIMIT_MS = 5_000;

export { builtinPluginDir };

/** Finds and imports every plugin: built-ins first, then `paths` (absolute module files, folders, or what the
 *  configuration loader resolved a package name to). */
export async function discoverPlugins(paths: readonly string[] = [], builtinDir = builtinPluginDir()): Promise<DiscoveredPlugin[]> {
  const found: DiscoveredPlugin[] = [];
  const seen = new Set<string>();
  const add = async (file: string, source: string): Promise<void> => {
    const manifest = await importManifest(file, source);
    if (seen.has(manifest.id)) {
      throw new PluginError('PLUGIN_DUPLICATE', `two plugins claim the id "${manifest.id}" (${source})`, { plugin: manifest.id, source });
    }
    seen.add(manifest.id);
    adoptDeclarations(manifest, source);
    found.push({ manifest, source });
  };
  if (existsSync(builtinDir)) {
    for (const entry of readdirSync(builtinDir, { withFileTypes: true }).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      const index = builtinIndex(path.join(builtinDir, entry.name));
      if (index) await add(index, 'built-in');
    }
  }
  for (const p of paths) {
    const file = pluginFile(path.resolve(p));
    if (file === null) {
      throw new PluginError('PLUGIN_NOT_FOUND', `no plugin module at ${p}`, { plugin: p, path: 'plugins.paths', source: p });
    }
    await add(file, p);
  }
  return found;
}

/**
 * Validates and registers the enabled plugins on a child of `container`. A plugin is enabled when a target names it
 * in `methods` or its config block is present without `enabled: false`. A failure closes the plugins already
 * registered before it is thrown.
 */
export async function registerPlugins(
  container: DependencyContainer,
  discovered: readonly DiscoveredPlugin[],
  blocks: Readonly<Record<string, unknown>>,
  wanted: ReadonlySet<string>,
): Promise<RegisteredPlugins> {
  const byId = new Map(discovered.map((d) => [d.manifest.id, d]));
  for (const id of Object.keys(blocks)) {
    if (id !== 'paths' && !byId.has(id)) {
      throw new PluginError('PLUGIN_NOT_FOUND', `plugins.${id}: no plugin with id "${id}" (have: ${[...byId.keys()].join(', ') || 'none'})`, { plugin: id, path: `plugins.${id}` });
    }
  }
  const payments = discovered.filter((d) => d.manifest.kind === 'payment').map((d) => d.manifest.id);
  for (const id of wanted) {
    const kind = byId.get(id)?.manifest.kind;
    if (kind === undefined) {
      throw new PluginError('PLUGIN_NOT_FOUND', `a target pays with "${id}" but no plugin provides it (have: ${[...byId.keys()].join(', ') || 'none'})`, { plugin: id, path: 'targets[].methods' });
    }
    if (kind !== 'payment') {
      throw new PluginError('PLUGIN_NOT_PAYMENT', `a target pays with "${id}", a ${kind} plugin, not a payment method (payment plugins: ${payments.join(', ') || 'none'})`, { plugin: id, path: 'targets[].methods' });
    }
  }
  const scope = container.createChildContainer();
  const loaded: LoadedPlugin[] = [];
  const registered: PluginManifest[] = [];
  const close = closeOnce(registered, container);
  try {
    for (const { manifest, source } of discovered) {
      const block = blocks[manifest.id];
      const enabled = isPluginEnabled(manifest.id, block, wanted);
      loaded.push({
        id: manifest.id, kind: manifest.kind, description: manifest.description, hostVersion: manifest.hostVersion, source, enabled,
        currencies: (manifest.currencies ?? []).map((c) => c.code),
        commands: (manifest.commands ?? []).map((c) => c.name),
      });
      if (!enabled) continue;
      const parsed = manifest.configSchema.safeParse(pluginSettings(block));
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `plugins.${manifest.id}${i.path.length ? '.' + i.path.join('.') : ''}: ${i.message}`);
        throw new PluginError('PLUGIN_CONFIG_INVALID', issues.join('\n'), { plugin: manifest.id, path: issues[0]?.split(':')[0] });
      }
      // Counted before register runs: a register that fails half-way may have opened something its close releases.
      registered.push(manifest);
      await manifest.register(scope, parsed.data);
    }
    const methods = scope.isRegistered(PAYMENT_METHOD, true) ? scope.resolveAll<PaymentMethod>(PAYMENT_METHOD) : [];
    // Every amount of a method is counted and shown in its currency's decimals: one nobody declared cannot be. The
    // methods are made by now (they may hold sockets or timers): each is closed before the plugins are.
    const undeclared = methods.find((m) => !isKnownCurrency(m.currency));
    if (undeclared !== undefined) {
      await closeMethods(methods, container);
      throw new PluginError('PLUGIN_CURRENCY_UNDECLARED', `payment method ${undeclared.id} settles in ${String(undeclared.currency)}, which no plugin declares (add it to the manifest's currencies)`, { plugin: undeclared.id });
    }
    return { scope, loaded, payments: methods, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** A `close` for the registered plugins that runs once, last registered first, each bounded and never throwing. */
function closeOnce(registered: readonly PluginManifest[], container: DependencyContainer): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      for (const manifest of [...registered].reverse()) {
        if (typeof manifest.close !== 'function') continue;
        const failure = await bounded(async () => manifest.close!(), PLUGIN_CLOSE_LIMIT_MS);
        if (failure === null) continue;
        const log = container.isRegistered(LOGGER, true) ? container.resolve(LOGGER) : undefined;
        log?.warn({ plugin: manifest.id, err: errorFacts(failure) }, `plugin ${manifest.id} did not close cleanly`);
      }
    })();
    return closing;
  };
}

/** Closes payment methods made but never handed over, each bounded and never throwing. */
async function closeMethods(methods: readonly PaymentMethod[], container: DependencyContainer): Promise<void> {
  for (const method of methods) {
    const failure = await bounded(async () => method.close(), PLUGIN_CLOSE_LIMIT_MS);
    if (failure === null) continue;
    const log = container.isRegistered(LOGGER, true) ? container.resolve(LOGGER) : undefined;
    log?.warn({ method: method.id, err: errorFacts(failure) }, `payment method ${method.id} did not close cleanly`);
  }
}

/** Runs `work`, waiting at most `limitMs`; the error it threw (or a timeout error), or null when it finished. */
async function bounded(work: () => Promise<unknown>, limitMs: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Error>((resolve) => {
    timer = setTimeout(() => resolve(new Error(`close took longer than ${limitMs} ms`)), limitMs);
    timer.unref();
  });
  try {
    return await Promise.race([work().then(() => null, (e: unknown) => e ?? new Error('close failed')), timeout]);
  } finally {
    clearTimeout(timer);
  }
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

/** A built-in plugin's entry: its index, compiled or not. */
function builtinIndex(dir: string): string | null {
  for (const name of ['index.js', 'index.ts']) {
    const f = path.join(dir, name);
    if (existsSync(f)) return f;
  }
  return null;
}
