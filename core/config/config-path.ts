/** Key paths into a configuration tree, written the way a person reads them: `targets[0].maxPricePerPack.TON`. */

/** A path into a config tree: object keys are strings, array indexes numbers. */
export type ConfigPath = readonly (string | number)[];

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

/** Renders a path as `a.b[0].c`; keys that are not plain identifiers are quoted (`plugins["my.plugin"]`). */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Splits `a.b[0].c` or `a.b.0.c` into its textual segments (`['a', 'b', '0', 'c']`); the schema decides what each one is. */
export function splitPath(text: string): string[] {
  const segments: string[] = [];
  for (const part of text.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return [];
    if (m[1]) segments.push(m[1]);
    for (const index of m[2]!.matchAll(/\[(\d+)\]/g)) segments.push(index[1]!);
    if (!m[1] && !m[2]) return [];
  }
  return segments;
}

/** True when `prefix` is `path` or one of its ancestors. */
export function isPathPrefix(prefix: ConfigPath, path: ConfigPath): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => segment === path[i]);
}
