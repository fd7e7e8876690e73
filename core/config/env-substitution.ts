/** `${VAR}` references inside string values of the configuration file, replaced from the environment. A reference
 *  may be the whole value or part of it; `$${VAR}` is the literal text `${VAR}`. Substitution happens after YAML
 *  parsing, so a variable's value can never change the file's structure. */
import YAML from 'yaml';
import type { z } from 'zod';
import type { ConfigPath } from './config-path.js';
import type { Environment } from './env-overrides.js';
import { isSecretPath } from './secret-paths.js';
import { schemaAt, takesText } from './schema-walk.js';

/** A reference to a variable that is not set. */
export type MissingVariable = { readonly path: ConfigPath; readonly variable: string };

const REFERENCE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/**
 * Returns a copy of `tree` with every `${VAR}` replaced, and the references that could not be. A value that is
 * exactly one reference, at a key that does not take text (a number, a flag, a list), is read as YAML, so
 * `packs: ${PACKS}` with PACKS=10 gives the number 10.
 */
export function substituteEnvReferences(
  tree: unknown,
  env: Environment,
  schema: z.ZodType,
): { readonly value: unknown; readonly missing: readonly MissingVariable[] } {
  const missing: MissingVariable[] = [];

  const substitute = (text: string, path: ConfigPath): unknown => {
    let unresolved = false;
    const replaced = text.replace(REFERENCE, (whole, escape: string, variable: string) => {
      if (escape) return whole.slice(1);
      const value = env[variable];
      if (value === undefined) {
        missing.push({ path, variable });
        unresolved = true;
        return whole;
      }
      return value;
    });
    if (unresolved || !WHOLE_REFERENCE.test(text) || isSecretPath(path)) return replaced;
    const target = schemaAt(schema, path);
    if (!target || takesText(target)) return replaced;
    try {
      return YAML.parse(replaced) as unknown;
    } catch {
      return replaced; // the schema will say what it expected
    }
  };

  const walk = (value: unknown, path: ConfigPath): unknown => {
    if (typeof value === 'string') return substitute(value, path);
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return value;
  };

  return { value: walk(tree, []), missing };
}
