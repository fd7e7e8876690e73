/** A manifest a test hands over as an object, taken in as the host takes in one it imported from `plugins.paths`:
 *  the same checks (brand, fields, host version range) with the same error codes, and its currencies and secret keys
 *  made known before any configuration is read. Mirrors plugin-module.ts `importManifest` and host.ts's declarations,
 *  which work on files; a test of a plugin's sources has the object, not a built file. */
import { declarePluginSecretKeys } from '../../core/config/secret-paths.js';
import { CurrencyDeclarationInvalid, declareCurrency } from '../../core/money.js';
import { satisfiesHostVersion } from '../../core/plugins/host-version.js';
import type { DiscoveredPlugin } from '../../core/plugins/host.js';
import { HOST_VERSION, isPluginManifest, manifestProblem } from '../../core/plugins/manifest.js';
import { PluginError } from '../../core/plugins/plugin-error.js';

/** `value` checked as a plugin manifest and its declarations adopted, as found plugins' are. */
export function givenManifest(value: unknown, source = 'test'): DiscoveredPlugin {
  if (!isPluginManifest(value)) {
    throw new PluginError('PLUGIN_NOT_A_MANIFEST', 'the plugin given is not a plugin manifest (use definePlugin)', { plugin: source, source });
  }
  const problem = manifestProblem(value);
  if (problem !== undefined) throw new PluginError('PLUGIN_NOT_A_MANIFEST', `plugin ${value.id}: ${problem}`, { plugin: value.id, source });
  if (!satisfiesHostVersion(value.hostVersion, HOST_VERSION)) {
    throw new PluginError('PLUGIN_HOST_VERSION', `plugin ${value.id} is made for automint host version ${value.hostVersion}, but this host is version ${HOST_VERSION}`, { plugin: value.id, source });
  }
  try {
    for (const currency of value.currencies ?? []) declareCurrency(currency, `plugin ${value.id}`);
  } catch (e) {
    if (!(e instanceof CurrencyDeclarationInvalid)) throw e;
    throw new PluginError('PLUGIN_NOT_A_MANIFEST', e.message, { plugin: value.id, source }, { cause: e });
  }
  declarePluginSecretKeys(value.id, value.secretKeys ?? []);
  return { manifest: value, source };
}
