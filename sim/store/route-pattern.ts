/** Path patterns shared by the router, the traffic counts and the fault filter: segments split on `/`, a segment
 *  `:name` captures one segment, a last segment `*` matches whatever follows (nothing included). */

export interface PathPattern {
  /** The pattern as written, e.g. `/api/v1/collection/:id`. */
  readonly text: string;
  readonly segments: readonly string[];
}

/** The non-empty segments of a path (`/a//b/` → `['a', 'b']`). */
export function pathSegments(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

/** A pattern ready to match. */
export function compilePattern(text: string): PathPattern {
  return { text, segments: pathSegments(text) };
}

/** The captured parameters when `segments` match `pattern`, or null. A segment that is not valid URI encoding
 *  never matches a capture. */
export function matchPattern(pattern: PathPattern, segments: readonly string[]): Record<string, string> | null {
  const want = pattern.segments;
  const rest = want.length > 0 && want[want.length - 1] === '*';
  const fixed = rest ? want.length - 1 : want.length;
  if (rest ? segments.length < fixed : segments.length !== fixed) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < fixed; i++) {
    const w = want[i]!;
    const got = segments[i]!;
    if (w.startsWith(':')) {
      try {
        params[w.slice(1)] = decodeURIComponent(got);
      } catch {
        return null;
      }
    } else if (w !== got) {
      return null;
    }
  }
  return params;
}
