/** Whether a plugin's declared host-version range admits this host. Supports what plugins write in practice:
 *  `*`, `1`, `1.x`, `^1`, `^1.2`, `~1.2`, exact `1.2.3`, and space-separated comparator sets like `>=1.0.0 <2`. */

type Version = [number, number, number];

function parse(v: string): Version | null {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?$/.exec(v.trim());
  if (!m) return null;
  const n = (s: string | undefined): number => (s === undefined || s === 'x' || s === '*' ? 0 : Number(s));
  return [n(m[1]), n(m[2]), n(m[3])];
}

function cmp(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

function partsGiven(v: string): number {
  return v.replace(/^[~^v]/, '').split('.').filter((p) => p !== 'x' && p !== '*').length;
}

/** True when `version` satisfies `range`; false for ranges it cannot read. */
export function satisfiesHostVersion(range: string, version: string): boolean {
  const have = parse(version);
  if (!have) return false;
  const r = range.trim();
  if (r === '*' || r === '') return true;
  return r.split(/\s+/).every((comparator) => {
    const m = /^(\^|~|>=|<=|>|<|=)?(.+)$/.exec(comparator);
    if (!m) return false;
    const op = m[1] ?? '';
    const want = parse(m[2]!);
    if (!want) return false;
    const c = cmp(have, want);
    switch (op) {
      case '>=': return c >= 0;
      case '<=': return c <= 0;
      case '>': return c > 0;
      case '<': return c < 0;
      case '^': return c >= 0 && (want[0] > 0 ? have[0] === want[0] : have[0] === 0 && have[1] === want[1]);
      case '~': return c >= 0 && have[0] === want[0] && have[1] === want[1];
      default: {
        // Plain or x-range: match the parts given.
        const given = partsGiven(m[2]!);
        return have.slice(0, given).every((p, i) => p === want[i]);
      }
    }
  });
}
