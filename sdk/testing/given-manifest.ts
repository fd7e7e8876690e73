/** A manifest a test hands over as an object, taken in as the host takes in one it imported from `plugins.paths`:
 *  the same checks (brand, fields, host version range) with the same error codes, and its currencies and secret keys
 *  made known before any configuration is read (plugin-module.ts's checks and declarations, which the host runs on the
 *  files it imports; a test of a plugin's sources has the object, not a built file). */
import type { DiscoveredPlugin } from '../../core/plugins/host.js';
import { adoptDeclarations, checkedManifest } from '../../core/plugins/plugin-module.js';

/** `value` checked as a plugin manifest and its declarations adopted, as found plugins' are. */
export function givenManifest(value: unknown, source = 'test'): DiscoveredPlugin {
  const manifest = checkedManifest(value, 'the plugin given', source);
  adoptDeclarations(manifest, source);
  return { manifest, source };
}
