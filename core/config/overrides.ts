/** Setting one configuration key from outside the file (an environment variable or a `--set` flag): finding the key
 *  the text names by following the schema, reading the value the way the key expects, and writing it into the tree. */
import YAML from 'yaml';
import type { z } from 'zod';
import { formatPath, type ConfigPath } from './config-path.js';
import { isSecretPath } from './secret-paths.js';
import { childOf, declaredKeys, looseKey, takesText, unwrapInput } from './schema-walk.js';
import { closestMatch } from './spelling.js';

/** What was set from where (the value is left out: it may be a secret). */
export type OverrideRecord = { readonly path: ConfigPath; readonly origin: string };

/** How a free-form key (a plugin id, a key inside a plugin block) that is not in the tree yet gets its name. */
export type NewKeyNaming =
  /** `API_KEY` → `apiKey`, `TON` → `ton`: environment variable names are upper snake case */
  | 'camelCase'
  /** as written (`--set plugins.ton.apiKey=…`) */
  | 'verbatim';

export type Resolution =
  | { readonly ok: true; readonly path: ConfigPath; readonly schema: z.ZodType }
  | { readonly ok: false; readonly at: ConfigPath; readonly segment: string; readonly reason: string };

type Tree = Record<string, unknown>;

/** Keys that would reach Object.prototype if written. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function camelCase(segment: string): string {
  const words = segment.toLowerCase().split('_').filter(Boolean);
  return words.map((word, i) => (i === 0 ? word : word[0]!.toUpperCase() + word.slice(1))).join('');
}

/** Follows textual key segments through the schema and the data already present, to the exact key path they name. */
export function resolveOverridePath(
  root: z.ZodType,
  tree: unknown,
  segments: readonly string[],
  naming: NewKeyNaming,
): Resolution {
  let schema = root;
  let data: unknown = tree;
  const path: (string | number)[] = [];
  for (const segment of segments) {
    const child = segment === '' ? undefined : childOf(schema, segment);
    if (!child) {
      const isList = unwrapInput(schema).def.type === 'array';
      const known = declaredKeys(schema);
      const suggestion = closestMatch(segment, known);
      const reason = isList
        ? `${formatPath(path)} is a list: the next part must be an index (0, 1, …)`
        : suggestion
          ? `no such key; did you mean ${formatPath([...path, suggestion])}?`
          : `no such key${known.length ? `; the keys${path.length ? ` under ${formatPath(path)}` : ''} are: ${known.join(', ')}` : ''}`;
      return { ok: false, at: path, segment, reason };
    }
    let key = child.key;
    if (typeof key === 'number') {
      const length = Array.isArray(data) ? data.length : 0;
      if (key > length) {
        return { ok: false, at: path, segment, reason: `${formatPath(path)} has ${length} entries: use an index from 0 to ${length}` };
      }
    } else if (child.dynamic) {
      const existing = isTree(data) ? Object.keys(data).find((k) => looseKey(k) === looseKey(key as string)) : undefined;
      const named = naming === 'camelCase' ? camelCase(key) : key;
      // The key's own schema decides when only the name as written is a key: `BUDGET__TON` is TON, not ton.
      const asWritten = child.keyAccepts !== undefined && !child.keyAccepts(named) && child.keyAccepts(key);
      key = existing ?? (asWritten ? key : named);
      if (RESERVED_KEYS.has(key)) return { ok: false, at: path, segment, reason: `"${key}" cannot be a key` };
    }
    path.push(key);
    schema = child.schema;
    data = isTree(data) && typeof key === 'string' ? data[key] : Array.isArray(data) && typeof key === 'number' ? data[key] : undefined;
  }
  return { ok: true, path, schema };
}

/** Reads override text the way the key expects: verbatim for text keys and secrets, as a YAML value otherwise
 *  (so `true`, `5` and `[a, b]` become a boolean, a number and a list). */
export function overrideValue(schema: z.ZodType | undefined, path: ConfigPath, raw: string): unknown {
  if (isSecretPath(path) || (schema && takesText(schema))) return raw;
  try {
    return YAML.parse(raw) as unknown;
  } catch {
    return raw; // not YAML: the schema will say what it expected
  }
}

/** Writes `value` at `path`, creating the objects and lists on the way. */
export function setAtPath(tree: Tree, path: ConfigPath, value: unknown): void {
  let node: Tree | unknown[] = tree;
  path.forEach((segment, i) => {
    const last = i === path.length - 1;
    const container = node as Record<string | number, unknown>;
    if (last) {
      container[segment] = value;
      return;
    }
    const next = path[i + 1]!;
    const existing = Object.hasOwn(container, segment) ? container[segment] : undefined;
    const fits = typeof next === 'number' ? Array.isArray(existing) : isTree(existing);
    if (!fits) container[segment] = typeof next === 'number' ? [] : {};
    node = container[segment] as Tree | unknown[];
  });
}
