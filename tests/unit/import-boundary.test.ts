/** core/ is the host: it must stand without the plugins, the simulated world, the CLI and the SDK built on it, so a
 *  plugin (or a second front end) can be written against it and core never grows a hidden dependency on one of them.
 *  Every source file under core/ (.ts, .mts, .cts, .js…) is read and each import it makes — static (`import … from`,
 *  `export … from`, a bare `import '…'`), dynamic (`import('…')`), or any relative path written as a string
 *  (createRequire, require.resolve, a path built for import()) — is resolved against the file; one that lands in plugins/, sim/, cli/ or
 *  sdk/ (or names the package itself, `automint/…`, which is the SDK) fails the test with file, line and specifier. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const FORBIDDEN = ['plugins', 'sim', 'cli', 'sdk'];
/** The one path core/ may write into them: the host discovers the built-in plugins by listing their folder (no module
 *  of it is named, so none is a dependency of core). */
const ALLOWED = new Set(['core/plugins/builtin-dir.ts ../../plugins']);

/** Every specifier a source text imports, with its 1-based line. */
function importSpecifiers(text: string): { line: number; specifier: string }[] {
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, // import x from '…', export { x } from '…', import type …
    /\bimport\s*['"]([^'"]+)['"]/g, // import '…' (side effects only)
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]/g, // import('…'), import(`…`)
    /\brequire\s*\(\s*['"`]([^'"`]+)['"`]/g, // require('…') through createRequire
    // Any relative path written as a string: createRequire(…)('…'), a require bound to another name, require.resolve,
    // a path handed to import() through a variable. A relative path in core/ that reaches those folders is the
    // dependency this test is about, however it is used.
    /['"`](\.\.?\/[^'"`\s]*)['"`]/g,
  ];
  const found = new Map<string, { line: number; specifier: string }>();
  for (const pattern of patterns) {
    for (const m of text.matchAll(pattern)) {
      const line = text.slice(0, m.index).split('\n').length;
      found.set(`${line} ${m[1]!}`, { line, specifier: m[1]! });
    }
  }
  return [...found.values()];
}

/** The forbidden top-level folder `specifier` reaches from `file`, or undefined. */
function forbiddenTarget(file: string, specifier: string): string | undefined {
  if (specifier === 'automint' || specifier.startsWith('automint/')) return 'sdk';
  if (!specifier.startsWith('.')) return undefined;
  const target = path.relative(ROOT, path.resolve(path.dirname(file), specifier));
  const top = target.split(path.sep)[0]!;
  return FORBIDDEN.includes(top) ? top : undefined;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(full);
    return /\.[cm]?[jt]s$/.test(e.name) ? [full] : [];
  });
}

describe('import boundary of core/', () => {
  it('no file under core/ imports plugins/, sim/, cli/ or sdk/', () => {
    const files = tsFiles(path.join(ROOT, 'core'));
    expect(files.length).toBeGreaterThan(50);
    const violations = files.flatMap((file) =>
      importSpecifiers(readFileSync(file, 'utf8')).flatMap(({ line, specifier }) => {
        const top = forbiddenTarget(file, specifier);
        if (top === undefined || ALLOWED.has(`${path.relative(ROOT, file)} ${specifier}`)) return [];
        return [`${path.relative(ROOT, file)}:${line} imports ${specifier} (${top}/)`];
      }),
    );
    expect(violations).toEqual([]);
  });

  it('sees every form of import', () => {
    const core = path.join(ROOT, 'core/run/x.ts');
    const text = [
      "import { a } from '../../plugins/stars/index.js';",
      "import type { B } from '../../sim/world.js';",
      "export { c } from '../../cli/program.js';",
      "import '../../sdk/plugin.js';",
      "const d = await import('../../plugins/ton/index.js');",
      'const e = await import(`../../sim/scenarios.js`);',
      "import { f } from 'automint/plugin';",
      "import { g } from '../plugins/host.js';",
      "import { z } from 'zod';",
      "const h = createRequire(import.meta.url)('../../plugins/stars/index.js');",
      "const req = createRequire(import.meta.url); const i = req('../../sim/world.js');",
      "const j = require.resolve('../../cli/main.js');",
      "const k = path.join(here, '../../sdk/plugin.js');",
    ].join('\n');
    const hits = importSpecifiers(text).map(({ line, specifier }) => [line, forbiddenTarget(core, specifier)]);
    expect(hits.filter(([, top]) => top !== undefined).sort()).toEqual(
      [[1, 'plugins'], [2, 'sim'], [3, 'cli'], [4, 'sdk'], [5, 'plugins'], [6, 'sim'], [7, 'sdk'], [10, 'plugins'], [11, 'sim'], [12, 'cli'], [13, 'sdk']].sort(),
    );
  });
});
