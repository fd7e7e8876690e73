/** The kinds of plugin the host knows, as a value: the manifest contract declares them only as a type, and a plugin
 *  author (or a test) wants to list or check them. */
import type { PluginKind } from '../core/plugins/manifest.js';

/** Every `kind` a manifest may declare. */
export const PLUGIN_KINDS = ['payment', 'notifier', 'captcha'] as const satisfies readonly PluginKind[];

// Fails to compile when the manifest contract gains a kind this list lacks.
type Missing = Exclude<PluginKind, (typeof PLUGIN_KINDS)[number]>;
const everyKindListed: [Missing] extends [never] ? true : Missing = true;
void everyKindListed;
