/** Turning zod's validation issues into configuration issues a person can act on: the full key path, "did you
 *  mean" for a misspelt key, where the value came from, and never a secret value. */
import type { z } from 'zod';
import type { ConfigIssue } from './config-error.js';
import { formatPath, type ConfigPath } from './config-path.js';
import { declaredKeys, schemaAt } from './schema-walk.js';
import { closestMatch } from './spelling.js';

/** Where the value at a path came from (`config.yaml:3:5`, an environment variable, a flag), if known. */
export type Locate = (path: ConfigPath) => string | undefined;

/** Replaces zod's "expected string, received undefined" with plain words; other messages stay zod's own. */
export const configErrorMap: z.core.$ZodErrorMap = (issue) =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'required key is missing' : undefined;

function pathOf(issue: z.core.$ZodIssue): ConfigPath {
  return issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
}

function unknownKeyMessage(schema: z.ZodType, parent: ConfigPath, key: string): string {
  const known = declaredKeys(schema).filter((k) => k !== key);
  const suggestion = closestMatch(key, known);
  if (suggestion) return `unknown key; did you mean ${suggestion}?`;
  const under = parent.length ? ` under ${formatPath(parent)}` : '';
  return known.length ? `unknown key; the keys${under} are: ${known.join(', ')}` : 'unknown key';
}

/** Blanks every known secret value out of a message, in case a message ever quotes its input. */
function scrub(message: string, secrets: readonly string[]): string {
  return secrets.reduce((text, secret) => (secret.length >= 4 ? text.split(secret).join('[redacted]') : text), message);
}

/**
 * Converts zod issues into configuration issues, unknown keys first (a misspelt key usually explains the "required"
 * issue next to it). `unknownKeys` tells whether any key was unknown, which decides the error code. `schema` may
 * check a part of the configuration (a plugin's block) that sits at `prefix`: paths and locations then include it.
 */
export function toConfigIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  locate: Locate,
  secrets: readonly string[],
  prefix: ConfigPath = [],
): { readonly issues: ConfigIssue[]; readonly unknownKeys: boolean } {
  const unknown: ConfigIssue[] = [];
  const invalid: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = pathOf(issue);
    if (issue.code === 'unrecognized_keys') {
      const parentSchema = schemaAt(schema, path);
      for (const key of issue.keys) {
        const message = parentSchema ? unknownKeyMessage(parentSchema, [...prefix, ...path], key) : 'unknown key';
        unknown.push({ path: formatPath([...prefix, ...path, key]), message, where: locate([...prefix, ...path, key]) });
      }
    } else {
      // A refused map key (a currency code in lower case): the key schema's own words, not zod's "Invalid key".
      const message = issue.code === 'invalid_key' ? issue.issues.map((i) => i.message).join('; ') || issue.message : issue.message;
      invalid.push({ path: formatPath([...prefix, ...path]), message: scrub(message, secrets), where: locate([...prefix, ...path]) });
    }
  }
  return { issues: [...unknown, ...invalid], unknownKeys: unknown.length > 0 };
}
