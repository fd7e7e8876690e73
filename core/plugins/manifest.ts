/** The plugin contract: a module whose default export is a branded manifest. The brand is a string, not a class,
 *  so a plugin built against its own copy of automint still passes the check. */
import type { DependencyContainer } from 'tsyringe';
import type { z } from 'zod';
import type { CurrencyDeclaration } from '../money.js';
import { commandsProblem, type PluginCommand } from './command.js';

export const PLUGIN_BRAND = 'automint.plugin/1';
/** The host's own version; plugins declare which host versions they work with (`hostVersion: '^1'`). */
export const HOST_VERSION = '1.0.0';

export type PluginKind = 'payment' | 'notifier' | 'captcha';

const KINDS: readonly PluginKind[] = ['payment', 'notifier', 'captcha'];

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
  /** Keys of the plugin's config block that hold secrets, as paths inside the block: dot-separated, `*` any one key or
   *  list index, `**` any run of them (`['voucherCode', 'accounts.*.token']`). Like the host's own secret keys they
   *  are shown as `[redacted]` by `config show` and their values are scrubbed from logs, errors and spans. */
  readonly secretKeys?: readonly string[];
  /** Currencies the plugin settles in (`[{ code: 'VCH', decimals: 2, name: 'Voucher credit' }]`): budgets and
   *  `maxPricePerPack` accept them, amounts are counted in their smallest unit. TON and XTR are the host's too; a
   *  code declared twice must have the same decimals. */
  readonly currencies?: readonly CurrencyDeclaration[];
  /** `automint` sub-commands the plugin contributes (command.ts): each declared by name and description, its module
   *  imported only when it runs. An external plugin's commands are there when the command line names a configuration
   *  whose `plugins.paths` loads it (`automint <command> -c automint.yaml`); a built-in's always (the host reads them
   *  from the plugin's `commands` module, without importing the manifest). */
  readonly commands?: readonly PluginCommand[];
  /** Registers what the plugin provides (payment plugins: under PAYMENT_METHOD) on the host's child container. */
  register(container: DependencyContainer, config: z.output<S>): void | Promise<void>;
  /** Releases what `register` set up. Called once, after the command that registered the plugin (a run, the demo,
   *  doctor, reconcile) is done with it, however it ends: success, an error, Ctrl-C or SIGTERM; also when its own
   *  `register` threw, to release what it opened half-way. Waited for at most 5 s; a throw is logged. */
  close?(): void | Promise<void>;
}

/** A manifest as `definePlugin` returns it: its config schema's type checked against `register`, then erased. An
 *  interface, so a plugin's emitted declaration names it (`DefinedPlugin` from automint/plugin) rather than zod types
 *  under automint's own node_modules, which a plugin built outside this repository cannot name (TS2742). */
export interface DefinedPlugin extends PluginManifest {}

/** Brands a manifest. */
export function definePlugin<S extends z.ZodType>(manifest: Omit<PluginManifest<S>, '$$type'>): DefinedPlugin {
  return { $$type: PLUGIN_BRAND, ...manifest } as DefinedPlugin;
}

/** True when `value` looks like a manifest of this contract. */
export function isPluginManifest(value: unknown): value is PluginManifest {
  const m = value as Partial<PluginManifest> | null;
  return (
    typeof m === 'object' && m !== null && m.$$type === PLUGIN_BRAND && typeof m.id === 'string' &&
    typeof m.register === 'function' && typeof m.hostVersion === 'string' && typeof m.configSchema === 'object'
  );
}

/** What is wrong with a branded manifest's other fields (its kind and the optional ones), or undefined: a plugin
 *  written by hand, without definePlugin's types, is told here rather than failing later in a run. */
export function manifestProblem(m: PluginManifest): string | undefined {
  if (!KINDS.includes(m.kind)) return `kind must be one of ${KINDS.join(', ')} (found ${JSON.stringify(m.kind)})`;
  if (m.secretKeys !== undefined && (!Array.isArray(m.secretKeys) || !m.secretKeys.every((k) => typeof k === 'string' && k.trim() !== ''))) {
    return 'secretKeys must be a list of key paths inside the plugin\'s config block (e.g. ["voucherCode", "accounts.*.token"])';
  }
  if (m.currencies !== undefined && (!Array.isArray(m.currencies) || !m.currencies.every((c) => typeof c === 'object' && c !== null))) {
    return 'currencies must be a list of { code, decimals, name? }';
  }
  if (m.close !== undefined && typeof m.close !== 'function') return 'close must be a function';
  if (m.commands !== undefined) return commandsProblem(m.commands);
  return undefined;
}
