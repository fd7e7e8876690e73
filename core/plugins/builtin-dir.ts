/** Where the built-in plugins live: in its own module, so finding their commands for `automint --help` loads nothing
 *  of the host. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder that holds the built-in plugins, next to `core/` in both the sources and `dist/`. */
export function builtinPluginDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../plugins');
}
