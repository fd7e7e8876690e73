/** A notifier plugin loaded the way `automint run` loads it, on a bus of run events the test emits on: found (its
 *  manifest or a module path), its config block validated by its own schema, registered on a container holding
 *  CONFIG, LOGGER and RUN_EVENTS, its notifiers subscribed as a run subscribes them (each call bounded), and at the end
 *  drained and closed as a run closes them. A test emits the events a run would and checks what the plugin did. */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { container } from 'tsyringe';
import { AutomintConfigSchema, pluginBlocks } from '../../core/config/schema.js';
import { RunEvents, type SubscriberStats } from '../../core/events/run-events.js';
import type { RunEventDraft } from '../../core/events/run-event.js';
import { discoverPlugins, registerPlugins, type DiscoveredPlugin } from '../../core/plugins/host.js';
import type { PluginManifest } from '../../core/plugins/manifest.js';
import { NOTIFIER, RUN_EVENTS, type Notifier } from '../../core/plugins/notifier.js';
import { CONFIG, LOGGER } from '../../core/plugins/tokens.js';
import { startNotifiers } from '../../core/run/run-notifiers.js';
import { givenManifest } from './given-manifest.js';

export interface LoadNotifierPluginOptions {
  /** The plugin: its manifest, or a module path (a file, or a folder with a package.json entry or an index). */
  readonly plugin: PluginManifest | string;
  /** The plugin's id; default the manifest's (required with a path). */
  readonly id?: string;
  /** The plugin's config block (`plugins.<id>` in a config file); its presence enables the plugin. */
  readonly config?: Record<string, unknown>;
}

export interface LoadedNotifier {
  /** What the plugin registered under NOTIFIER, subscribed to the bus. */
  readonly notifiers: readonly Notifier[];
  /** Emits an event as a run does: stamped with `at` (now) and no trace id, queued for every subscriber that wants it,
   *  delivered asynchronously. */
  emit(event: RunEventDraft): void;
  /** Each subscription's counts so far: delivered, dropped, failed, queued. */
  stats(): readonly SubscriberStats[];
  /** As a run ends: drains the queues (at most `drainMs`, default 2 s), stops the subscribers, closes each notifier
   *  and then the plugin; the counts at the end. */
  close(drainMs?: number): Promise<readonly SubscriberStats[]>;
}

/** Loads one notifier plugin on a fresh bus of run events. */
export async function loadNotifierPlugin(opts: LoadNotifierPluginOptions): Promise<LoadedNotifier> {
  const id = opts.id ?? (typeof opts.plugin === 'object' ? opts.plugin.id : undefined);
  if (id === undefined) throw new Error('loadNotifierPlugin: give `id` with a plugin path');
  // A run's configuration around the plugin's block: plugins read CONFIG, and a config needs an account and a target.
  const config = AutomintConfigSchema.parse({
    dataDir: await mkdtemp(path.join(os.tmpdir(), 'automint-notifier-')),
    accounts: [{ name: 'alice' }],
    targets: [{ collection: 1, character: 1, packs: 1, methods: ['ton'] }],
    plugins: { [id]: opts.config ?? {} },
  });
  const log = pino({ level: 'silent' });
  const events = new RunEvents({ log });
  const scope = container.createChildContainer();
  scope.register(CONFIG, { useValue: config });
  scope.register(LOGGER, { useValue: log });
  scope.register(RUN_EVENTS, { useValue: events.source() });
  const found: DiscoveredPlugin[] = typeof opts.plugin === 'string' ? await discoverPlugins([opts.plugin]) : [givenManifest(opts.plugin)];
  const registered = await registerPlugins(scope, found.filter((d) => d.manifest.id === id), pluginBlocks(config), new Set());
  const notifiers = registered.scope.isRegistered(NOTIFIER, true) ? registered.scope.resolveAll(NOTIFIER) : [];
  const started = await startNotifiers(notifiers, events, log);
  return {
    notifiers,
    emit: (event) => events.emit(event),
    stats: () => events.stats(),
    close: async (drainMs) => {
      const stats = await started.close(drainMs);
      await registered.close();
      return stats;
    },
  };
}
