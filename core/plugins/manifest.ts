/** The plugin contract: a module whose default export is a branded manifest. The brand is a string, not a class,
 *  so a plugin built against its own copy of automint still passes the check. */
import type { DependencyContainer } from 'tsyringe';
import type { z } from 'zod';

export const PLUGIN_BRAND = 'automint.plugin/1';
/** The host's own version; plugins declare which host versions they work with (`hostVersion: '^1'`). */
export const HOST_VERSION = '1.0.0';

export type PluginKind = 'payment' | 'notifier' | 'captcha';

export interface PluginManifest<S extends z.ZodType = z.ZodType> {
  readonly $$type: typeof PLUGIN_BRAND;
  readonly kind: PluginKind;
  /** Config key under `plugins:` and the id targets name in `methods`. */
  readonly id: string;
  readonly description: string;
  /** Host versions this plugin works with: `^1`, `1.x`, `>=1.0.0 <2`. */
  readonly hostVersion: string;
  /** Validates the plugin's own config block; errors name keys under `plugins.<id>`. */
  readonly configSchema: S;
  /** Registers what the plugin provides (payment plugins: under PAYMENT_METHOD) on the host's child container. */
  register(container: DependencyContainer, config: z.output<S>): void | Promise<void>;
}

/** Brands a manifest. */
export function definePlugin<S extends z.ZodType>(manifest: Omit<PluginManifest<S>, '$$type'>): PluginManifest<S> {
  return { $$type: PLUGIN_BRAND, ...manifest };
}

/** True when `value` looks like a manifest of this contract. */
export function isPluginManifest(value: unknown): value is PluginManifest {
  const m = value as Partial<PluginManifest> | null;
  return (
    typeof m === 'object' && m !== null && m.$$type === PLUGIN_BRAND && typeof m.id === 'string' &&
    typeof m.register === 'function' && typeof m.hostVersion === 'string' && typeof m.configSchema === 'object'
  );
}
