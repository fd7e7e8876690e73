/** Where the SDK sits: the host never imports it (so `automint --help` and every run start without it), the plugin
 *  entry `automint/plugin` loads nothing at run time but contracts, helpers and zod (a plugin imports it inside every
 *  run: no simulated world, no vitest, no CLI), and the package's `exports` point at what the build emits. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve('.');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/** Module specifiers `file` imports for their values (type-only imports and exports are erased by the compiler). */
function valueImports(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, false);
  const specs: string[] = [];
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && clause.namedBindings !== undefined
        && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      if (!typeOnly) specs.push((st.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier !== undefined) {
      const typeOnly = st.isTypeOnly || (st.exportClause !== undefined && ts.isNamedExports(st.exportClause) && st.exportClause.elements.every((e) => e.isTypeOnly));
      if (!typeOnly) specs.push((st.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return specs;
}

/** The files and packages `entry` loads at run time, following relative value imports through the sources. */
function runtimeClosure(entry: string): { files: string[]; packages: string[] } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const spec of valueImports(file)) {
      if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  visit(path.join(ROOT, entry));
  return { files: [...files].map((f) => path.relative(ROOT, f)).sort(), packages: [...packages].sort() };
}

describe('SDK boundaries', () => {
  it('is imported by nothing in the host or its plugins (the CLI starts without it)', () => {
    const importers = ['core', 'plugins'].flatMap((d) => sourceFiles(path.join(ROOT, d)))
      .filter((f) => /(?:from\s+|import\()\s*['"][./]*\/sdk\//.test(readFileSync(f, 'utf8')));
    expect(importers).toEqual([]);
  });

  it('loads only contracts, helpers and zod from `automint/plugin` at run time', () => {
    const { files, packages } = runtimeClosure('sdk/plugin.ts');
    expect(packages).toEqual(['zod']);
    expect(files.filter((f) => !f.startsWith('core/') && !f.startsWith('sdk/'))).toEqual([]);
    expect(files.filter((f) => /^core\/(cli|actors|run|store\/store-client)/.test(f))).toEqual([]);
  });

  it('keeps vitest and the simulated world in `automint/plugin/testing` only', () => {
    const { files, packages } = runtimeClosure('sdk/testing.ts');
    expect(packages).toContain('vitest');
    expect(files.some((f) => f.startsWith('sim/'))).toBe(true);
  });

  it('exports ./plugin and ./plugin/testing from files the build emits, with their declarations, vitest an optional peer', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      name: string; exports: Record<string, { types: string; default: string } | string>;
      peerDependencies?: Record<string, string>; peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    expect(pkg.name).toBe('automint');
    // The testing kit's vitest must be the copy that runs the plugin's tests; the CLI never needs it.
    expect(pkg.peerDependencies?.['vitest']).toMatch(/^\^4\./);
    expect(pkg.peerDependenciesMeta?.['vitest']?.optional).toBe(true);
    expect(Object.keys(pkg.exports).sort()).toEqual(['./package.json', './plugin', './plugin/testing']);
    for (const key of ['./plugin', './plugin/testing']) {
      const target = pkg.exports[key] as { types: string; default: string };
      expect(existsSync(path.join(ROOT, target.default)), target.default).toBe(true);
      expect(existsSync(path.join(ROOT, target.types)), target.types).toBe(true);
    }
  });
});
