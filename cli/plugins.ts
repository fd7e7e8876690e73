/** `automint plugins`: the plugins found (built-in and from `plugins.paths`), which the configuration enables, and the
 *  currencies and commands each brings. */
import 'reflect-metadata';
import { container } from 'tsyringe';
import { loadValidatedConfig } from '../core/config/load.js';
import { methodsInUse, pluginBlocks } from '../core/config/schema.js';
import { discoverPlugins, registerPlugins, type LoadedPlugin } from '../core/plugins/host.js';
import { HOST_VERSION } from '../core/plugins/manifest.js';
import { CONFIG, LOGGER } from '../core/plugins/tokens.js';
import { createLogger } from '../core/telemetry/logger.js';
import { knownSecrets } from '../core/telemetry/secret-registry.js';
import { action } from './failure.js';
import { protectSecrets } from './session.js';

export const pluginsCommand = action(async (opts: { config?: string }): Promise<number> => {
  let rows: LoadedPlugin[];
  if (opts.config) {
    const { config } = await loadValidatedConfig({ file: opts.config });
    protectSecrets(config);
    const scope = container.createChildContainer();
    scope.register(CONFIG, { useValue: config });
    scope.register(LOGGER, { useValue: createLogger({ level: 'silent', format: 'json', secrets: knownSecrets }) });
    const discovered = await discoverPlugins(config.plugins.paths);
    const registered = await registerPlugins(scope, discovered, pluginBlocks(config), methodsInUse(config));
    // Registering was only to see what is enabled: whatever a plugin opened in register is released at once.
    await registered.close();
    rows = registered.loaded;
  } else {
    rows = (await discoverPlugins()).map(({ manifest: m, source }) => ({
      id: m.id, kind: m.kind, description: m.description, hostVersion: m.hostVersion, source, enabled: false,
      currencies: (m.currencies ?? []).map((c) => c.code), commands: (m.commands ?? []).map((c) => c.name),
    }));
  }
  const header = ['id', 'kind', 'enabled', 'host', 'currencies', 'commands', 'source', 'description'];
  const body = rows.map((r) => [
    r.id, r.kind, opts.config ? (r.enabled ? 'yes' : 'no') : '-', r.hostVersion, r.currencies.join(',') || '-', r.commands.join(',') || '-',
    r.source, r.description,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  process.stdout.write([`host version ${HOST_VERSION}`, line(header), ...body.map(line)].join('\n') + '\n');
  return 0;
});
