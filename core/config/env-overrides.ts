/** `AUTOMINT__SECTION__KEY=value` environment overrides. Segments are separated by a double underscore and name
 *  schema keys case-insensitively (`AUTOMINT__STORE__BASEURL` → `store.baseUrl`), list entries by index
 *  (`AUTOMINT__ACCOUNTS__0__STORETOKEN`); values are read as YAML scalars unless the key takes text. */
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { formatPath } from './config-path.js';
import { overrideValue, resolveOverridePath, setAtPath, type OverrideRecord } from './overrides.js';

export const ENV_PREFIX = 'AUTOMINT__';

/** The environment as read: `process.env` or any plain map. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The AUTOMINT__ variables present, in a stable order (numeric parts compared as numbers, so index 2 precedes 10). */
export function overrideVariables(env: Environment): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && env[name] !== undefined)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * Applies every AUTOMINT__ variable to `tree` and returns what was set from where. A variable that names no key is a
 * CONFIG_UNKNOWN_KEY error naming the variable (all such variables are reported together).
 */
export function applyEnvOverrides(tree: Record<string, unknown>, env: Environment, schema: z.ZodType): OverrideRecord[] {
  const applied: OverrideRecord[] = [];
  const unknown: ConfigIssue[] = [];
  for (const variable of overrideVariables(env)) {
    const segments = variable.slice(ENV_PREFIX.length).split('__');
    const resolved = resolveOverridePath(schema, tree, segments, 'camelCase');
    if (!resolved.ok) {
      unknown.push({
        path: formatPath([...resolved.at, resolved.segment]),
        message: resolved.reason,
        where: `environment variable ${variable}`,
      });
      continue;
    }
    setAtPath(tree, resolved.path, overrideValue(resolved.schema, resolved.path, env[variable]!));
    applied.push({ path: resolved.path, origin: variable });
  }
  const [first, ...rest] = unknown;
  if (first) throw new ConfigError('CONFIG_UNKNOWN_KEY', [first, ...rest]);
  return applied;
}
